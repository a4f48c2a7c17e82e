"""``check``: diagnose a setup end to end, as a checklist that says how to fix each failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

import click
from click.core import ParameterSource

from .._errors import (
    InvalidCredentialsError,
    InvalidInputError,
    LineApiError,
    LineTokenError,
    TokenLimitError,
    TransportError,
    UnknownKeyError,
)
from .._keys import jwk_thumbprint, load_private_key, public_jwk
from .._models import IssuedToken, mask_token
from ._config import (
    ASSERTION_LIFETIME,
    ENV_BASE_URL,
    ENV_CHANNEL_ID,
    ENV_CHANNEL_SECRET,
    ENV_KEY,
    ENV_KID,
    Settings,
    json_option,
    settings_options,
)
from ._exit import EXIT_FAILED
from ._output import Output, human_duration, mask_secret

if TYPE_CHECKING:
    from .._assertion import AssertionSigner
    from .._client import Client

__all__ = ["CHECK_TOKEN_EXP", "Check", "check"]

Status = Literal["ok", "fail", "skip"]
T = TypeVar("T")

CHECK_TOKEN_EXP = 300
"""Lifetime of the v2.1 token ``check`` issues to test the setup (revoked again if it can)."""

CONSOLE = "LINE Developers Console"
REGISTER = "your channel > Basic settings > Assertion Signing Key > Register a public key"


@dataclass
class Check:
    """One line of the checklist."""

    name: str
    status: Status
    detail: str
    fix: str | None = None


class _Checklist:
    def __init__(self, out: Output) -> None:
        self.out = out
        self.items: list[Check] = []
        self.offline = False

    def add(self, name: str, status: Status, detail: str, fix: str | None = None) -> None:
        self.items.append(Check(name, status, detail, fix))
        self.out.check(status, detail, fix)

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.items)

    def call(
        self, name: str, action: Callable[[], T], on_error: Callable[[LineApiError], str]
    ) -> T | None:
        """Run one request; record a network failure once (then skip the rest)."""
        if self.offline:
            self.add(name, "skip", f"{name}: not tried (LINE could not be reached)")
            return None
        try:
            return action()
        except TransportError as exc:
            self.offline = True
            self.add(
                name,
                "fail",
                f"cannot reach the API: {exc}",
                f"check the network, or {ENV_BASE_URL} / --base-url if you meant another server",
            )
        except LineApiError as exc:
            reason = exc.error_description or exc.message or exc.error or "no details"
            where = f" to {exc.endpoint}" if exc.endpoint else ""
            self.add(
                name, "fail", f"{name}: LINE answered {exc.status}{where}: {reason}", on_error(exc)
            )
        return None


def _source(ctx: click.Context, param: str, env: str, option: str) -> str:
    source = ctx.get_parameter_source(param)
    if source is ParameterSource.COMMANDLINE:
        return f"from {option}"
    if source is ParameterSource.ENVIRONMENT:
        return f"from {env}"
    return ""


def _settings_checks(ctx: click.Context, s: Settings, checks: _Checklist) -> None:
    """The variables: set or not, well-formed or not; secrets masked."""
    cid = (s.channel_id or "").strip()
    if not cid:
        checks.add(
            "channel_id",
            "fail",
            f"{ENV_CHANNEL_ID} is not set",
            f"export {ENV_CHANNEL_ID}=<the Channel ID on the Basic settings tab of the {CONSOLE}>",
        )
    elif not (cid.isascii() and cid.isdigit()):
        checks.add(
            "channel_id",
            "fail",
            f"{ENV_CHANNEL_ID} is {cid!r}: a channel id is all digits",
            f"copy the Channel ID (digits only) from the Basic settings tab of the {CONSOLE}",
        )
    else:
        where = _source(ctx, "channel_id", ENV_CHANNEL_ID, "--channel-id")
        checks.add("channel_id", "ok", f"{ENV_CHANNEL_ID} = {cid} {where}".rstrip())

    has_secret = s.has_secret
    has_kid, has_key = bool(s.kid and s.kid.strip()), bool(s.key and s.key.strip())
    uses_jwt = has_kid or has_key
    if has_secret:
        assert s.channel_secret is not None
        where = _source(ctx, "channel_secret", ENV_CHANNEL_SECRET, "--channel-secret")
        checks.add(
            "channel_secret",
            "ok",
            f"{ENV_CHANNEL_SECRET} is set ({mask_secret(s.channel_secret.strip())}) "
            f"{where}".rstrip(),
        )
    else:
        checks.add(
            "channel_secret",
            "skip" if uses_jwt else "fail",
            f"{ENV_CHANNEL_SECRET} is not set (needed for short-lived tokens, stateless "
            "tokens by secret, and to revoke v2.1 tokens)",
            None
            if uses_jwt
            else f"export {ENV_CHANNEL_SECRET}=<the Channel secret on the Basic settings tab>, "
            f"or set up an assertion key ({ENV_KID} and {ENV_KEY}; `line-token keygen`)",
        )
    if has_kid:
        where = _source(ctx, "kid", ENV_KID, "--kid")
        checks.add("kid", "ok", f"{ENV_KID} = {(s.kid or '').strip()} {where}".rstrip())
    else:
        checks.add(
            "kid",
            "fail" if has_key else "skip",
            f"{ENV_KID} is not set (needed for v2.1 tokens and stateless tokens by JWT)",
            f"register the public key (`line-token jwk <key file>`) at {REGISTER}, then "
            f"export {ENV_KID}=<the kid the Console shows>"
            if has_key
            else None,
        )
    if has_key:
        raw = (s.key or "").strip()
        shown = "PEM text" if raw.startswith(("-----BEGIN", "{")) else raw
        where = _source(ctx, "key", ENV_KEY, "--key")
        checks.add("key", "ok", f"{ENV_KEY} = {shown} {where}".rstrip())
    else:
        checks.add(
            "key",
            "fail" if has_kid else "skip",
            f"{ENV_KEY} is not set (the private key that signs assertions)",
            f"export {ENV_KEY}=<path of the private key whose public key has kid "
            f"{(s.kid or '').strip()}>; lost it? make a new one with `line-token keygen` and "
            "register it"
            if has_kid
            else None,
        )


def _key_check(s: Settings, checks: _Checklist) -> bool:
    """Whether the private key loads and is RSA >= 2048 bits."""
    try:
        key = load_private_key(s.require_key(), s.key_password)
    except InvalidInputError as exc:
        checks.add(
            "key_loads",
            "fail",
            f"the private key does not load: {exc}",
            f"point {ENV_KEY} at the PEM file `line-token keygen` wrote (private.pem), "
            "or make a new key pair and register it",
        )
        return False
    thumb = jwk_thumbprint(public_jwk(key))
    checks.add(
        "key_loads", "ok", f"the private key loads: RSA {key.key_size} bits, JWK thumbprint {thumb}"
    )
    return True


def _assertion_fix(kid: str, channel_id: str) -> Callable[[LineApiError], str]:
    def fix(exc: LineApiError) -> str:
        text = f"{exc.error_description or ''} {exc.message or ''}".lower()
        if isinstance(exc, UnknownKeyError):
            return (
                f"kid {kid} is not registered: register the public key (`line-token jwk "
                f"$LINE_ASSERTION_KEY`) at {REGISTER} on channel {channel_id}, and put the kid "
                f"the Console shows into {ENV_KID}"
            )
        if "iss" in text:
            return (
                f"kid {kid} belongs to another channel than {channel_id}: set {ENV_CHANNEL_ID} "
                "to that channel, or register the key on this one"
            )
        if "signature" in text:
            return (
                f"{ENV_KEY} is not the private key of the public key registered as kid {kid}: "
                "use the matching private key, or register this key's JWK and use its new kid"
            )
        if "exp" in text:
            return "this machine's clock is off: sync it (NTP); assertions expire in minutes"
        return "check the channel id, kid and private key"

    return fix


def _secret_fix(channel_id: str) -> Callable[[LineApiError], str]:
    def fix(exc: LineApiError) -> str:
        if isinstance(exc, InvalidCredentialsError):
            return (
                f"copy the Channel secret of channel {channel_id} from its Basic settings tab "
                f"into {ENV_CHANNEL_SECRET} (and check {ENV_CHANNEL_ID} is that channel)"
            )
        return "check the channel id and secret"

    return fix


def _token_fix(exc: LineApiError) -> str:
    if isinstance(exc, TokenLimitError):
        return (
            "the channel holds 30 valid v2.1 tokens: revoke unused ones (`line-token kids` "
            "lists them; `line-token tokens prune` for a manager's store) or wait for expiry"
        )
    return "the token LINE just issued was refused: try again; if it persists, report it"


def _bot_check(client: Client, token: IssuedToken, label: str, checks: _Checklist) -> None:
    bot = checks.call("bot_info", lambda: client.get_bot_info(token.access_token), _token_fix)
    if bot is not None:
        checks.add(
            "bot_info",
            "ok",
            f"GET /v2/bot/info works with the {label}: {bot.display_name} ({bot.basic_id})",
        )


def _jwt_checks(
    client: Client, signer: AssertionSigner, s: Settings, checks: _Checklist
) -> IssuedToken | None:
    fix = _assertion_fix(signer.kid, signer.channel_id)
    kids = checks.call(
        "assertion",
        lambda: client.get_v21_key_ids(
            signer.sign(token_exp=CHECK_TOKEN_EXP, lifetime=ASSERTION_LIFETIME)
        ),
        fix,
    )
    if kids is None:
        return None
    checks.add(
        "assertion",
        "ok",
        f"LINE accepts the assertion: kid {signer.kid} is registered on channel "
        f"{signer.channel_id} and matches the private key ({len(kids)} of 30 v2.1 tokens in use)",
    )
    token = checks.call(
        "issue_v21",
        lambda: client.issue_v21_token(
            signer.sign(token_exp=CHECK_TOKEN_EXP, lifetime=ASSERTION_LIFETIME)
        ),
        _token_fix,
    )
    if token is None:
        return None
    checks.add(
        "issue_v21",
        "ok",
        f"issued a test v2.1 token {mask_token(token.access_token)} "
        f"(lives {human_duration(token.expires_in)})",
    )
    info = checks.call("verify", lambda: client.verify_v21_token(token.access_token), _token_fix)
    if info is not None:
        if info.client_id == signer.channel_id:
            checks.add(
                "verify",
                "ok",
                f"LINE verifies it: channel {info.client_id}, "
                f"{human_duration(info.expires_in)} left",
            )
        else:
            checks.add(
                "verify",
                "fail",
                f"LINE says the token belongs to channel {info.client_id}, not {signer.channel_id}",
                "report this: it should never happen",
            )
    _bot_check(client, token, "v2.1 token", checks)
    stateless = checks.call(
        "stateless_jwt",
        lambda: client.issue_stateless_token(
            assertion=signer.sign(token_exp=900, lifetime=ASSERTION_LIFETIME)
        ),
        fix,
    )
    if stateless is not None:
        checks.add("stateless_jwt", "ok", "issued a stateless token by JWT")
    return token


def _run_checks(ctx: click.Context, s: Settings, checks: _Checklist) -> None:
    _settings_checks(ctx, s, checks)
    if checks.failed:
        return
    channel_id = s.require_channel_id()
    signer = None
    if s.has_jwt and _key_check(s, checks):
        signer = s.signer()
    with s.client() as client:
        checks.out.line(f"Talking to {client.base_url}")
        v21_token = None
        if signer is not None:
            v21_token = _jwt_checks(client, signer, s, checks)
        if s.has_secret:
            secret = s.require_secret()
            stateless = checks.call(
                "secret",
                lambda: client.issue_stateless_token(channel_id=channel_id, channel_secret=secret),
                _secret_fix(channel_id),
            )
            if stateless is not None:
                checks.add(
                    "secret",
                    "ok",
                    "LINE accepts the channel secret (issued a stateless token by secret)",
                )
                if signer is None:
                    _bot_check(client, stateless, "stateless token", checks)
                    checks.add(
                        "verify",
                        "skip",
                        "verify not tried: stateless tokens have no verify endpoint, and a "
                        "short-lived test token could revoke one of yours (the 31st revokes "
                        "the oldest)",
                    )
            if v21_token is not None and stateless is None:
                checks.add(
                    "revoke",
                    "skip",
                    f"the test v2.1 token stays until it expires in "
                    f"{human_duration(CHECK_TOKEN_EXP)} (revoking needs the right secret)",
                )
            elif v21_token is not None:
                token = v21_token

                def revoke_test_token() -> bool:
                    client.revoke_v21_token(channel_id, secret, token.access_token)
                    return True

                done = checks.call("revoke", revoke_test_token, _secret_fix(channel_id))
                if done:
                    checks.add("revoke", "ok", "revoked the test v2.1 token again")
        elif v21_token is not None:
            checks.add(
                "revoke",
                "skip",
                f"the test v2.1 token stays until it expires in "
                f"{human_duration(CHECK_TOKEN_EXP)} (revoking needs {ENV_CHANNEL_SECRET})",
            )


@click.command()
@json_option
@settings_options()
@click.pass_context
def check(ctx: click.Context, json_mode: bool, settings: Settings) -> None:
    """Diagnose your setup end to end and say exactly what to fix.

    Checks which variables are set (secrets masked), that the private key
    loads and is RSA >= 2048 bits, that LINE accepts the kid and key (an
    assertion) and the channel secret, and that a token issues, verifies and
    calls bot info. With an assertion key it issues one v2.1 token living 5
    minutes and revokes it again if the channel secret is set. Exits 1 if
    anything failed.

    \b
    Examples:
      line-token check
      line-token check --json | jq '.checks[] | select(.status == "fail")'
    """
    out = Output(json_mode=json_mode)
    out.title("line-token check")
    checks = _Checklist(out)
    try:
        _run_checks(ctx, settings, checks)
    except LineTokenError as exc:  # anything not handled above is still a finding
        checks.add("unexpected", "fail", str(exc), "run with --debug and report it")
    if json_mode:
        out.json({"ok": not checks.failed, "checks": [asdict(c) for c in checks.items]})
    else:
        failed = sum(1 for c in checks.items if c.status == "fail")
        out.line()
        if failed:
            out.line(f"{failed} check(s) failed: see the fixes above.", style="bold red")
        else:
            out.line("All good.", style="bold green")
    if checks.failed:
        ctx.exit(EXIT_FAILED)
