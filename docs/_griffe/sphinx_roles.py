"""A griffe extension for the API reference: Sphinx roles in docstrings become code.

line-token's docstrings use Sphinx cross-reference roles (``:class:`TokenManager```,
``:meth:`~line_token.Client.close```), which Markdown would print literally. This
rewrites each to inline code with the name as written (a leading ``~`` keeps only the
last component, as in Sphinx), so the docstrings stay readable in both worlds.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def strip_roles(text: str) -> str:
    """``:class:`~a.B``` -> ```B```; ``:meth:`C.d``` -> ```C.d```."""
    return _ROLE.sub(_code, text)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = strip_roles(obj.docstring.value)
