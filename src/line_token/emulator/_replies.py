"""LINE's two error-body shapes, as an exception the rules raise and the handler renders."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "message_error",
    "oauth_error",
    "MISSING_PARAMS",
    "CANNOT_FIND_KEY",
    "TOO_MANY_TOKENS",
    "RATE_LIMITED",
]

MISSING_PARAMS = "some parameters missed or invalid"
CANNOT_FIND_KEY = "Cannot find channel key that satisfies the conditions"
TOO_MANY_TOKENS = "The maximum number of access tokens has already been issued"
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."


class ApiError(Exception):
    """An error answer: HTTP status, JSON body and extra headers."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def oauth_error(error: str, description: str | None = None, status: int = 400) -> ApiError:
    """OAuth shape: ``{"error": ..., "error_description": ...}`` (description optional)."""
    body: dict[str, Any] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return ApiError(status, body)


def message_error(
    message: str, status: int = 400, details: list[dict[str, str]] | None = None
) -> ApiError:
    """Messaging-API shape: ``{"message": ..., "details": [...]}`` (details optional)."""
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return ApiError(status, body)
