"""Signed LINE webhook bodies for the example bots' tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

USER_ID = "U" + "0123456789abcdef" * 2


def webhook_body(text: str = "hello", user_id: str = USER_ID) -> str:
    """A LINE webhook body with one text message event from ``user_id``."""
    payload: dict[str, Any] = {
        "destination": "U" + "f" * 32,
        "events": [
            {
                "type": "message",
                "mode": "active",
                "timestamp": 1_700_000_000_000,
                "source": {"type": "user", "userId": user_id},
                "webhookEventId": "01HXAMPLE0000000000000000",
                "deliveryContext": {"isRedelivery": False},
                "message": {"type": "text", "id": "1", "quoteToken": "q", "text": text},
                "replyToken": "r" * 32,
            }
        ],
    }
    return json.dumps(payload)


def sign(channel_secret: str, body: str) -> str:
    """The ``X-Line-Signature`` LINE sends: base64(HMAC-SHA256(channel_secret, body))."""
    digest = hmac.new(channel_secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
