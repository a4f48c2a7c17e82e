"""Framework-free HTTP handling: (method, path, query, headers, body) -> Response.

One function per LINE endpoint turns form/query fields into a call on
:class:`~._state.LineState`; faults, the rate limit, the request log and the
``x-line-request-id`` header are applied around it. Both shells (the httpx
transport and the real server) call :meth:`Handler.handle` and only act on
``Response.delay`` / ``Response.drop``.
"""

from __future__ import annotations

import http
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from ._faults import Fault, FaultBook, RateLimiter
from ._models import RequestRecord
from ._push import check_retry_key, parse_push_body
from ._replies import MISSING_PARAMS, RATE_LIMITED, ApiError, oauth_error
from ._state import LineState

__all__ = ["ASSERTION_TYPE", "ROUTES", "Handler", "Response", "json_response"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_FORM = "application/x-www-form-urlencoded"
_log = logging.getLogger("line_token.emulator")


@dataclass(slots=True)
class Response:
    """What to answer. ``delay``: seconds to wait first; ``drop``: close without answering."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)  # holds the tokens it issues
    delay: float = 0.0
    drop: bool = False

    def json(self) -> Any:
        """The body parsed as JSON (for tests)."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    request_id: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def form(self) -> dict[str, str]:
        """Form fields; empty values count as absent. Non-form bodies have no fields."""
        ctype = (self.header("content-type") or _FORM).split(";")[0].strip().lower()
        if ctype != _FORM:
            return {}
        try:
            pairs = parse_qsl(self.body.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
        except (UnicodeDecodeError, ValueError):
            raise oauth_error("invalid_request", MISSING_PARAMS) from None
        fields: dict[str, str] = {}
        for name, value in pairs:
            if value:
                fields.setdefault(name, value)
        return fields


def _need(fields: Mapping[str, str], *names: str) -> list[str]:
    values = [fields.get(n) for n in names]
    if not all(isinstance(v, str) and v for v in values):
        raise oauth_error("invalid_request", MISSING_PARAMS)
    return [v for v in values if v is not None]


def _client_credentials(grant_type: str) -> None:
    if grant_type != "client_credentials":
        raise oauth_error("unsupported_grant_type", "unsupported grant_type")


def _assertion_type(value: str) -> None:
    if value != ASSERTION_TYPE:
        raise oauth_error("invalid_request", MISSING_PARAMS)


Endpoint = Callable[[LineState, _Request], "dict[str, Any] | None"]


def _issue_short_lived(state: LineState, req: _Request) -> dict[str, Any]:
    grant, cid, secret = _need(req.form(), "grant_type", "client_id", "client_secret")
    _client_credentials(grant)
    return state.issue_short_lived(cid, secret)


def _verify_short_lived(state: LineState, req: _Request) -> dict[str, Any]:
    (token,) = _need(req.form(), "access_token")
    return state.verify_short_lived(token)


def _revoke_short_lived(state: LineState, req: _Request) -> None:
    token = req.form().get("access_token")
    if not token:
        raise oauth_error("invalid_request")
    state.revoke_short_lived(token)


def _issue_v21(state: LineState, req: _Request) -> dict[str, Any]:
    grant, atype, assertion = _need(
        req.form(), "grant_type", "client_assertion_type", "client_assertion"
    )
    _client_credentials(grant)
    _assertion_type(atype)
    return state.issue_v21(assertion)


def _verify_v21(state: LineState, req: _Request) -> dict[str, Any]:
    (token,) = _need(req.query, "access_token")
    return state.verify_v21(token)


def _revoke_v21(state: LineState, req: _Request) -> None:
    cid, secret, token = _need(req.form(), "client_id", "client_secret", "access_token")
    state.revoke_v21(cid, secret, token)


def _v21_key_ids(state: LineState, req: _Request) -> dict[str, Any]:
    atype, assertion = _need(req.query, "client_assertion_type", "client_assertion")
    _assertion_type(atype)
    return state.v21_key_ids(assertion)


def _issue_stateless(state: LineState, req: _Request) -> dict[str, Any]:
    fields = req.form()
    (grant,) = _need(fields, "grant_type")
    by_jwt = "client_assertion" in fields or "client_assertion_type" in fields
    by_secret = "client_id" in fields or "client_secret" in fields
    if by_jwt == by_secret:  # neither, or both: ambiguous
        raise oauth_error("invalid_request", MISSING_PARAMS)
    _client_credentials(grant)
    if by_jwt:
        atype, assertion = _need(fields, "client_assertion_type", "client_assertion")
        _assertion_type(atype)
        return state.issue_stateless_by_assertion(assertion)
    cid, secret = _need(fields, "client_id", "client_secret")
    return state.issue_stateless_by_secret(cid, secret)


def _bot_info(state: LineState, req: _Request) -> dict[str, Any]:
    return state.bot_info(state.authenticate(req.header("authorization")))


def _push(state: LineState, req: _Request) -> dict[str, Any]:
    token = state.authenticate(req.header("authorization"))
    retry_key = check_retry_key(req.header("x-line-retry-key"))
    body = parse_push_body(req.body)
    return state.push(token, body, retry_key=retry_key, request_id=req.request_id)


ROUTES: dict[str, dict[str, Endpoint]] = {
    "/v2/oauth/accessToken": {"POST": _issue_short_lived},
    "/v2/oauth/verify": {"POST": _verify_short_lived},
    "/v2/oauth/revoke": {"POST": _revoke_short_lived},
    "/oauth2/v2.1/token": {"POST": _issue_v21},
    "/oauth2/v2.1/verify": {"GET": _verify_v21},
    "/oauth2/v2.1/revoke": {"POST": _revoke_v21},
    "/oauth2/v2.1/tokens/kid": {"GET": _v21_key_ids},
    "/oauth2/v3/token": {"POST": _issue_stateless},
    "/v2/bot/info": {"GET": _bot_info},
    "/v2/bot/message/push": {"POST": _push},
}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response (``body`` None: empty body, no content type)."""
    out = dict(headers or {})
    if body is None:
        return Response(status, out)
    out["content-type"] = "application/json"
    return Response(status, out, json.dumps(body, separators=(",", ":")).encode())


def _fault_response(fault: Fault) -> Response:
    assert fault.status is not None
    body = fault.body
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = str(fault.retry_after)
    if body is None:
        if fault.status == 429:
            body = {"message": RATE_LIMITED}
        else:
            try:
                body = {"message": http.HTTPStatus(fault.status).phrase}
            except ValueError:
                body = {"message": "Error"}
    if isinstance(body, str | bytes):
        raw = body.encode() if isinstance(body, str) else body
        headers["content-type"] = "text/plain; charset=utf-8"
        return Response(fault.status, headers, raw)
    return json_response(fault.status, body, headers)


class Handler:
    """Answers LINE's endpoints from a :class:`LineState`, under one lock.

    Args:
        state: the model.
        lock: held while the state is read or changed.
    """

    def __init__(self, state: LineState, lock: threading.RLock | None = None) -> None:
        self.state = state
        self.lock = lock if lock is not None else threading.RLock()
        self.faults = FaultBook()
        self.limits = RateLimiter()
        self.log: list[RequestRecord] = []

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """Answer one request; never raises, never answers 500 except on an emulator bug."""
        with self.lock:
            request_id = self.state.ids.request_id()
            try:
                response, fault = self._answer(method, path, query, headers, body, request_id)
            except Exception:  # pragma: no cover - a bug; keep serving and say so
                _log.exception("emulator bug answering %s %s", method, path)
                response, fault = json_response(500, {"message": "emulator internal error"}), None
            response.headers["x-line-request-id"] = request_id
            self.log.append(
                RequestRecord(
                    method=method.upper(),
                    path=path,
                    status=None if response.drop else response.status,
                    time=self.state.clock(),
                    request_id=request_id,
                    fault=fault.describe() if fault is not None else None,
                )
            )
            return response

    def _answer(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> tuple[Response, Fault | None]:
        method = method.upper()
        fault = self.faults.take(method, path)
        if fault is not None and (fault.drop or fault.status is not None):
            if fault.process:  # the request takes effect; only its answer is lost/replaced
                self._route(method, path, query, headers, body, request_id)
            if fault.drop:
                return Response(0, delay=fault.delay, drop=True), fault
            response = _fault_response(fault)
            response.delay = fault.delay
            return response, fault
        response = self._route(method, path, query, headers, body, request_id)
        if fault is not None:
            response.delay = fault.delay
        return response, fault

    def _route(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        methods = ROUTES.get(path)
        if methods is None:
            return json_response(404, {"message": "Not found"})
        endpoint = methods.get(method)
        if endpoint is None:
            return json_response(
                405, {"message": "Method not allowed"}, {"allow": ", ".join(sorted(methods))}
            )
        if self.limits.exceeded(method, path, self.state.clock()):
            return json_response(429, {"message": RATE_LIMITED})
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        request = _Request(method, path, query, lowered, body, request_id)
        try:
            result = endpoint(self.state, request)
        except ApiError as error:
            return json_response(error.status, error.body, error.headers)
        return json_response(200, result)
