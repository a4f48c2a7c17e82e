"""The exception tree of line-token.

Every error the library raises on purpose derives from :class:`LineTokenError`::

    LineTokenError
    ├── InvalidInputError (also ValueError)   bad input, caught before any request
    ├── LineApiError                          LINE answered with an error status
    │   ├── InvalidCredentialsError           wrong channel id or channel secret
    │   ├── InvalidAssertionError             the JWT assertion was rejected
    │   ├── UnknownKeyError                   the assertion's kid is not registered (404)
    │   ├── TokenLimitError                   the channel already holds 30 v2.1 tokens
    │   ├── InvalidTokenError                 the access token is invalid, expired or revoked
    │   ├── RateLimitError                    429
    │   ├── ServerError                       5xx
    │   └── UnexpectedResponseError           a 2xx answer lacking a required field
    ├── TransportError                        network failure or timeout, retries spent
    └── TokenUnavailableError                 a manager has no usable token to hand out

Messages never contain a token, a channel secret or key material.
"""

from __future__ import annotations

__all__ = [
    "InvalidAssertionError",
    "InvalidCredentialsError",
    "InvalidInputError",
    "InvalidTokenError",
    "LineApiError",
    "LineTokenError",
    "RateLimitError",
    "ServerError",
    "TokenLimitError",
    "TokenUnavailableError",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownKeyError",
]


class LineTokenError(Exception):
    """Base class of every error line-token raises on purpose.

    Example:
        >>> try:
        ...     raise InvalidInputError("channel_id must be all digits")
        ... except LineTokenError as exc:
        ...     print(exc)
        channel_id must be all digits
    """


class InvalidInputError(LineTokenError, ValueError):
    """Raised when an argument is invalid; no request was sent.

    The message names the argument, says what was wrong and how to fix it.
    """


class LineApiError(LineTokenError):
    """Raised when LINE (or the emulator) answers with an error status.

    Attributes:
        status: the HTTP status code.
        error: the OAuth-style ``error`` field, if LINE sent one.
        error_description: the OAuth-style ``error_description`` field, if any.
        message: the Messaging-API-style ``message`` field, if any.
        request_id: the ``x-line-request-id`` response header, if any.
        endpoint: ``"METHOD /path"`` of the request that failed.
        retry_after: seconds from a ``Retry-After`` header, if LINE sent one.

    Branch on the subclass (or :attr:`status`), not on the text: LINE warns
    that its error texts may change.
    """

    def __init__(
        self,
        status: int,
        *,
        error: str | None = None,
        error_description: str | None = None,
        message: str | None = None,
        request_id: str | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.error_description = error_description
        self.message = message
        self.request_id = request_id
        self.endpoint = endpoint
        self.retry_after = retry_after
        self.hint = hint
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"LINE answered {self.status}"]
        if self.endpoint:
            parts[0] += f" to {self.endpoint}"
        detail = [p for p in (self.error, self.error_description, self.message) if p]
        text = parts[0] + (": " + " - ".join(detail) if detail else "")
        if self.hint:
            text += f". {self.hint}"
        if self.request_id:
            text += f" (x-line-request-id: {self.request_id})"
        return text

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_api_error,
            (
                type(self),
                self.status,
                {
                    "error": self.error,
                    "error_description": self.error_description,
                    "message": self.message,
                    "request_id": self.request_id,
                    "endpoint": self.endpoint,
                    "retry_after": self.retry_after,
                    "hint": self.hint,
                },
            ),
        )


def _rebuild_api_error(
    cls: type[LineApiError], status: int, fields: dict[str, object]
) -> LineApiError:
    return cls(status, **fields)  # type: ignore[arg-type]


class InvalidCredentialsError(LineApiError):
    """Raised when LINE rejects the channel id or channel secret."""


class InvalidAssertionError(LineApiError):
    """Raised when LINE rejects the JWT assertion (expired, wrong iss, bad signature...)."""


class UnknownKeyError(LineApiError):
    """Raised when the assertion's ``kid`` is not a key registered for the channel (404)."""


class TokenLimitError(LineApiError):
    """Raised when the channel already holds the maximum of 30 valid v2.1 tokens."""


class InvalidTokenError(LineApiError):
    """Raised when an access token is invalid, malformed, expired or revoked."""


class RateLimitError(LineApiError):
    """Raised on 429 Too Many Requests once retries are spent."""


class ServerError(LineApiError):
    """Raised on a 5xx answer once retries are spent."""


class UnexpectedResponseError(LineApiError):
    """Raised when LINE's answer cannot be read (not JSON, or a required field is missing)."""


class TransportError(LineTokenError):
    """Raised when the request could not complete (connection, timeout) once retries are spent.

    The underlying httpx exception is chained as ``__cause__``.
    """


class TokenUnavailableError(LineTokenError):
    """Raised by a token manager that holds no token with enough life left and could not get one.

    The failure of the last refresh is chained as ``__cause__``.
    """
