"""Counts in words: the run's findings and every report say "1 message", never "1 messages"."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 message``, ``2 messages``, ``0 messages``: a count with its noun in the right number."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
