"""Text for one-line messages: values quoted safely (control characters escaped, long values cut)."""

from __future__ import annotations

from typing import Any

MAX_SHOWN = 60
"""[characters] Longest value or key quoted in an error message (longer ones are cut with ...)."""


def printable(text: Any, limit: int = MAX_SHOWN) -> str:
    """``text`` for a one-line message: control characters (newlines, tabs, escapes) shown as
    escape sequences, cut at ``limit`` characters."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[:limit] + "..."

