"""One-line texts that fit their width by choice, not by a cut at the right edge.

A header or a title is a row of parts; when it is too long, the parts that matter least take
their short form first, then leave, and what must stay (a port, a state) stays whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

SEPARATOR = " · "


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    short: str = ""
    """A shorter form, used before anything is dropped (empty: none)."""
    priority: int = 0
    """0: never dropped; higher numbers are shortened and dropped first."""


def fit_parts(parts: Sequence[Part], width: int, separator: str = SEPARATOR) -> str:
    """The parts joined, shortened and then thinned (least important, then rightmost, first)
    until they fit ``width`` cells; what cannot fit even then is left to the widget to cut."""
    current = [part.text for part in parts]

    def joined() -> str:
        return separator.join(text for text in current if text)

    least_first = sorted(range(len(parts)), key=lambda i: (-parts[i].priority, -i))
    for index in least_first:
        if cell_len(joined()) <= width:
            return joined()
        if parts[index].short:
            current[index] = parts[index].short
    for index in least_first:
        if cell_len(joined()) <= width:
            break
        if parts[index].priority:
            current[index] = ""
    return joined()
