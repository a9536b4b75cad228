"""What the accounts filter matches, and in which order the matches come.

Plain words match what the list shows (type, name, flow, and detail when its column is on
screen), so a row never matches through text the user cannot see; ``id:`` and ``detail:``
reach those fields at any width. Matches are ranked: the exact name first, then names that
start with the text, then names that contain every word, then the rest, so that ``enter``
after typing a full name opens that account.
"""

from __future__ import annotations

from dataclasses import dataclass

FIELD_PREFIXES = ("id", "detail", "name", "type", "flow")
"""``prefix:word`` matches only that field."""
SHOWN_FIELDS = ("type", "name", "flow")
"""Plain words match these, at every width."""

RANK_EXACT, RANK_NAME_STARTS, RANK_NAME_HAS_ALL, RANK_OTHER = range(4)


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """A parsed filter: plain words (all must match a shown field) and ``field:word`` terms."""

    text: str
    words: tuple[str, ...]
    terms: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> AccountFilter:
        words: list[str] = []
        terms: list[tuple[str, str]] = []
        for token in text.casefold().split():
            field, colon, value = token.partition(":")
            if colon and field in FIELD_PREFIXES:
                if value:  # "id:" alone, still being typed, asks for nothing yet
                    terms.append((field, value))
            else:
                words.append(token)
        return cls(text, tuple(words), tuple(terms))

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.terms

    def matches(self, fields: dict[str, str], shown_text: str) -> bool:
        """``fields`` are casefolded per field; ``shown_text`` is the shown fields joined."""
        return all(word in shown_text for word in self.words) and all(
            value in fields.get(field, "") for field, value in self.terms
        )

    def rank(self, name: str) -> int:
        """How well a casefolded name answers the plain words (lower is better)."""
        if not self.words:
            return RANK_OTHER
        phrase = " ".join(self.words)
        if name == phrase:
            return RANK_EXACT
        if name.startswith(phrase):
            return RANK_NAME_STARTS
        if all(word in name for word in self.words):
            return RANK_NAME_HAS_ALL
        return RANK_OTHER


def describe_scope(detail_shown: bool) -> str:
    """The filter bar's note of what plain words match, and how to reach the rest."""
    fields = (*SHOWN_FIELDS, "detail") if detail_shown else SHOWN_FIELDS
    more = "id:" if detail_shown else "id: detail:"
    return f"in {', '.join(fields)} · {more} for more"
