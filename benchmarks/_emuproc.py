"""Child process: serve an emulator with one channel and one registered key until stdin closes.

Prints one JSON line (base_url, channel id and secret, kid) and writes the
private key PEM to the first argument's path.

The second argument picks the server: ``nodelay`` (default) serves the
emulator's ASGI app on a socket made with ``IPPROTO_TCP``, so asyncio sets
``TCP_NODELAY`` on every accepted connection; ``shipped`` uses
``Emulator.serve()`` as it is, whose ``socket.socket(family, SOCK_STREAM)``
has ``proto == 0``, so asyncio's ``_set_nodelay`` skips it and every kept-alive
request after the first waits ~40 ms for a delayed ACK (reported as a finding).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from line_token import generate_key_pair
from line_token.emulator import Emulator


@contextlib.contextmanager
def serve_nodelay(emulator: Emulator) -> Iterator[str]:
    """The emulator's own ASGI app and uvicorn settings, on a TCP_NODELAY-capable socket."""
    import uvicorn

    from line_token.emulator._server import _config, asgi_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    server = uvicorn.Server(_config(asgi_app(emulator), "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@contextlib.contextmanager
def serve_shipped(emulator: Emulator) -> Iterator[str]:
    """``Emulator.serve()`` exactly as line-token ships it."""
    with emulator.serve() as server:
        yield server.base_url


def main() -> None:
    """Serve until stdin reaches EOF."""
    emulator = Emulator(clock=time.time)  # real time: assertions carry real exp claims
    channel = emulator.create_channel(display_name="bench")
    pair = generate_key_pair()
    kid = emulator.register_public_key(channel.channel_id, pair.public_jwk)
    Path(sys.argv[1]).write_bytes(pair.private_pem)
    mode = sys.argv[2] if len(sys.argv) > 2 else "nodelay"
    serve = serve_shipped if mode == "shipped" else serve_nodelay
    with serve(emulator) as base_url:
        info = {
            "base_url": base_url,
            "channel_id": channel.channel_id,
            "channel_secret": channel.channel_secret,
            "kid": kid,
        }
        print(json.dumps(info), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
