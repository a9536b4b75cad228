"""Untrusted text made safe to keep: the store and the upstream excerpts both need it."""

from __future__ import annotations


def storable_text(value: str) -> str:
    """Untrusted text made safe to store and to serve: JSON escapes can yield lone surrogates,
    which UTF-8 (SQLite's binding, JSON responses) cannot encode; they become "?"."""
    return value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value
