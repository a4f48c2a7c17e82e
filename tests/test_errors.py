"""Tests for line_token._errors: the tree, LINE's fields on the exception, pickling."""

from __future__ import annotations

import pickle

import line_token as lt


def test_tree() -> None:
    """Every API error is a LineTokenError; InvalidInputError is also a ValueError."""
    assert issubclass(lt.InvalidInputError, ValueError)
    for cls in (
        lt.InvalidCredentialsError,
        lt.InvalidAssertionError,
        lt.UnknownKeyError,
        lt.TokenLimitError,
        lt.InvalidTokenError,
        lt.RateLimitError,
        lt.ServerError,
        lt.UnexpectedResponseError,
    ):
        assert issubclass(cls, lt.LineApiError)
    for cls in (lt.LineApiError, lt.TransportError, lt.TokenUnavailableError):
        assert issubclass(cls, lt.LineTokenError)


def test_api_error_carries_line_fields_and_survives_pickle() -> None:
    """status, error, description, message and request id are attributes and in the text."""
    exc = lt.TokenLimitError(
        400,
        message="The maximum number of access tokens has already been issued",
        request_id="abc123",
        endpoint="POST /oauth2/v2.1/token",
        hint="Revoke some",
    )
    text = str(exc)
    assert "400" in text
    assert "POST /oauth2/v2.1/token" in text
    assert "maximum number" in text
    assert "abc123" in text
    assert "Revoke some" in text
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is lt.TokenLimitError
    assert (clone.status, clone.message, clone.request_id) == (400, exc.message, "abc123")
    assert str(clone) == text
