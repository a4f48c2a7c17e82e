"""Where the command's settings come from: options, else environment variables.

Each setting has one option and one variable, and a missing one is reported
naming both, with where to find the value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from .._errors import InvalidInputError
from ._exit import EXIT_USAGE, CliError

if TYPE_CHECKING:
    from .._assertion import AssertionSigner
    from .._client import Client

__all__ = [
    "ASSERTION_LIFETIME",
    "ENV_BASE_URL",
    "ENV_CHANNEL_ID",
    "ENV_CHANNEL_SECRET",
    "ENV_KEY",
    "ENV_KEY_PASSWORD",
    "ENV_KID",
    "Settings",
    "json_option",
    "settings_options",
]

ENV_BASE_URL = "LINE_API_BASE_URL"
ENV_CHANNEL_ID = "LINE_CHANNEL_ID"
ENV_CHANNEL_SECRET = "LINE_CHANNEL_SECRET"
ENV_KID = "LINE_ASSERTION_KID"
ENV_KEY = "LINE_ASSERTION_KEY"
ENV_KEY_PASSWORD = "LINE_ASSERTION_KEY_PASSWORD"

_WHERE = {
    "channel id": "the numeric Channel ID on the Basic settings tab of the LINE Developers Console",
    "channel secret": "the Channel secret on the Basic settings tab of the LINE Developers Console",
    "assertion kid": (
        "the kid the Console showed when you registered the public key "
        "(Basic settings > Assertion Signing Key)"
    ),
    "assertion key": "the path of the private key file (or its PEM text); make one with "
    "`line-token keygen`",
}

_BASE_URL_META = "line_token.base_url"

ASSERTION_LIFETIME = 15 * 60
"""Seconds the command's own assertions live: well under LINE's 30-minute cap, so a
clock that is a few minutes off either way is still accepted (they are used at once)."""

F = Callable[..., Any]


@dataclass(frozen=True)
class Settings:
    """The credentials and connection settings of one invocation (secrets never in repr)."""

    base_url: str | None = None
    timeout: float = 10.0
    retries: int = 2
    channel_id: str | None = None
    channel_secret: str | None = None
    kid: str | None = None
    key: str | None = None
    key_password: str | None = None

    def __repr__(self) -> str:
        return f"Settings(base_url={self.base_url!r}, channel_id={self.channel_id!r})"

    @property
    def has_secret(self) -> bool:
        """Whether a channel secret was given."""
        return bool(self.channel_secret)

    @property
    def has_jwt(self) -> bool:
        """Whether both the kid and the private key were given."""
        return bool(self.kid) and bool(self.key)

    def require_channel_id(self) -> str:
        """The channel id, or a usage error naming ``--channel-id`` and ``LINE_CHANNEL_ID``."""
        value = _require(self.channel_id, "channel id", "--channel-id", ENV_CHANNEL_ID)
        if not (value.isascii() and value.isdigit()):
            raise CliError(
                f"--channel-id / {ENV_CHANNEL_ID} is {value!r}, but a channel id is all digits: "
                f"use {_WHERE['channel id']}",
                EXIT_USAGE,
            )
        return value

    def require_secret(self, why: str = "") -> str:
        """The channel secret, or a usage error naming the option and the variable."""
        return _require(
            self.channel_secret, "channel secret", "--channel-secret", ENV_CHANNEL_SECRET, why
        )

    def require_kid(self, why: str = "") -> str:
        """The assertion kid, or a usage error naming the option and the variable."""
        return _require(self.kid, "assertion kid", "--kid", ENV_KID, why)

    def require_key(self, why: str = "") -> str:
        """The private key (path or text), or a usage error naming the option and the variable."""
        value = _require(self.key, "assertion key", "--key", ENV_KEY, why)
        if value.lstrip().startswith("-----BEGIN") and "\\n" in value:
            value = value.replace("\\n", "\n")  # PEM pasted into a .env file on one line
        return value

    def signer(self, why: str = "") -> AssertionSigner:
        """An assertion signer for the channel, or a usage error that says what to fix."""
        from .._assertion import AssertionSigner

        channel_id = self.require_channel_id()
        kid = self.require_kid(why)
        key = self.require_key(why)
        try:
            return AssertionSigner(channel_id, kid, key, password=self.key_password)
        except InvalidInputError as exc:
            raise CliError(f"--key / {ENV_KEY}: {exc}", EXIT_USAGE) from None

    def client(self) -> Client:
        """A :class:`Client` for the base URL, remembered for network error messages."""
        from .._client import Client

        try:
            client = Client(base_url=self.base_url, timeout=self.timeout, max_retries=self.retries)
        except InvalidInputError as exc:
            raise CliError(f"--base-url / {ENV_BASE_URL}: {exc}", EXIT_USAGE) from None
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.find_root().meta[_BASE_URL_META] = client.base_url
        return client


def used_base_url(ctx: click.Context) -> str | None:
    """The base URL the invocation's client talked to, if one was made."""
    value = ctx.find_root().meta.get(_BASE_URL_META)
    return value if isinstance(value, str) else None


