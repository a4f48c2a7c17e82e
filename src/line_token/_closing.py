"""``with`` and ``async with`` for the objects that hold connections: they close at the end."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["AsyncClosing", "Closing"]

_T = TypeVar("_T")


class Closing:
    """``with obj:`` gives ``obj`` and calls ``obj.close()`` at the end."""

    def close(self) -> None:
        """Release what the object holds."""
        raise NotImplementedError

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClosing:
    """``async with obj:`` gives ``obj`` and awaits ``obj.aclose()`` at the end."""

    async def aclose(self) -> None:
        """Release what the object holds."""
        raise NotImplementedError

    async def __aenter__(self: _T) -> _T:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
