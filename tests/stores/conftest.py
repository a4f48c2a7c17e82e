"""Fixtures for the store tests: the manager rig (Redis comes from tests/conftest.py)."""

from __future__ import annotations

from conftest_manager import rig

__all__ = ["rig"]
