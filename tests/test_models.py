"""Tests for line_token._models: frozen results whose reprs never show a token."""

from __future__ import annotations

import dataclasses

import pytest

from line_token import IssuedToken, TokenInfo, mask_token


def test_issued_token_masks_its_token_and_computes_expiry() -> None:
    """repr and str show a hash label, never the token; expires_at = issued_at + expires_in."""
    token = IssuedToken("sEcReT/tok+en", "Bearer", 900, issued_at=1000.5, key_id="kid")
    assert token.expires_at == 1900.5
    for text in (repr(token), str(token)):
        assert "sEcReT" not in text
        assert mask_token("sEcReT/tok+en") in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.expires_in = 1  # type: ignore[misc]


def test_mask_token_is_stable_and_short() -> None:
    """The same token gives the same label; different tokens differ."""
    assert mask_token("a") == mask_token("a") != mask_token("b")
    assert len(mask_token("a")) == len("sha256:") + 8


def test_token_info_scope_is_optional() -> None:
    """scope defaults to None (LINE does not always send it)."""
    assert TokenInfo("1", 10).scope is None