def _require(value: str | None, what: str, option: str, env: str, why: str = "") -> str:
    if value is not None and value.strip():
        return value.strip()
    reason = f" ({why})" if why else ""
    state = "is empty" if value is not None else "is missing"
    raise CliError(
        f"the {what} {state}{reason}: pass {option} or set {env} to {_WHERE[what]}",
        EXIT_USAGE,
    )


def json_option(f: F) -> F:
    """Add ``--json``: print one JSON document instead of human lines."""
    return click.option(
        "--json", "json_mode", is_flag=True, help="Print JSON instead of human lines."
    )(f)


def settings_options(
    *, channel: bool = True, secret: bool = True, assertion: bool = True
) -> Callable[[F], F]:
    """Add the connection options (always) and the chosen credential options.

    The wrapped command receives one ``settings: Settings`` keyword instead of
    the individual option values.
    """

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            settings = Settings(
                base_url=kwargs.pop("base_url", None),
                timeout=kwargs.pop("timeout", 10.0),
                retries=kwargs.pop("retries", 2),
                channel_id=kwargs.pop("channel_id", None),
                channel_secret=kwargs.pop("channel_secret", None),
                kid=kwargs.pop("kid", None),
                key=kwargs.pop("key", None),
                key_password=kwargs.pop("key_password", None),
            )
            return f(*args, settings=settings, **kwargs)

        options: list[Callable[[F], F]] = []
        if channel:
            options.append(
                click.option(
                    "--channel-id",
                    envvar=ENV_CHANNEL_ID,
                    show_envvar=True,
                    metavar="ID",
                    help="The channel's numeric id.",
                )
            )
        if secret:
            options.append(
                click.option(
                    "--channel-secret",
                    envvar=ENV_CHANNEL_SECRET,
                    show_envvar=True,
                    metavar="SECRET",
                    help="The channel secret (prefer the variable: options show in `ps`).",
                )
            )
        if assertion:
            options += [
                click.option(
                    "--kid",
                    envvar=ENV_KID,
                    show_envvar=True,
                    metavar="KID",
                    help="The kid the Console gave the registered public key.",
                ),
                click.option(
                    "--key",
                    envvar=ENV_KEY,
                    show_envvar=True,
                    metavar="PATH|PEM",
                    help="The assertion private key: a file path or the PEM text.",
                ),
                click.option(
                    "--key-password",
                    envvar=ENV_KEY_PASSWORD,
                    show_envvar=True,
                    metavar="PASSWORD",
                    help="The private key's password, if it is encrypted.",
                ),
            ]
        options += [
            click.option(
                "--base-url",
                envvar=ENV_BASE_URL,
                show_envvar=True,
                metavar="URL",
                help="API root [default: https://api.line.me]; the emulator's URL in tests.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=10.0,
                show_default=True,
                help="Seconds for each HTTP request.",
            ),
            click.option(
                "--retries",
                type=click.IntRange(min=0),
                default=2,
                show_default=True,
                help="Retries on network errors and 429/5xx.",
            ),
        ]
        result: F = wrapper
        for option in reversed(options):
            result = option(result)
        return result

    return decorate
