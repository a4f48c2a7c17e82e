"""A synchronous LINE bot (Flask) that answers messages by *pushing* with a managed token.

The webhook signature is checked by the official SDK's ``WebhookParser``; each
message event from a user is answered with a push message sent through
line-bot-sdk's ``MessagingApi``, whose channel access token a ``TokenManager``
issues (stateless, by channel secret) and refreshes.

Run::

    LINE_CHANNEL_ID=... LINE_CHANNEL_SECRET=... python examples/flask_bot.py

or against the local emulator: ``python examples/run_against_emulator.py flask``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import PushMessageRequest, TextMessage
from linebot.v3.webhooks import Event, MessageEvent, TextMessageContent

from line_token import StatelessIssuer, TokenManager
from line_token.integrations.linebot import messaging_api
from line_token.stores import MemoryStore

__all__ = ["close_app", "create_app"]


LINE_API_BASE_URL = "https://api.line.me"


@dataclass(frozen=True)
class Config:
    """The bot's settings: ``LINE_CHANNEL_ID``, ``LINE_CHANNEL_SECRET``, ``LINE_API_BASE_URL``."""

    channel_id: str
    channel_secret: str
    base_url: str = LINE_API_BASE_URL

    @classmethod
    def from_env(cls) -> Config:
        """Read the settings from the environment; exit with a message if one is missing."""
        missing = [n for n in ("LINE_CHANNEL_ID", "LINE_CHANNEL_SECRET") if not os.environ.get(n)]
        if missing:
            raise SystemExit(f"set {' and '.join(missing)} (see examples/README.md)")
        return cls(
            channel_id=os.environ["LINE_CHANNEL_ID"],
            channel_secret=os.environ["LINE_CHANNEL_SECRET"],
            base_url=os.environ.get("LINE_API_BASE_URL") or LINE_API_BASE_URL,
        )


def push_target(event: Event) -> str | None:
    """The user to push an answer to, or ``None`` if ``event`` is not a message from a user."""
    if not isinstance(event, MessageEvent):
        return None
    user_id: str | None = getattr(event.source, "user_id", None)
    return user_id


def answer_for(event: MessageEvent) -> str:
    """The text pushed back for a message event: an echo of text, a note otherwise."""
    if isinstance(event.message, TextMessageContent):
        return f"You said: {event.message.text}"
    return f"Got your {event.message.type} message."


def create_app(channel_id: str, channel_secret: str, base_url: str) -> Flask:
    """The bot as a WSGI app; release its resources with :func:`close_app`.

    Args:
        channel_id: the channel's id.
        channel_secret: the channel's secret (checks signatures and issues tokens).
        base_url: the LINE API root, e.g. ``https://api.line.me`` or the emulator's URL.
    """
    parser = WebhookParser(channel_secret)
    issuer = StatelessIssuer(channel_id, channel_secret=channel_secret)
    manager = TokenManager(issuer, store=MemoryStore(), base_url=base_url)
    api: Any = messaging_api(manager, host=base_url)

    app = Flask(__name__)
    app.extensions["line_token"] = {"manager": manager, "api": api}

    @app.post("/callback")
    def callback() -> dict[str, str]:
        body = request.get_data(as_text=True)
        signature = request.headers.get("X-Line-Signature", "")
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            abort(400, description="invalid signature")
        for event in events:
            user_id = push_target(event)
            if user_id is None:
                continue
            api.push_message(
                PushMessageRequest(to=user_id, messages=[TextMessage(text=answer_for(event))])
            )
        return {"status": "ok"}

    return app


def close_app(app: Flask) -> None:
    """Close the app's API client and token manager."""
    parts = app.extensions.pop("line_token", None)
    if parts is not None:
        parts["api"].api_client.close()
        parts["manager"].close()


def main() -> None:
    """Serve the bot on 127.0.0.1 (``PORT``, default 5000) with settings from the environment."""
    config = Config.from_env()
    app = create_app(config.channel_id, config.channel_secret, config.base_url)
    try:
        app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
    finally:
        close_app(app)


if __name__ == "__main__":
    main()
