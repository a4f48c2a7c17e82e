"""Run an example bot against the local LINE emulator, with one command.

Starts the emulator on 127.0.0.1 (a fresh channel), starts the chosen bot
pointed at it, prints the URLs and the channel's credentials, and serves
until Ctrl-C. With ``--send TEXT`` it also posts one signed webhook with a
text message to the bot once it is up, and prints what the bot pushed.

Usage::

    python examples/run_against_emulator.py fastapi --send hello
    python examples/run_against_emulator.py flask --send hello
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time

import httpx

from line_token.emulator import Emulator

DEMO_USER_ID = "U" + "0123456789abcdef" * 2


def signed_webhook(channel_secret: str, text: str) -> tuple[str, str]:
    """A webhook body with one text message from ``DEMO_USER_ID``, and its signature."""
    body = json.dumps(
        {
            "destination": "U" + "f" * 32,
            "events": [
                {
                    "type": "message",
                    "mode": "active",
                    "timestamp": int(time.time() * 1000),
                    "source": {"type": "user", "userId": DEMO_USER_ID},
                    "webhookEventId": "01DEMO0000000000000000000",
                    "deliveryContext": {"isRedelivery": False},
                    "message": {"type": "text", "id": "1", "quoteToken": "q", "text": text},
                    "replyToken": "r" * 32,
                }
            ],
        }
    )
    digest = hmac.new(channel_secret.encode(), body.encode(), hashlib.sha256).digest()
    return body, base64.b64encode(digest).decode()


def _wait_for_port(port: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _send_demo(emulator: Emulator, webhook_url: str, port: int, secret: str, text: str) -> None:
    if not _wait_for_port(port):
        print("demo: the bot did not start listening; nothing sent")
        return
    body, signature = signed_webhook(secret, text)
    response = httpx.post(
        webhook_url,
        content=body,
        headers={"Content-Type": "application/json", "X-Line-Signature": signature},
        timeout=30.0,
    )
    print(f"demo: POST {webhook_url} -> {response.status_code}")
    for push in emulator.pushed_messages:
        print(f"demo: pushed to {push.to}: {push.messages}")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, start the emulator and the bot, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("framework", choices=["fastapi", "flask"], nargs="?", default="fastapi")
    parser.add_argument("--port", type=int, default=None, help="bot port (8000 / 5000)")
    parser.add_argument("--send", metavar="TEXT", help="post one signed text message once up")
    args = parser.parse_args(argv)

    emulator = Emulator()
    channel = emulator.create_channel(display_name="line-token example bot")
    with emulator.serve() as server:
        port: int = args.port or (8000 if args.framework == "fastapi" else 5000)
        webhook_url = f"http://127.0.0.1:{port}/callback"
        print(f"LINE emulator:  {server.base_url}")
        print(f"channel:        LINE_CHANNEL_ID={channel.channel_id}")
        print(f"                LINE_CHANNEL_SECRET={channel.channel_secret}")
        print(f"bot webhook:    {webhook_url}  ({args.framework}; Ctrl-C to stop)")
        if args.send is not None:
            threading.Thread(
                target=_send_demo,
                args=(emulator, webhook_url, port, channel.channel_secret, args.send),
                daemon=True,
            ).start()
        if args.framework == "fastapi":
            import uvicorn
            from fastapi_bot import create_app as create_fastapi_app

            app = create_fastapi_app(channel.channel_id, channel.channel_secret, server.base_url)
            uvicorn.run(app, host="127.0.0.1", port=port)
        else:
            from flask_bot import close_app
            from flask_bot import create_app as create_flask_app

            flask_app = create_flask_app(
                channel.channel_id, channel.channel_secret, server.base_url
            )
            try:
                flask_app.run(host="127.0.0.1", port=port)
            finally:
                close_app(flask_app)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
