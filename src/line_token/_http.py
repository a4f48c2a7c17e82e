"""What the sync and async clients share: configuration, and the bridge to httpx."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from ._errors import InvalidInputError
from ._retry import RetryPolicy
from ._sansio import Request, Response

__all__ = ["DEFAULT_BASE_URL", "ClientConfig", "from_httpx", "to_httpx"]

DEFAULT_BASE_URL = "https://api.line.me"
BASE_URL_ENV = "LINE_API_BASE_URL"
USER_AGENT = "line-token/0.1.0"

logger = logging.getLogger("line_token")


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Validated client settings."""

    base_url: str
    timeout: float
    policy: RetryPolicy

    @classmethod
    def make(cls, base_url: str | None, timeout: float, max_retries: int) -> ClientConfig:
        """Validate the public constructor arguments."""
        url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        if not _is_http_url(url):
            raise InvalidInputError(
                f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL!r} "
                f"(from the argument or ${BASE_URL_ENV})"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise InvalidInputError(
                f"timeout must be a positive number of seconds; got {timeout!r}"
            )
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidInputError(f"max_retries must be a whole number >= 0; got {max_retries!r}")
        return cls(url.rstrip("/"), float(timeout), RetryPolicy(max_retries=max_retries))


def _is_http_url(url: object) -> bool:
    """Whether ``url`` is an http(s) URL with a host, as httpx parses it at each request
    (so ``http://[::1`` is refused here, not by httpx at the first call)."""
    if not isinstance(url, str):
        return False
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def to_httpx(
    http: httpx.Client | httpx.AsyncClient, base_url: str, request: Request
) -> httpx.Request:
    """Build the httpx request for ``request`` against ``base_url``.

    The query string is encoded into the URL here rather than passed as ``params=``:
    httpx validates a URL character by character in Python, and merging ``params``
    parses it a second time (the verify call's URL carries a long token).
    """
    headers = {"User-Agent": USER_AGENT, **(request.headers or {})}
    url = base_url + request.path
    if request.params:
        url += "?" + urlencode(request.params)
    return http.build_request(
        request.method,
        url,
        data=dict(request.form) if request.form else None,
        headers=headers,
    )


def from_httpx(response: httpx.Response, request: Request) -> Response:
    """Our view of an httpx response (already read)."""
    result = Response(response.status_code, response.headers, response.content)
    logger.debug(
        "%s -> %d (x-line-request-id %s)",
        request.endpoint,
        result.status,
        response.headers.get("x-line-request-id", "-"),
    )
    return result


_SECRET_QUERY = re.compile(r"((?:access_token|client_assertion|client_secret)=)[^&\s\"']+")


class _RedactQuery(logging.Filter):
    """Masks credentials that LINE's GET endpoints carry in the query string.

    httpx logs every request URL at INFO; for ``GET /oauth2/v2.1/verify`` the URL
    holds the access token. This filter, attached to the ``httpx`` logger,
    replaces those values with ``***`` before any handler sees them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_QUERY.sub(r"\1***", str(a)) if isinstance(a, httpx.URL | str) else a
                for a in record.args
            )
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to httpx's logger once."""
    http_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactQuery) for f in http_logger.filters):
        http_logger.addFilter(_RedactQuery())


install_log_redaction()
