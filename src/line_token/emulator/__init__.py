"""A faithful local emulator of LINE's channel-access-token API, for tests and development.

Use it in-process (``httpx.Client(transport=emulator.transport())``), over real
HTTP (``with emulator.serve() as server: server.base_url``), or through the
``line_emulator`` pytest fixture. Console actions (channels, public keys,
long-lived tokens), a virtual clock, fault injection and request counting are
methods of :class:`Emulator` and also HTTP routes under ``/__emulator__/``
(loopback clients only).

Behaviours chosen where LINE's are unconfirmed (contract §5):

- §5.1 Missing/empty form or query field: 400 ``invalid_request`` / ``some parameters missed or
  invalid``; a wrong ``client_assertion_type`` too. A ``grant_type`` other than
  ``client_credentials``: 400 ``unsupported_grant_type`` / ``unsupported grant_type``.
- §5.1 Assertion checks in order — format, alg, kid, signature, iss/sub, aud, exp, token_exp —
  all 400 ``invalid_client``: unparseable JWT ``Invalid JWT format``; alg not RS256 ``Invalid
  alg``; bad signature ``Invalid signature``; wrong aud ``Invalid aud``. Missing or unknown kid:
  404 ``Cannot find channel key that satisfies the conditions``; another channel's kid with a
  mismatched ``iss``/``sub``: ``iss and clientId of key do not match``. Extra claims (``iat``,
  ``jti``, ``nbf``) and a missing ``typ`` are tolerated; numeric strings are accepted for
  ``exp``/``token_exp`` (LINE's own example uses them).
- §5.2 429 (rate-limit knob) on every endpoint: ``{"message":"The API rate limit has been
  exceeded. Try again later."}``, no ``Retry-After`` (unless a fault injects one).
- §5.3 Every response, token endpoints included, carries ``x-line-request-id`` (32 hex digits).
- §5.4 ``/v2/oauth/verify`` and ``/v2/oauth/revoke`` given a v2.1 or stateless token: 400
  ``access_token in invalid format`` / ``{"error":"invalid_request"}`` (it is not the opaque
  format). ``/oauth2/v2.1/verify`` given a stateless or unknown JWS-shaped token: 400 ``The
  access token malformed``; given a short-lived token: ``The access token not JWS``.
- §5.5 Revoked v2.1 token on ``/oauth2/v2.1/verify``: 400 ``The access token revoked`` (checked
  before expiry).
- §5.6 ``token_exp`` must be an integer 30..2592000; outside it is rejected (``Invalid
  token_exp``), never clamped. Required only for v2.1 issue; on ``/tokens/kid`` and
  stateless-by-JWT it is optional but validated if present. The assertion's ``exp`` must be
  after now and at most 1800 s ahead (else ``Invalid exp``).
- §5.7 Stateless ``expires_in`` is 900; stateless tokens are accepted as Bearer tokens but have
  no verify endpoint and cannot be revoked.
- §5.8 ``scope``: ``P CM`` for short-lived and long-lived, ``profile chat_message.write`` for
  v2.1. Long-lived tokens verify with ``expires_in`` counting down from 100 years after issue.
- §5.9 Wrong ``client_id``/``client_secret`` on ``/oauth2/v2.1/revoke``: 400 ``invalid_client``
  / ``invalid client_id`` or ``invalid client_secret``; revoking an unknown, expired or other
  channel's v2.1 token answers 200 and changes nothing.
- §5.10 Unknown channel id on ``/v2/oauth/accessToken``: the documented ``invalid client_id``
  (not the third-party-reported ``some parameters in the wrong format``). Stateless by secret
  with an unknown id or wrong secret: ``Invalid 'client_credentials'.``; sending both the secret
  and the JWT variant (non-empty): 400 ``some parameters missed or invalid``.

- Other: bearer errors on ``/v2/bot/*`` are 401 ``Authorization header required...`` (no or
  non-Bearer header) and ``Authentication failed. Confirm that...`` (unknown, expired or revoked
  token); push body errors are 400 ``{"message":"The request body has N
  error(s)","details":[{"message","property"}]}``; a non-UUID ``X-Line-Retry-Key`` is 400; a
  repeated one (per channel, 24 h) is 409 ``The retry key is already accepted`` with
  ``sentMessages`` and ``x-line-accepted-request-id``; unknown path 404 ``{"message":"Not
  found"}``; wrong method 405 with ``Allow``. Non-form POST bodies are read as having no fields.
"""

from __future__ import annotations

from ._clock import VirtualClock
from ._emulator import Emulator
from ._handler import Response
from ._jwk import InvalidKeyError
from ._models import Channel, PushedMessage, RegisteredKey, RequestRecord, Token, TokenKind

__all__ = [
    "Channel",
    "Emulator",
    "EmulatorServer",
    "EmulatorTransport",
    "InvalidKeyError",
    "PushedMessage",
    "RegisteredKey",
    "RequestRecord",
    "Response",
    "Token",
    "TokenKind",
    "VirtualClock",
    "run_server",
]


def __getattr__(name: str) -> object:
    """Lazy names: the server pulls uvicorn, the transport is cheap but kept lazy too."""
    if name in ("EmulatorServer", "run_server"):
        from . import _server

        return getattr(_server, name)
    if name == "EmulatorTransport":
        from ._transport import EmulatorTransport

        return EmulatorTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
