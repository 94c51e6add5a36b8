"""Input handling shared by the text tasks."""

from __future__ import annotations

from core.errors import UserError


def lines_of(text: str | list[str] | None, what: str = "Input text") -> list[str]:
    """Non-empty lines of text (a list is taken as given); UserError when there are none."""
    items = text if isinstance(text, list) else (text or "").splitlines()
    items = [t.strip() for t in items if t and t.strip()]
    if not items:
        raise UserError("empty_input", what=what)
    return items


def one_or_many(items: list[str]) -> str | list[str]:
    """A single input stays a string (the pipeline then returns one result), several become a batch."""
    return items[0] if len(items) == 1 else items


