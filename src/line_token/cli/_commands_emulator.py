"""``emulator`` (serve the local LINE emulator) and ``demo`` (walk the whole lifecycle on it).

Both import the emulator lazily: it pulls uvicorn, which the other commands never need.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import LineApiError
from .._files import write_private_file
from .._models import mask_token
from ._config import (
    ASSERTION_LIFETIME,
    ENV_BASE_URL,
    ENV_CHANNEL_ID,
    ENV_CHANNEL_SECRET,
    ENV_KEY,
    ENV_KID,
    json_option,
)
from ._exit import EXIT_USAGE, CliError
from ._output import Output, format_expiry, human_duration

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..emulator._server import EmulatorServer

__all__ = ["SeededChannel", "demo", "emulator", "start_emulator"]


@dataclass(frozen=True)
class SeededChannel:
    """A channel made in the emulator, with its registered assertion key on disk."""

    base_url: str
    channel_id: str
    channel_secret: str = field(repr=False)
    kid: str
    key_path: Path
    public_jwk: dict[str, str]

    def exports(self) -> list[str]:
        """Shell lines that point ``line-token`` (and the library) at this channel."""
        return [
            f"export {ENV_BASE_URL}={self.base_url}",
            f"export {ENV_CHANNEL_ID}={self.channel_id}",
            f"export {ENV_CHANNEL_SECRET}={self.channel_secret}",
            f"export {ENV_KID}={self.kid}",
            f"export {ENV_KEY}={self.key_path}",
        ]


@contextmanager
def start_emulator(
    host: str = "127.0.0.1", port: int = 0, seed: int | None = None
) -> Iterator[tuple[Emulator, EmulatorServer, SeededChannel]]:
    """Serve an emulator over HTTP with one channel and a registered key; clean up after.

    The private key is written 0600 in a fresh temporary directory, removed on exit.
    """
    try:
        from ..emulator import Emulator, VirtualClock
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CliError(
            f"the emulator needs the 'emulator' extra ({exc}): pip install 'line-token[emulator]'",
            EXIT_USAGE,
        ) from None
    from .._keys import generate_key_pair

    emu = Emulator(clock=VirtualClock(running=True), seed=seed)
    channel = emu.create_channel(display_name="line-token emulator bot")
    pair = generate_key_pair()
    kid = emu.register_public_key(channel.channel_id, pair.public_jwk)
    workdir = Path(tempfile.mkdtemp(prefix="line-token-emulator-"))
    try:
        key_path = workdir / "private.pem"
        write_private_file(key_path, pair.private_pem, force=False)
        try:
            server = emu.serve(host, port)
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another "
                "--port (0 picks a free one)",
                EXIT_USAGE,
            ) from None
        with server:
            seeded = SeededChannel(
                server.base_url,
                channel.channel_id,
                channel.channel_secret,
                kid,
                key_path,
                dict(pair.public_jwk),
            )
            yield emu, server, seeded
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM (tests replace this)."""

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while True:
            time.sleep(3600)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--seed", type=int, default=None, help="Make channel ids, secrets and tokens repeatable."
)
@json_option
def emulator(host: str, port: int, seed: int | None, json_mode: bool) -> None:
    """Serve the local LINE emulator, with one channel and a registered key ready.

    Prints the base URL and the channel's id, secret, kid and private key file
    (0600, in a temporary directory removed on exit), and export lines to paste
    into another shell. Console emulation (channels, keys, the clock, faults)
    is under /__emulator__/ on the same server. Ctrl-C stops it.

    \b
    Examples:
      line-token emulator --port 8080
      line-token emulator --seed 1 --json
    """
    out = Output(json_mode=json_mode)
    with start_emulator(host, port, seed) as (_emu, _server, seeded):
        if json_mode:
            out.json(
                {
                    "base_url": seeded.base_url,
                    "channel_id": seeded.channel_id,
                    "channel_secret": seeded.channel_secret,
                    "kid": seeded.kid,
                    "private_key": str(seeded.key_path),
                    "console": seeded.base_url + "/__emulator__/",
                }
            )
        else:
            out.title(f"LINE emulator listening on {seeded.base_url}")
            out.field("channel id", seeded.channel_id, width=14)
            out.field("secret", seeded.channel_secret, width=14)
            out.field("kid", seeded.kid, width=14)
            out.field("private key", f"{seeded.key_path}  (0600; deleted on exit)", width=14)
            out.field("console", seeded.base_url + "/__emulator__/", width=14)
            out.line()
            out.line("Paste into another shell:", style="bold")
            for line in seeded.exports():
                out.raw(line)
            out.line()
            out.line("Then: line-token check    (Ctrl-C here stops the emulator)")
        with suppress(KeyboardInterrupt):
            wait_for_interrupt()
    out.note("emulator stopped")


