"""The one place where outside text becomes terminal text.

Text from webhook senders, from the API (any VoIPBIN, or a relay) and from files is drawn by
the TUI and printed by the CLI. Unescaped, a single ESC lets its author retitle the terminal
(OSC 0), write the clipboard (OSC 52) or plant links (OSC 8); a newline or a bidi override
forges lines. Every display site passes outside text through :func:`one_line` (a cell, a
label, a line of output) or :func:`multi_line` (a body, an explanation), which turn every
such character into a visible escape (``\\x1b``, ``\\n``, ``\\u202e``). Sentences that cite
outside values wrap them with :func:`quoted`.

Standard library only, so ``protocols/``, ``api/``, the backend, the CLI and the TUI can all
use it.
"""

from __future__ import annotations

import re

_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""Arabic letter mark, LRM/RLM, the embeddings and overrides, the isolates: each reorders
what follows it on screen."""
_UNSAFE_BEYOND_C0 = f"\x7f-\x9f\u2028\u2029{_BIDI_CONTROLS}\ud800-\udfff"
"""DEL, C1 controls, the Unicode line and paragraph separators, bidi controls, and lone
surrogates (which cannot even be encoded for output)."""
_UNSAFE_IN_ONE_LINE = re.compile(f"[\x00-\x1f{_UNSAFE_BEYOND_C0}]")
_UNSAFE_IN_MULTI_LINE = re.compile(f"[\x00-\x08\x0b-\x1f{_UNSAFE_BEYOND_C0}]")
_LEFT_RAW_BY_JSON = re.compile(f"[{_UNSAFE_BEYOND_C0}]")
QUOTED_LENGTH = 60
"""How much of a value a sentence cites: a hostile payload's values can be huge."""


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0A:
        return "\\n"
    if code == 0x09:
        return "\\t"
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """Safe to draw as one line: controls, newlines, tabs and bidi controls become escapes."""
    return _UNSAFE_IN_ONE_LINE.sub(_visible, str(text))


def multi_line(text: object) -> str:
    """Safe to draw as a block: newlines and tabs stay, everything else unsafe is escaped."""
    return _UNSAFE_IN_MULTI_LINE.sub(_visible, str(text))


def quoted(value: object, limit: int = QUOTED_LENGTH) -> str:
    """An outside value cited in a sentence: escaped, cut to ``limit``, in single quotes."""
    shown = one_line(value)
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    return f"'{shown}'"


def unsafe_characters(text: str, *, keep_newlines: bool = False) -> list[str]:
    """The characters of ``text`` that must never reach a terminal as they are (for checks)."""
    pattern = _UNSAFE_IN_MULTI_LINE if keep_newlines else _UNSAFE_IN_ONE_LINE
    return pattern.findall(text)


def json_for_terminal(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with every unsafe character that JSON
    leaves raw (C1 controls, DEL, bidi controls, separators, lone surrogates) written as a
    ``\\u`` escape: the same data for a script, harmless on a terminal."""
    return _LEFT_RAW_BY_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
