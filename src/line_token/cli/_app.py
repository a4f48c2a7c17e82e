"""The ``line-token`` command group: global options, error handling, the subcommands."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from .. import __version__
from .._errors import LineTokenError
from ._commands_check import check
from ._commands_emulator import demo, emulator
from ._commands_keys import assertion, jwk, keygen
from ._commands_store import tokens
from ._commands_tokens import issue, kids, revoke, verify
from ._config import used_base_url
from ._exit import EXIT_CODES_HELP, CliError, from_library_error

__all__ = ["cli"]

_DEBUG = "line_token.debug"


class _Group(click.Group):
    """Runs subcommands; turns any failure into one line on stderr unless ``--debug``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except LineTokenError as exc:
            if ctx.meta.get(_DEBUG):
                raise
            raise from_library_error(exc, base_url=used_base_url(ctx)) from None
        except Exception as exc:
            if ctx.meta.get(_DEBUG):
                raise
            raise CliError(
                f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)"
            ) from None


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP
    + """

\b
Settings come from options or these variables:
  LINE_CHANNEL_ID, LINE_CHANNEL_SECRET, LINE_ASSERTION_KID,
  LINE_ASSERTION_KEY (a path or the PEM text), LINE_API_BASE_URL

\b
Shell completion (bash; use zsh_source / fish_source for those shells):
  eval "$(_LINE_TOKEN_COMPLETE=bash_source line-token)"

\b
Examples:
  line-token keygen --out keys/
  export TOKEN=$(line-token issue stateless --quiet)
  line-token check""",
)
@click.version_option(__version__, "-V", "--version", prog_name="line-token")
@click.option("--debug", is_flag=True, help="Show tracebacks and HTTP debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """LINE Messaging API channel access tokens: keys, assertions, issue, verify, revoke.

    Run `line-token check` first: it tells you what is missing from your setup.
    Try everything offline with `line-token demo` or `line-token emulator`.
    """
    ctx.meta[_DEBUG] = debug
    _log_to_stderr(ctx, logging.DEBUG if debug else logging.WARNING)


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"line-token: {record.levelname.lower()}: {record.getMessage()}"


def _log_to_stderr(ctx: click.Context, level: int) -> None:
    """Show the library's warnings (and with --debug its debug logs) as plain stderr lines."""
    logger = logging.getLogger("line_token")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Format())
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    ctx.call_on_close(restore)


for _command in (
    keygen,
    jwk,
    assertion,
    issue,
    verify,
    revoke,
    kids,
    check,
    tokens,
    emulator,
    demo,
):
    cli.add_command(_command)
del _command
