"""The one escaping point: what it turns into visible escapes, and what it leaves alone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voipbin_tui.terminal_text import json_for_terminal, multi_line, one_line, quoted, unsafe_characters

HOSTILE = (
    "\x1b]0;PWNED\x07"  # OSC 0: retitle the terminal
    "\x1b]52;c;Y3VybCB4fHNo\x07"  # OSC 52: write the clipboard
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"  # OSC 8: a hidden link
    "\x1b[2J\x1b[31m"  # CSI: clear, colour
    "\x9b31m\x9d0;t\x9c\x85"  # the same as C1 controls
    "\x00\x08\x7f\r\n\t\x0b\x0c"
    "\u202eevil\u202c\u2066x\u2069\u200f\u061c\u2028\u2029\ud800"
    "[bold]b[/bold] [link=https://evil.example]x[/link]"
)


def test_one_line_leaves_no_control_character_and_shows_each_one() -> None:
    shown = one_line(HOSTILE)
    assert unsafe_characters(shown) == []
    assert shown.isprintable()
    for escape in ("\\x1b]0;PWNED\\x07", "\\x9b", "\\n", "\\t", "\\r", "\\x00", "\\x7f", "\\u202e", "\\u2066"):
        assert escape in shown
    assert "[bold]b[/bold] [link=https://evil.example]x[/link]" in shown  # markup is only text here


def test_multi_line_keeps_newlines_and_tabs_only() -> None:
    shown = multi_line(HOSTILE)
    assert unsafe_characters(shown, keep_newlines=True) == []
    assert "\n" in shown and "\t" in shown and "\\r" in shown and "\\x1b" in shown


def test_ordinary_text_is_untouched() -> None:
    text = "Sheena Nelson · café ☕ 👨‍👩‍👧 עברית «quoted» \\x1b"
    assert one_line(text) == text == multi_line(text)


def test_quoted_cuts_long_values() -> None:
    assert quoted("x" * 100, 10) == "'xxxxxxxxxx…'"
    assert quoted("a\nb") == "'a\\nb'"


@given(st.text())
def test_escaping_is_idempotent_and_complete(text: str) -> None:
    once = one_line(text)
    assert one_line(once) == once and unsafe_characters(once) == []
    block = multi_line(text)
    assert multi_line(block) == block and unsafe_characters(block, keep_newlines=True) == []


@given(
    st.recursive(
        st.text() | st.integers() | st.none(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)
    )
)
@pytest.mark.slow
def test_json_for_terminal_is_the_same_data_and_safe(data: object) -> None:
    printed = json_for_terminal(json.dumps(data, indent=2, ensure_ascii=False))
    assert json.loads(printed) == data
    assert unsafe_characters(printed, keep_newlines=True) == []
