"""Tests for emulator/_clock.py: a clock that stands still, and one that follows real time."""

from __future__ import annotations

import time

import pytest

from line_token.emulator import VirtualClock


def test_standing_clock_moves_only_when_advanced() -> None:
    """By default nothing but ``advance`` and ``set`` moves it."""
    clock = VirtualClock(start=1000.0)
    assert clock() == clock() == 1000.0
    assert clock.advance(30) == 1030.0
    clock.set(5.0)
    assert clock() == 5.0
    assert "running" not in repr(clock)


def test_running_clock_follows_real_time_plus_what_was_advanced() -> None:
    """``running=True``: real time, shifted by ``advance`` and re-based by ``set``."""
    clock = VirtualClock(running=True)
    before = time.time()
    now = clock()
    assert before - 1 <= now <= time.time() + 1
    assert clock() >= now  # it moves with real time, never back
    assert clock.advance(3600) >= before + 3600
    assert clock() >= before + 3600
    clock.set(1000.0)
    assert 1000.0 <= clock() < 1000.0 + (time.time() - before) + 1
    clock.set()
    assert abs(clock() - time.time()) < 1
    assert "running=True" in repr(clock)


@pytest.mark.parametrize("bad", [-1, True, "1", None])
def test_advance_refuses_what_is_not_a_forward_step(bad: object) -> None:
    """Backward steps and non-numbers are refused on either kind."""
    for clock in (VirtualClock(), VirtualClock(running=True)):
        with pytest.raises(ValueError, match="seconds must be"):
            clock.advance(bad)  # type: ignore[arg-type]
