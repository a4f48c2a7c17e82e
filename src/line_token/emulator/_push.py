"""Validation of a push-message request body, with LINE's ``details`` error shape."""

from __future__ import annotations

import json
import re
from typing import Any

from ._replies import ApiError, message_error

__all__ = ["MESSAGE_TYPES", "check_retry_key", "parse_push_body"]

MESSAGE_TYPES = frozenset(
    {
        "text",
        "sticker",
        "image",
        "video",
        "audio",
        "location",
        "imagemap",
        "template",
        "flex",
        "textV2",
    }
)
_MAX_MESSAGES = 5
_MAX_TEXT = 5000
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _detail(message: str, prop: str) -> dict[str, str]:
    return {"message": message, "property": prop}


def _message_errors(index: int, message: object) -> list[dict[str, str]]:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        return [_detail("must be an object", where)]
    kind = message.get("type")
    if not isinstance(kind, str) or not kind:
        return [_detail("must be specified", f"{where}.type")]
    if kind not in MESSAGE_TYPES:
        return [_detail("invalid message type", f"{where}.type")]
    if kind in ("text", "textV2"):
        text = message.get("text")
        if not isinstance(text, str) or not text:
            return [_detail("must be specified", f"{where}.text")]
        if len(text) > _MAX_TEXT:
            return [_detail(f"length must be between 0 and {_MAX_TEXT}", f"{where}.text")]
    return []


def parse_push_body(body: bytes) -> dict[str, Any]:
    """The request as a dict, or 400 ``The request body has N error(s)`` with details."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise message_error(
            "The request body has 1 error(s)",
            details=[_detail("The request body is not valid JSON", "")],
        ) from None
    if not isinstance(data, dict):
        raise message_error(
            "The request body has 1 error(s)", details=[_detail("must be an object", "")]
        )
    errors: list[dict[str, str]] = []
    to = data.get("to")
    if not isinstance(to, str) or not to:
        errors.append(_detail("must be specified", "to"))
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        errors.append(_detail("must be specified", "messages"))
    elif len(messages) > _MAX_MESSAGES:
        errors.append(_detail(f"size must be between 1 and {_MAX_MESSAGES}", "messages"))
    else:
        for i, message in enumerate(messages):
            errors.extend(_message_errors(i, message))
    if errors:
        raise message_error(f"The request body has {len(errors)} error(s)", details=errors)
    return data


def check_retry_key(value: str | None) -> str | None:
    """The ``X-Line-Retry-Key`` header if it is a UUID; 400 if present but not one."""
    if value is None:
        return None
    if not _UUID.fullmatch(value.strip()):
        raise ApiError(400, {"message": "The retry key must be a UUID in hexadecimal format"})
    return value.strip()