# --- demo -----------------------------------------------------------------------


class _Steps:
    def __init__(self, out: Output) -> None:
        self.out = out
        self.number = 0

    def step(self, title: str) -> None:
        self.number += 1
        self.out.line()
        self.out.title(f"{self.number}. {title}")

    def ok(self, text: str) -> None:
        self.out.check("ok", text)

    def fail(self, text: str) -> None:
        self.out.check("fail", text)


def _expected_failure(action: Callable[[], object]) -> str:
    try:
        action()
    except LineApiError as exc:
        return f"HTTP {exc.status}: {exc.error_description or exc.message or exc.error}"
    raise CliError("the demo expected LINE to refuse a revoked token, but it was accepted")


def _push(base_url: str, token: str, to: str, text: str) -> dict[str, Any]:
    import httpx

    response = httpx.post(
        f"{base_url}/v2/bot/message/push",
        headers={"Authorization": f"Bearer {token}"},
        json={"to": to, "messages": [{"type": "text", "text": text}]},
        timeout=10.0,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


@click.command()
@click.option("--seed", type=int, default=None, help="Make ids and tokens repeatable.")
def demo(seed: int | None) -> None:
    """Walk the whole token lifecycle against a local emulator (no network needed).

    Starts the emulator on a free loopback port, then: makes a key pair,
    registers it, signs an assertion, issues, verifies, lists and revokes a
    v2.1 token, issues stateless tokens by secret and by JWT and a short-lived
    token, calls bot info and pushes a message with them, and shows that a
    revoked token is refused. Tokens are shown masked.

    \b
    Examples:
      line-token demo
    """
    from .._assertion import AssertionSigner
    from .._client import Client
    from .._keys import generate_key_pair, jwk_thumbprint

    out = Output()
    steps = _Steps(out)
    with start_emulator(seed=seed) as (emu, server, _seeded):
        base = server.base_url
        out.title(f"line-token demo: the LINE emulator runs at {base}")

        steps.step("Create a channel (what the LINE Developers Console does)")
        channel = emu.create_channel(display_name="Demo bot")
        steps.ok(f"channel {channel.channel_id}, secret {mask_token(channel.channel_secret)}")

        steps.step("Make an RSA key pair for assertion signing (`line-token keygen`)")
        pair = generate_key_pair()
        steps.ok(f"2048-bit RSA; public JWK thumbprint {jwk_thumbprint(pair.public_jwk)}")
        out.line(
            "   public JWK: "
            + json.dumps({k: v[:12] + "..." if k == "n" else v for k, v in pair.public_jwk.items()})
        )

        steps.step("Register the public key in the Console; it assigns a kid")
        kid = emu.register_public_key(channel.channel_id, pair.public_jwk)
        steps.ok(f"kid {kid}")

        steps.step("Sign a JWT assertion (`line-token assertion`)")
        signer = AssertionSigner(channel.channel_id, kid, pair.private_pem)
        jwt = signer.sign(token_exp=30 * 24 * 3600, lifetime=ASSERTION_LIFETIME)
        steps.ok(
            f"RS256 JWT {mask_token(jwt)}: iss=sub={channel.channel_id}, "
            f"aud=https://api.line.me/, token_exp=30 days, "
            f"assertion valid {human_duration(ASSERTION_LIFETIME)}"
        )

        with Client(base_url=base, max_retries=0) as client:
            steps.step("Issue a v2.1 token with the assertion (`line-token issue v2.1`)")
            v21 = client.issue_v21_token(jwt)
            steps.ok(
                f"v2.1 token {mask_token(v21.access_token)}, key id {v21.key_id}, "
                f"{format_expiry(v21.expires_at, time.time())}"
            )

            steps.step("Verify it (`line-token verify`)")
            info = client.verify_v21_token(v21.access_token)
            steps.ok(
                f"valid for channel {info.client_id}, {human_duration(info.expires_in)} left, "
                f"scope {info.scope!r}"
            )

            steps.step("List the channel's valid v2.1 key ids (`line-token kids`)")
            kids = client.get_v21_key_ids(signer.sign(lifetime=ASSERTION_LIFETIME))
            steps.ok(f"{len(kids)} of 30: {', '.join(kids)}")

            steps.step("Issue stateless tokens, by channel secret and by JWT")
            by_secret = client.issue_stateless_token(
                channel_id=channel.channel_id, channel_secret=channel.channel_secret
            )
            steps.ok(
                f"by secret: {mask_token(by_secret.access_token)}, "
                f"lives {human_duration(by_secret.expires_in)}"
            )
            by_jwt = client.issue_stateless_token(
                assertion=signer.sign(token_exp=900, lifetime=ASSERTION_LIFETIME)
            )
            steps.ok(
                f"by JWT:    {mask_token(by_jwt.access_token)}, "
                f"lives {human_duration(by_jwt.expires_in)}"
            )

            steps.step("Issue a short-lived token with id and secret (`issue short-lived`)")
            short = client.issue_short_lived_token(channel.channel_id, channel.channel_secret)
            steps.ok(
                f"short-lived token {mask_token(short.access_token)}, "
                f"lives {human_duration(short.expires_in)}"
            )

            steps.step("Call GET /v2/bot/info with each token")
            for label, token in (
                ("v2.1", v21),
                ("stateless (secret)", by_secret),
                ("stateless (JWT)", by_jwt),
                ("short-lived", short),
            ):
                bot = client.get_bot_info(token.access_token)
                steps.ok(f"{label:<19} -> {bot.display_name} ({bot.basic_id}, {bot.user_id})")

            steps.step("Push a message with the v2.1 token (POST /v2/bot/message/push)")
            to = "U" + "0123456789abcdef" * 2
            sent = _push(base, v21.access_token, to, "Hello from line-token demo")
            message_ids = [m.get("id") for m in sent.get("sentMessages", [])]
            steps.ok(f"sent to {to}: message id(s) {', '.join(map(str, message_ids))}")

            steps.step("Revoke the v2.1 token (needs id + secret) and the short-lived one")
            client.revoke_v21_token(channel.channel_id, channel.channel_secret, v21.access_token)
            steps.ok(f"revoked v2.1 token {mask_token(v21.access_token)}")
            client.revoke_token(short.access_token)
            steps.ok(f"revoked short-lived token {mask_token(short.access_token)}")

            steps.step("The revoked tokens now fail")
            reason = _expected_failure(lambda: client.verify_v21_token(v21.access_token))
            steps.ok(f"verify v2.1     -> {reason}")
            reason = _expected_failure(lambda: client.get_bot_info(v21.access_token))
            steps.ok(f"bot info (v2.1) -> {reason}")
            reason = _expected_failure(lambda: client.verify_token(short.access_token))
            steps.ok(f"verify short-lived -> {reason}")
            kids = client.get_v21_key_ids(signer.sign(lifetime=ASSERTION_LIFETIME))
            steps.ok(f"valid v2.1 key ids now: {len(kids)}")

            steps.step("Stateless tokens cannot be revoked: they expire (advance the clock)")
            emu.advance(16 * 60)
            reason = _expected_failure(lambda: client.get_bot_info(by_secret.access_token))
            steps.ok(f"16 minutes later, bot info with the stateless token -> {reason}")

    out.line()
    out.line("Demo complete: every step worked against the local emulator.", style="bold green")
    out.line(
        "Next: `line-token emulator` to keep one running, or `line-token keygen` for real LINE."
    )
