"""A pure model of LINE's channel-access-token rules (no I/O; the clock is injected).

Every method either returns the JSON body of a success or raises
:class:`~._replies.ApiError` carrying LINE's status and error body. Not
thread-safe by itself: the :class:`~._emulator.Emulator` holds one lock around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ._clock import VirtualClock
from ._ids import IdSource
from ._jwk import check_console_jwk
from ._jwt import Assertion, verify_assertion
from ._models import Channel, PushedMessage, RegisteredKey, Token, TokenKind
from ._replies import TOO_MANY_TOKENS, ApiError, message_error, oauth_error

__all__ = [
    "AUTH_FAILED",
    "AUTH_REQUIRED",
    "LONG_LIVED_NOMINAL_LIFETIME",
    "MAX_SHORT_LIVED",
    "MAX_V21",
    "RETRY_KEY_TTL",
    "SCOPE_SHORT_LIVED",
    "SCOPE_V21",
    "SHORT_LIVED_LIFETIME",
    "STATELESS_LIFETIME",
    "LineState",
]

SHORT_LIVED_LIFETIME = 30 * 24 * 60 * 60
STATELESS_LIFETIME = 15 * 60
LONG_LIVED_NOMINAL_LIFETIME = 100 * 365 * 24 * 60 * 60
"""Long-lived tokens never expire; verify reports this much left, counted from issue."""
MAX_SHORT_LIVED = 30
MAX_V21 = 30
RETRY_KEY_TTL = 24 * 60 * 60
SCOPE_SHORT_LIVED = "P CM"
SCOPE_V21 = "profile chat_message.write"

_OPAQUE = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_DIGITS = re.compile(r"[0-9]{1,20}")

AUTH_REQUIRED = (
    "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
)
AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)


def _remaining(token: Token, now: float) -> int:
    if token.expires_at is None:
        return int(token.issued_at + LONG_LIVED_NOMINAL_LIFETIME - now)
    return int(token.expires_at - now)


class LineState:
    """Channels, keys and tokens, and LINE's rules over them.

    Args:
        clock: wall-clock seconds; defaults to a fresh :class:`VirtualClock`.
        ids: where ids and tokens come from (seeded or not).
    """

    def __init__(
        self, clock: Callable[[], float] | None = None, ids: IdSource | None = None
    ) -> None:
        self.clock: Callable[[], float] = clock if clock is not None else VirtualClock()
        self.ids = ids if ids is not None else IdSource()
        self.channels: dict[str, Channel] = {}
        self.keys: dict[str, RegisteredKey] = {}
        self.tokens: dict[str, Token] = {}
        self.pushed: list[PushedMessage] = []
        self.retry_keys: dict[tuple[str, str], tuple[float, str, list[dict[str, str]]]] = {}

    # --- console -------------------------------------------------------------

    def create_channel(
        self,
        *,
        display_name: str = "Emulated bot",
        channel_id: str | None = None,
        channel_secret: str | None = None,
        picture_url: str | None = None,
    ) -> Channel:
        """Create a Messaging API channel (ids are generated unless given)."""
        cid = channel_id if channel_id is not None else self.ids.channel_id()
        while channel_id is None and cid in self.channels:
            cid = self.ids.channel_id()
        if not _DIGITS.fullmatch(cid):
            raise ValueError(f"channel_id must be all digits; got {cid!r}")
        if cid in self.channels:
            raise ValueError(f"channel {cid} already exists")
        secret = channel_secret if channel_secret is not None else self.ids.channel_secret()
        if not secret:
            raise ValueError("channel_secret must not be empty")
        channel = Channel(
            channel_id=cid,
            channel_secret=secret,
            display_name=display_name,
            user_id=self.ids.user_id(),
            basic_id=self.ids.basic_id(),
            picture_url=picture_url,
        )
        self.channels[cid] = channel
        return channel

    def channel(self, channel_id: str) -> Channel:
        """The channel, or KeyError naming it."""
        try:
            return self.channels[channel_id]
        except KeyError:
            raise KeyError(f"no channel {channel_id!r} in the emulator") from None

    def register_key(self, channel_id: str, jwk: object, *, kid: str | None = None) -> str:
        """Register a public JWK for a channel as the Console does; return its kid."""
        channel = self.channel(channel_id)
        data, public_key = check_console_jwk(jwk)
        new_kid = kid if kid is not None else self.ids.kid()
        if new_kid in self.keys:
            raise ValueError(f"kid {new_kid!r} is already registered")
        key = RegisteredKey(new_kid, channel.channel_id, data, public_key)
        channel.keys[new_kid] = key
        self.keys[new_kid] = key
        return new_kid

    def issue_long_lived(self, channel_id: str) -> str:
        """Issue (reissue) the channel's long-lived token; the previous one is revoked."""
        channel = self.channel(channel_id)
        for token in self.tokens.values():
            if token.channel_id == channel.channel_id and token.kind is TokenKind.LONG_LIVED:
                token.revoked = True
        return self._new_token(TokenKind.LONG_LIVED, channel.channel_id, None).value

    # --- helpers ---------------------------------------------------------------

    def _new_token(
        self, kind: TokenKind, channel_id: str, lifetime: int | None, key_id: str | None = None
    ) -> Token:
        maker = {
            TokenKind.SHORT_LIVED: self.ids.opaque_token,
            TokenKind.LONG_LIVED: self.ids.opaque_token,
            TokenKind.V21: self.ids.v21_token,
            TokenKind.STATELESS: self.ids.stateless_token,
        }[kind]
        value = maker()
        while value in self.tokens:  # pragma: no cover - astronomically unlikely
            value = maker()
        now = self.clock()
        expires = None if lifetime is None else now + lifetime
        token = Token(value, kind, channel_id, now, expires, key_id)
        self.tokens[value] = token
        return token

    def _active(self, channel_id: str, kind: TokenKind) -> list[Token]:
        now = self.clock()
        return [
            t
            for t in self.tokens.values()
            if t.channel_id == channel_id and t.kind is kind and t.active(now)
        ]

    def _lookup_key(self, kid: str) -> tuple[str, Any] | None:
        key = self.keys.get(kid)
        return None if key is None else (key.channel_id, key.public_key)

    def _assertion(self, assertion: str, *, require_token_exp: bool) -> Assertion:
        return verify_assertion(
            assertion,
            now=self.clock(),
            lookup=self._lookup_key,
            require_token_exp=require_token_exp,
        )

    def _prune_stateless(self) -> None:
        now = self.clock()
        dead = [
            v for v, t in self.tokens.items() if t.kind is TokenKind.STATELESS and t.expired(now)
        ]
        for value in dead:
            del self.tokens[value]

    def _client(self, client_id: str, client_secret: str) -> Channel:
        channel = self.channels.get(client_id)
        if channel is None:
            raise oauth_error("invalid_client", "invalid client_id")
        if client_secret != channel.channel_secret:
            raise oauth_error("invalid_client", "invalid client_secret")
        return channel

    # --- short-lived / long-lived --------------------------------------------------

    def issue_short_lived(self, client_id: str, client_secret: str) -> dict[str, Any]:
        """``POST /v2/oauth/accessToken``: the 31st active token revokes the oldest."""
        channel = self._client(client_id, client_secret)
        active = self._active(channel.channel_id, TokenKind.SHORT_LIVED)
        if len(active) >= MAX_SHORT_LIVED:
            min(active, key=lambda t: t.issued_at).revoked = True
        token = self._new_token(TokenKind.SHORT_LIVED, channel.channel_id, SHORT_LIVED_LIFETIME)
        return {
            "access_token": token.value,
            "expires_in": SHORT_LIVED_LIFETIME,
            "token_type": "Bearer",
        }

    def verify_short_lived(self, access_token: str) -> dict[str, Any]:
        """``POST /v2/oauth/verify`` (short-lived and long-lived tokens only)."""
        if not _OPAQUE.fullmatch(access_token):
            raise oauth_error("invalid_request", "access_token in invalid format")
        token = self.tokens.get(access_token)
        now = self.clock()
        if token is None or not token.active(now):
            raise oauth_error("invalid_request", "access_token invalid")
        return {
            "client_id": token.channel_id,
            "expires_in": _remaining(token, now),
            "scope": SCOPE_SHORT_LIVED,
        }

    def revoke_short_lived(self, access_token: str) -> None:
        """``POST /v2/oauth/revoke``: unknown or already revoked is not an error."""
        if not _OPAQUE.fullmatch(access_token):
            raise oauth_error("invalid_request")
        token = self.tokens.get(access_token)
        if token is not None and token.kind in (TokenKind.SHORT_LIVED, TokenKind.LONG_LIVED):
            token.revoked = True

    # --- v2.1 ------------------------------------------------------------------

    def issue_v21(self, assertion: str) -> dict[str, Any]:
        """``POST /oauth2/v2.1/token``: the 31st active token is refused."""
        checked = self._assertion(assertion, require_token_exp=True)
        assert checked.token_exp is not None
        if len(self._active(checked.channel_id, TokenKind.V21)) >= MAX_V21:
            raise message_error(TOO_MANY_TOKENS)
        key_id = self.ids.key_id()
        token = self._new_token(TokenKind.V21, checked.channel_id, checked.token_exp, key_id)
        return {
            "access_token": token.value,
            "token_type": "Bearer",
            "expires_in": checked.token_exp,
            "key_id": key_id,
        }

    def _v21_token(self, access_token: str) -> Token | None:
        if not _JWS.fullmatch(access_token):
            raise oauth_error("invalid_request", "The access token not JWS")
        token = self.tokens.get(access_token)
        return token if token is not None and token.kind is TokenKind.V21 else None

    def verify_v21(self, access_token: str) -> dict[str, Any]:
        """``GET /oauth2/v2.1/verify``."""
        token = self._v21_token(access_token)
        now = self.clock()
        if token is None:
            raise oauth_error("invalid_request", "The access token malformed")
        if token.revoked:
            raise oauth_error("invalid_request", "The access token revoked")
        if token.expired(now):
            raise oauth_error("invalid_request", "The access token expired")
        return {
            "client_id": token.channel_id,
            "expires_in": _remaining(token, now),
            "scope": SCOPE_V21,
        }

    def revoke_v21(self, client_id: str, client_secret: str, access_token: str) -> None:
        """``POST /oauth2/v2.1/revoke``: unknown, foreign or dead tokens are not an error."""
        channel = self._client(client_id, client_secret)
        token = self._v21_token(access_token)
        if token is not None and token.channel_id == channel.channel_id:
            token.revoked = True

    def v21_key_ids(self, assertion: str) -> dict[str, Any]:
        """``GET /oauth2/v2.1/tokens/kid``: key ids of the channel's active v2.1 tokens."""
        checked = self._assertion(assertion, require_token_exp=False)
        active = sorted(self._active(checked.channel_id, TokenKind.V21), key=lambda t: t.issued_at)
        return {"kids": [t.key_id for t in active]}

    # --- stateless ---------------------------------------------------------------

    def _stateless(self, channel_id: str) -> dict[str, Any]:
        self._prune_stateless()
        token = self._new_token(TokenKind.STATELESS, channel_id, STATELESS_LIFETIME)
        return {
            "token_type": "Bearer",
            "access_token": token.value,
            "expires_in": STATELESS_LIFETIME,
        }

    def issue_stateless_by_secret(self, client_id: str, client_secret: str) -> dict[str, Any]:
        """``POST /oauth2/v3/token`` with client id and secret."""
        channel = self.channels.get(client_id)
        if channel is None or client_secret != channel.channel_secret:
            raise oauth_error("invalid_request", "Invalid 'client_credentials'.")
        return self._stateless(channel.channel_id)

    def issue_stateless_by_assertion(self, assertion: str) -> dict[str, Any]:
        """``POST /oauth2/v3/token`` with a JWT assertion (``token_exp`` optional)."""
        checked = self._assertion(assertion, require_token_exp=False)
        return self._stateless(checked.channel_id)

    # --- Messaging API ---------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Token:
        """The active token of an ``Authorization: Bearer`` header, or 401."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise message_error(AUTH_REQUIRED, status=401)
        token = self.tokens.get(value.strip())
        if token is None or not token.active(self.clock()) or token.channel_id not in self.channels:
            raise message_error(AUTH_FAILED, status=401)
        return token

    def bot_info(self, token: Token) -> dict[str, Any]:
        """``GET /v2/bot/info`` for the token's channel."""
        channel = self.channels[token.channel_id]
        body: dict[str, Any] = {
            "userId": channel.user_id,
            "basicId": channel.basic_id,
            "displayName": channel.display_name,
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
        if channel.picture_url:
            body["pictureUrl"] = channel.picture_url
        return body

    def push(
        self,
        token: Token,
        request: Mapping[str, Any],
        *,
        retry_key: str | None,
        request_id: str,
    ) -> dict[str, Any]:
        """``POST /v2/bot/message/push`` with an already validated body."""
        now = self.clock()
        self.retry_keys = {k: v for k, v in self.retry_keys.items() if now - v[0] < RETRY_KEY_TTL}
        if retry_key is not None:
            seen = self.retry_keys.get((token.channel_id, retry_key.lower()))
            if seen is not None:
                raise ApiError(
                    409,
                    {"message": "The retry key is already accepted", "sentMessages": seen[2]},
                    {"x-line-accepted-request-id": seen[1]},
                )
        messages = [dict(m) for m in request["messages"]]
        sent = [self._sent(m) for m in messages]
        self.pushed.append(
            PushedMessage(
                channel_id=token.channel_id,
                to=request["to"],
                messages=messages,
                sent_messages=sent,
                request_id=request_id,
                retry_key=retry_key,
                token_kind=token.kind,
                time=now,
                notification_disabled=request.get("notificationDisabled") is True,
            )
        )
        if retry_key is not None:
            self.retry_keys[(token.channel_id, retry_key.lower())] = (now, request_id, sent)
        return {"sentMessages": sent}

    def _sent(self, message: Mapping[str, Any]) -> dict[str, str]:
        sent = {"id": self.ids.message_id()}
        if message.get("type") in ("text", "sticker", "image", "video"):
            sent["quoteToken"] = self.ids.quote_token()
        return sent
