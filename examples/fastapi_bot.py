"""An async LINE bot (FastAPI) that answers messages by *pushing* with a managed token.

The webhook signature is checked by the official SDK's ``WebhookParser``; each
message event from a user is answered with a push message sent through
line-bot-sdk's ``AsyncMessagingApi``, whose channel access token an
``AsyncTokenManager`` issues (stateless, by channel secret) and refreshes.

Run::

    LINE_CHANNEL_ID=... LINE_CHANNEL_SECRET=... python examples/fastapi_bot.py

or against the local emulator: ``python examples/run_against_emulator.py fastapi``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import PushMessageRequest, TextMessage
from linebot.v3.webhooks import Event, MessageEvent, TextMessageContent

from line_token import AsyncTokenManager, StatelessIssuer
from line_token.integrations.linebot import async_messaging_api
from line_token.stores import MemoryStore

__all__ = ["create_app"]


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


def create_app(channel_id: str, channel_secret: str, base_url: str) -> FastAPI:
    """The bot as an ASGI app; the token manager and API client live for its lifespan.

    Args:
        channel_id: the channel's id.
        channel_secret: the channel's secret (checks signatures and issues tokens).
        base_url: the LINE API root, e.g. ``https://api.line.me`` or the emulator's URL.
    """
    parser = WebhookParser(channel_secret)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        issuer = StatelessIssuer(channel_id, channel_secret=channel_secret)
        async with AsyncTokenManager(issuer, store=MemoryStore(), base_url=base_url) as manager:
            api: Any = async_messaging_api(manager, host=base_url)
            app.state.line_api = api
            try:
                yield
            finally:
                await api.api_client.close()

    app = FastAPI(title="line-token example bot (FastAPI)", lifespan=lifespan)

    @app.post("/callback")
    async def callback(request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8")
        signature = request.headers.get("x-line-signature", "")
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            raise HTTPException(status_code=400, detail="invalid signature") from None
        api: Any = request.app.state.line_api
        for event in events:
            user_id = push_target(event)
            if user_id is None:
                continue
            await api.push_message(
                PushMessageRequest(to=user_id, messages=[TextMessage(text=answer_for(event))])
            )
        return {"status": "ok"}

    return app


def main() -> None:
    """Serve the bot on 127.0.0.1 (``PORT``, default 8000) with settings from the environment."""
    import uvicorn

    config = Config.from_env()
    app = create_app(config.channel_id, config.channel_secret, config.base_url)
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
