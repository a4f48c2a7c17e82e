"""Console emulation over HTTP (JSON in and out) under ``/__emulator__/``.

Routes::

    POST   /__emulator__/channels
           {display_name?, channel_id?, channel_secret?, picture_url?}
    GET    /__emulator__/channels
    POST   /__emulator__/channels/{id}/keys           a public JWK (or {"jwk": ...}) -> {"kid"}
    POST   /__emulator__/channels/{id}/long-lived-token            -> {"access_token"}
    GET    /__emulator__/tokens[?channel_id=&kind=]
    GET    /__emulator__/clock                                     -> {"now"}
    POST   /__emulator__/clock/advance                {seconds}    -> {"now"}
    POST   /__emulator__/faults
           {path, status?, body?, delay?, drop?, count?, retry_after?, process?}
    DELETE /__emulator__/faults
    POST   /__emulator__/rate-limits                  {path, limit, per?}
    DELETE /__emulator__/rate-limits
    POST   /__emulator__/reset
    GET    /__emulator__/requests                                  -> {"requests", "counts"}
    GET    /__emulator__/messages                                  -> {"messages"}

Errors answer ``{"message": ...}`` with 400 (bad input) or 404 (unknown route/channel).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._handler import Response, json_response
from ._models import Channel, Token

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["handle_console"]


class _BadInput(Exception):
    pass


def _channel_json(channel: Channel) -> dict[str, Any]:
    return {
        "channel_id": channel.channel_id,
        "channel_secret": channel.channel_secret,
        "display_name": channel.display_name,
        "user_id": channel.user_id,
        "basic_id": channel.basic_id,
        "picture_url": channel.picture_url,
        "kids": sorted(channel.keys),
    }


def _token_json(token: Token, now: float) -> dict[str, Any]:
    return {
        "access_token": token.value,
        "kind": token.kind.value,
        "channel_id": token.channel_id,
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "key_id": token.key_id,
        "revoked": token.revoked,
        "active": token.active(now),
    }


def _json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _BadInput("the body must be JSON") from None
    if not isinstance(data, dict):
        raise _BadInput("the body must be a JSON object")
    return data


def _opt_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise _BadInput(f"{name} must be a string")
    return value


def _channels(emu: Emulator, method: str, parts: list[str], body: bytes) -> Any:
    if not parts:
        if method == "GET":
            return {"channels": [_channel_json(c) for c in emu.channels]}
        if method == "POST":
            data = _json_body(body)
            channel = emu.create_channel(
                display_name=_opt_str(data, "display_name") or "Emulated bot",
                channel_id=_opt_str(data, "channel_id"),
                channel_secret=_opt_str(data, "channel_secret"),
                picture_url=_opt_str(data, "picture_url"),
            )
            return _channel_json(channel)
    if len(parts) == 2 and method == "POST" and parts[1] == "keys":
        data = _json_body(body)
        jwk = data.get("jwk", data)
        return {"kid": emu.register_public_key(parts[0], jwk)}
    if len(parts) == 2 and method == "POST" and parts[1] == "long-lived-token":
        return {"access_token": emu.issue_long_lived_token(parts[0])}
    return None


def _faults(emu: Emulator, method: str, body: bytes) -> Any:
    if method == "DELETE":
        emu.clear_faults()
        return {}
    data = _json_body(body)
    path = data.get("path", "*")
    status, count, delay = data.get("status"), data.get("count", 1), data.get("delay", 0.0)
    if not isinstance(path, str) or (status is not None and not isinstance(status, int)):
        raise _BadInput("path must be a string and status an integer")
    if not isinstance(count, int) or not isinstance(delay, int | float):
        raise _BadInput("count must be an integer and delay a number")
    emu.inject_fault(
        path,
        status=status,
        body=data.get("body"),
        delay=delay,
        drop=data.get("drop") is True,
        count=count,
        retry_after=data.get("retry_after"),
        process=data.get("process") is True,
    )
    return {}


def _rate_limits(emu: Emulator, method: str, body: bytes) -> Any:
    if method == "DELETE":
        emu.clear_rate_limits()
        return {}
    data = _json_body(body)
    path, limit, per = data.get("path", "*"), data.get("limit"), data.get("per", 1.0)
    if not isinstance(path, str) or not isinstance(limit, int) or not isinstance(per, int | float):
        raise _BadInput("path must be a string, limit an integer, per a number")
    emu.set_rate_limit(path, limit, per)
    return {}


def _reset(emu: Emulator) -> dict[str, Any]:
    emu.reset()
    return {}


def _route(
    emu: Emulator, method: str, parts: list[str], query: Mapping[str, str], body: bytes
) -> Any:
    head, rest = parts[0] if parts else "", parts[1:]
    simple: dict[tuple[str, str], Any] = {
        ("GET", "clock"): lambda: {"now": emu.now()},
        ("POST", "reset"): lambda: _reset(emu),
        ("GET", "messages"): lambda: {
            "messages": [dataclasses.asdict(m) for m in emu.pushed_messages]
        },
        ("GET", "requests"): lambda: {
            "requests": [dataclasses.asdict(r) for r in emu.requests],
            "counts": emu.counts(),
        },
        ("GET", "tokens"): lambda: {
            "tokens": [
                _token_json(t, emu.now())
                for t in emu.tokens(query.get("channel_id"), query.get("kind"))
            ]
        },
    }
    if not rest and (method, head) in simple:
        return simple[(method, head)]()
    if head == "clock" and rest == ["advance"] and method == "POST":
        seconds = _json_body(body).get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise _BadInput("seconds must be a number")
        return {"now": emu.advance(seconds)}
    if head == "channels":
        return _channels(emu, method, rest, body)
    if head == "faults" and not rest and method in ("POST", "DELETE"):
        return _faults(emu, method, body)
    if head == "rate-limits" and not rest and method in ("POST", "DELETE"):
        return _rate_limits(emu, method, body)
    return None


def handle_console(
    emu: Emulator, method: str, path: str, query: Mapping[str, str], body: bytes
) -> Response:
    """Answer one console request."""
    parts = [p for p in path[len("/__emulator__/") :].split("/") if p]
    try:
        result = _route(emu, method.upper(), parts, query, body)
    except KeyError as exc:
        return json_response(404, {"message": str(exc.args[0]) if exc.args else "not found"})
    except (ValueError, TypeError, _BadInput) as exc:
        return json_response(400, {"message": str(exc)})
    if result is None:
        return json_response(404, {"message": "Not found"})
    return json_response(200, result)
