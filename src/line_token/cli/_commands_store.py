"""``tokens list|prune|rotate``: what a token manager's store holds (placeholder)."""

from __future__ import annotations

import click

__all__ = ["tokens"]


@click.group()
def tokens() -> None:
    """Inspect and maintain a token manager's store."""
