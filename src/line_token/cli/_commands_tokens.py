"""``issue``, ``verify``, ``revoke`` and ``kids``: channel access tokens at LINE."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import click

from .._assertion import MAX_TOKEN_EXP
from .._client import Client
from .._errors import InvalidTokenError, LineApiError
from .._models import IssuedToken, TokenInfo, mask_token
from ._config import (
    ASSERTION_LIFETIME,
    ENV_CHANNEL_SECRET,
    ENV_KEY,
    ENV_KID,
    Settings,
    json_option,
    settings_options,
)
from ._exit import EXIT_REJECTED, EXIT_USAGE, CliError
from ._output import Output, format_expiry, human_duration, iso_utc, utc_text

__all__ = ["classify_token", "issue", "kids", "looks_like_jws", "revoke", "verify"]

STATELESS_LIFETIME = 15 * 60
SHORT_LIVED_MAX = 30 * 24 * 3600


def looks_like_jws(token: str) -> bool:
    """Whether a token has the shape of a v2.1 or stateless token (``ey...`` with two dots).

    Example:
        >>> looks_like_jws("eyJhbGciOiJIUzI1NiJ9.abc.def"), looks_like_jws("W1TeHCgfH2Liwa+/=")
        (True, False)
    """
    return token.startswith("ey") and token.count(".") == 2


def _read_token(value: str) -> str:
    token = sys.stdin.read() if value == "-" else value
    token = token.strip()
    if not token:
        raise CliError("TOKEN is empty: pass the access token, or - to read it", EXIT_USAGE)
    return token


def _issued_json(kind: str, channel_id: str | None, token: IssuedToken) -> dict[str, Any]:
    return {
        "kind": kind,
        "channel_id": channel_id,
        "access_token": token.access_token,
        "token_type": token.token_type,
        "expires_in": token.expires_in,
        "expires_at": iso_utc(token.expires_at),
        "key_id": token.key_id,
    }


def _show_issued(
    out: Output, kind: str, channel_id: str | None, token: IssuedToken, how: str
) -> None:
    if out.quiet:
        out.raw(token.access_token)
        return
    if out.json_mode:
        out.json(_issued_json(kind, channel_id, token))
        return
    channel = f" for channel {channel_id}" if channel_id else ""
    out.title(f"{kind} token{channel} ({how})")
    out.field("expires", format_expiry(token.expires_at, time.time()).removeprefix("expires "))
    if token.key_id:
        out.field("key id", token.key_id)
    out.line()
    out.raw(token.access_token)


def _quiet_option(f: Any) -> Any:
    return click.option(
        "--quiet", "-q", is_flag=True, help="Print only the token (for $(...) in scripts)."
    )(f)


@click.group()
def issue() -> None:
    """Issue a channel access token: stateless, short-lived or v2.1.

    \b
    Which one?
      stateless    15 minutes, unlimited, cannot be revoked. Issue one per job.
      short-lived  30 days, up to 30 per channel; the 31st revokes the oldest.
      v2.1         you choose the lifetime (up to 30 days), up to 30 per
                   channel (the 31st is refused); needs an assertion key.

    \b
    Examples:
      line-token issue stateless
      export TOKEN=$(line-token issue v2.1 --token-exp 86400 --quiet)
    """


@issue.command("stateless")
@click.option(
    "--by",
    type=click.Choice(["jwt", "secret"]),
    default=None,
    help="Authenticate with the channel secret or a JWT assertion "
    "[default: secret if LINE_CHANNEL_SECRET is set, else jwt].",
)
@_quiet_option
@json_option
@settings_options()
def issue_stateless(by: str | None, quiet: bool, json_mode: bool, settings: Settings) -> None:
    """Issue a stateless token (valid 15 minutes; no limit; cannot be revoked).

    \b
    Examples:
      line-token issue stateless
      line-token issue stateless --by jwt --json
      export TOKEN=$(line-token issue stateless --quiet)
    """
    out = Output(json_mode=json_mode, quiet=quiet)
    channel_id = settings.require_channel_id()
    if by is None:
        if settings.has_secret:
            by = "secret"
        elif settings.kid or settings.key:
            by = "jwt"
        else:
            raise CliError(
                f"a stateless token needs the channel secret ({ENV_CHANNEL_SECRET} or "
                f"--channel-secret) or an assertion key ({ENV_KID} and {ENV_KEY}, or --kid "
                "and --key); neither is set",
                EXIT_USAGE,
            )
    with settings.client() as client:
        if by == "secret":
            secret = settings.require_secret("--by secret")
            token = client.issue_stateless_token(channel_id=channel_id, channel_secret=secret)
        else:
            signer = settings.signer("--by jwt")
            token = client.issue_stateless_token(
                assertion=signer.sign(token_exp=STATELESS_LIFETIME, lifetime=ASSERTION_LIFETIME)
            )
    _show_issued(out, "stateless", channel_id, token, f"by {by}")


@issue.command("short-lived")
@_quiet_option
@json_option
@settings_options(assertion=False)
def issue_short_lived(quiet: bool, json_mode: bool, settings: Settings) -> None:
    """Issue a short-lived token (30 days) with the channel id and secret.

    A channel holds at most 30; issuing the 31st silently revokes the oldest,
    which may be one your servers still use. Prefer v2.1 or stateless tokens.

    \b
    Examples:
      line-token issue short-lived
      line-token issue short-lived --json
    """
    out = Output(json_mode=json_mode, quiet=quiet)
    channel_id = settings.require_channel_id()
    secret = settings.require_secret()
    with settings.client() as client:
        token = client.issue_short_lived_token(channel_id, secret)
    _show_issued(out, "short-lived", channel_id, token, "by secret")


@issue.command("v2.1")
@click.option(
    "--token-exp",
    type=click.IntRange(min=1, max=MAX_TOKEN_EXP),
    default=MAX_TOKEN_EXP,
    show_default=True,
    help="The token's lifetime in seconds (at most 30 days).",
)
@_quiet_option
@json_option
@settings_options(secret=False)
def issue_v21(token_exp: int, quiet: bool, json_mode: bool, settings: Settings) -> None:
    """Issue a v2.1 token by JWT assertion, with the lifetime you choose.

    A channel holds at most 30 valid v2.1 tokens; the 31st is refused (exit 3).
    Revoke them with `line-token revoke` or let them expire.

    \b
    Examples:
      line-token issue v2.1
      export TOKEN=$(line-token issue v2.1 --token-exp 3600 --quiet)
    """
    out = Output(json_mode=json_mode, quiet=quiet)
    signer = settings.signer()
    with settings.client() as client:
        token = client.issue_v21_token(
            signer.sign(token_exp=token_exp, lifetime=ASSERTION_LIFETIME)
        )
    _show_issued(out, "v2.1", signer.channel_id, token, "by JWT")


# --- verify ---------------------------------------------------------------------


@dataclass
class Verdict:
    """What ``verify`` found out about a token."""

    valid: bool
    kind: str
    channel_id: str | None = None
    expires_in: int | None = None
    scope: str | None = None
    reason: str | None = None
    bot: str | None = None

    def as_json(self, token: str, now: float) -> dict[str, Any]:
        """The verdict as a JSON document (the token masked)."""
        return {
            "valid": self.valid,
            "kind": self.kind,
            "token": mask_token(token),
            "channel_id": self.channel_id,
            "expires_in": self.expires_in,
            "expires_at": None if self.expires_in is None else iso_utc(now + self.expires_in),
            "scope": self.scope,
            "bot": self.bot,
            "reason": self.reason,
        }


def _reason(exc: LineApiError) -> str:
    return exc.error_description or exc.message or exc.error or f"HTTP {exc.status}"


def _from_info(kind: str, info: TokenInfo) -> Verdict:
    return Verdict(True, kind, info.client_id, info.expires_in, info.scope)


def classify_token(client: Client, token: str) -> Verdict:
    """Find out what kind of token ``token`` is and whether LINE accepts it.

    v2.1 and stateless tokens look like JWS (``ey...`` with two dots): the v2.1
    verify endpoint is asked first. Stateless tokens have no verify endpoint,
    so a JWS-looking token v2.1 verify does not know is tried on bot info.
    Other tokens are short-lived or long-lived: ``/v2/oauth/verify``.
    Raises only network errors (and ``LineApiError`` other than a bad token).
    """
    if not looks_like_jws(token):
        try:
            info = client.verify_token(token)
        except InvalidTokenError as exc:
            return Verdict(False, "short-lived or long-lived", reason=_reason(exc))
        kind = "long-lived" if info.expires_in > SHORT_LIVED_MAX else "short-lived"
        return _from_info(kind, info)
    try:
        return _from_info("v2.1", client.verify_v21_token(token))
    except InvalidTokenError as exc:
        reason = _reason(exc)
        if any(word in reason.lower() for word in ("expired", "revoked")):
            return Verdict(False, "v2.1", reason=reason)
    try:
        bot = client.get_bot_info(token)
    except InvalidTokenError as exc:
        return Verdict(
            False,
            "v2.1 or stateless",
            reason=f"v2.1 verify says: {reason}; bot info says: {_reason(exc)}. "
            "If it is a stateless token, it has expired (they live 15 minutes)",
        )
    return Verdict(
        True,
        "stateless",
        channel_id=None,
        bot=f"{bot.display_name} ({bot.basic_id})",
        reason="stateless tokens have no verify endpoint: bot info accepted it, so it works; "
        "it expires at most 15 minutes after it was issued",
    )


@click.command()
@click.argument("token")
@json_option
@settings_options(channel=False, secret=False, assertion=False)
def verify(token: str, json_mode: bool, settings: Settings) -> None:
    """Say what kind of token TOKEN is, its channel and how long it has left.

    TOKEN may be - to read it from stdin. Exits 3 if LINE says it is invalid.

    \b
    Examples:
      line-token verify "$TOKEN"
      line-token issue stateless --quiet | line-token verify -
    """
    out = Output(json_mode=json_mode)
    value = _read_token(token)
    now = time.time()
    with settings.client() as client:
        verdict = classify_token(client, value)
    if json_mode:
        out.json(verdict.as_json(value, now))
    elif verdict.valid:
        out.check("ok", f"valid {verdict.kind} token {mask_token(value)}")
        if verdict.channel_id:
            out.field("channel", verdict.channel_id)
        if verdict.expires_in is not None:
            out.field(
                "expires",
                f"in {human_duration(verdict.expires_in)} ({utc_text(now + verdict.expires_in)})",
            )
        if verdict.scope:
            out.field("scope", verdict.scope)
        if verdict.bot:
            out.field("bot", verdict.bot)
        if verdict.reason:
            out.field("note", verdict.reason)
    if not verdict.valid:
        raise CliError(
            f"{verdict.kind} token {mask_token(value)} is not valid: {verdict.reason}. "
            "Issue a new one with `line-token issue`",
            EXIT_REJECTED,
        )


# --- revoke ---------------------------------------------------------------------


@click.command()
@click.argument("token")
@json_option
@settings_options(assertion=False)
def revoke(token: str, json_mode: bool, settings: Settings) -> None:
    """Revoke TOKEN at the endpoint for its kind.

    Short-lived and long-lived tokens need nothing else. v2.1 tokens need the
    channel secret (LINE_CHANNEL_SECRET); the channel id is found by verifying
    the token. Stateless tokens cannot be revoked: they expire in 15 minutes.
    TOKEN may be - to read it from stdin.

    \b
    Examples:
      line-token revoke "$TOKEN"
    """
    out = Output(json_mode=json_mode)
    value = _read_token(token)
    masked = mask_token(value)
    with settings.client() as client:
        if not looks_like_jws(value):
            client.revoke_token(value)
            result = {"revoked": True, "kind": "short-lived or long-lived", "token": masked}
            note = "LINE does not say whether the token was valid; it is not any more"
        else:
            verdict = classify_token(client, value)
            if verdict.kind == "stateless":
                raise CliError(
                    f"token {masked} is a stateless token: LINE cannot revoke those; it "
                    "expires on its own within 15 minutes of issue",
                    EXIT_USAGE,
                )
            if not verdict.valid:
                result = {"revoked": False, "kind": verdict.kind, "token": masked}
                note = f"nothing to revoke: it is already invalid ({verdict.reason})"
            else:
                channel_id = verdict.channel_id or settings.require_channel_id()
                if settings.channel_id and settings.channel_id.strip() != channel_id:
                    raise CliError(
                        f"token {masked} belongs to channel {channel_id}, but the channel id "
                        f"given is {settings.channel_id.strip()}: set LINE_CHANNEL_ID and "
                        f"LINE_CHANNEL_SECRET to channel {channel_id}'s",
                        EXIT_USAGE,
                    )
                secret = settings.require_secret("LINE needs it to revoke a v2.1 token")
                client.revoke_v21_token(channel_id, secret, value)
                result = {"revoked": True, "kind": "v2.1", "token": masked}
                note = f"channel {channel_id}"
    if json_mode:
        out.json(result)
    elif result["revoked"]:
        out.check("ok", f"revoked {result['kind']} token {masked} ({note})")
    else:
        out.check("skip", f"{result['kind']} token {masked}: {note}")


# --- kids -----------------------------------------------------------------------


@click.command()
@json_option
@settings_options(secret=False)
def kids(json_mode: bool, settings: Settings) -> None:
    """List the key ids of the channel's valid v2.1 tokens (needs the assertion key).

    Compare them with the key_id you stored with each token to find the ones
    still alive; at most 30 can be.

    \b
    Examples:
      line-token kids
      line-token kids --json | jq -r '.kids[]'
    """
    out = Output(json_mode=json_mode)
    signer = settings.signer()
    with settings.client() as client:
        key_ids = client.get_v21_key_ids(
            signer.sign(token_exp=MAX_TOKEN_EXP, lifetime=ASSERTION_LIFETIME)
        )
    if json_mode:
        out.json({"channel_id": signer.channel_id, "kids": key_ids})
        return
    out.title(f"{len(key_ids)} valid v2.1 token(s) on channel {signer.channel_id} (of 30 allowed)")
    for key_id in key_ids:
        out.raw(key_id)
