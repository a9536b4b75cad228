"""How captured hook traffic reads to a person: verdict marks, row cells, and a full breakdown.

Textual-free, so the CLI's ``hook`` commands and the TUI's inspector describe a request the
same way. Payloads are parsed by ``protocols`` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from voipbin_tui.protocols.errors import MalformedPayload
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind
from voipbin_tui.terminal_text import multi_line, one_line

if TYPE_CHECKING:  # the inspector's pane is drawn before the clients (httpx) are imported
    from voipbin_tui.api.conversation_traffic import MessageEvent
    from voipbin_tui.api.feed import CapturedRequest

VERDICT_MARKS: dict[HookVerdict, str] = {
    HookVerdict.OK: "✓",
    HookVerdict.DUPLICATE: "=",
    HookVerdict.DASHBOARD_TEST: "◇",
    HookVerdict.UNCHECKED: "○",
}
"""A symbol per verdict, so the list reads without colour: ✓ accepted, = skipped, ◇ test,
○ signature unchecked (neither a pass nor a fail), ✗ refused."""


SIGNATURE_HEADERS = frozenset({"x-hub-signature-256", "x-line-signature", "x-voipbin-signature"})


def abbreviate_signature(value: str) -> str:
    """Long signature values shortened for reading; copy as curl and exports keep them whole."""
    if len(value) <= 32:
        return value
    return f"{value[:19]}…{value[-8:]} ({len(value)} chars)"


def verdict_mark(verdict: HookVerdict) -> str:
    return VERDICT_MARKS.get(verdict, "✗")


def verdict_label(verdict: HookVerdict) -> str:
    return f"{verdict_mark(verdict)} {verdict.value}"


def is_problem(verdict: HookVerdict) -> bool:
    """Refused, or would be: what an operator hunting for lost messages wants to see."""
    return verdict_mark(verdict) == "✗"


def time_of_day(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


MOMENT_WIDTH = 11
"""Cells of ``short_moment``: ``09:30:05`` today, ``11-01 09:30`` on another day."""


def short_moment(moment: datetime | None, today: date) -> str:
    """When, as short as is unambiguous: the time alone today, the day and minute otherwise
    (rows from other days must not pass for today's)."""
    if moment is None:
        return ""
    local = moment.astimezone()
    return local.strftime("%H:%M:%S") if local.date() == today else local.strftime("%m-%d %H:%M")


def row_cells(request: CapturedRequest) -> dict[str, str]:
    summary = request.summary
    ident = summary.wamid or ""
    if request.kind in (RequestKind.STATUS,) and summary.statuses:
        ident = summary.statuses[0]
    text = summary.text or ""
    if not text and summary.status_count:
        text = ", ".join(status.rsplit(":", 1)[-1] for status in summary.statuses[:4])
    if summary.message_count + summary.status_count > 1:
        text = f"[{summary.message_count + summary.status_count} items] {text}"
    cells = {
        "time": time_of_day(request.time),
        "method": request.method,
        "kind": request.kind.value,
        "verdict": verdict_label(request.verdict),
        "sender": summary.sender_name or summary.sender or "",
        "id": ident,
        "text": text.replace("\n", " "),
    }
    return {key: one_line(value) for key, value in cells.items()}


def search_text(request: CapturedRequest) -> str:
    cells = row_cells(request)
    return " ".join((*cells.values(), request.account_id, str(request.id))).casefold()


def pretty_body(body: bytes) -> str:
    """Indented JSON when the body is JSON, else the text as received."""
    try:
        return multi_line(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
    except (ValueError, UnicodeDecodeError):
        return multi_line(body.decode("utf-8", errors="backslashreplace"))


def raw_body(body: bytes, limit: int = 4096) -> str:
    """The exact bytes: printable ASCII as is, everything else escaped (so re-encoding shows)."""
    shown = multi_line(body[:limit].decode("ascii", errors="backslashreplace"))
    return shown + (f"\n… {len(body) - limit} more bytes" if len(body) > limit else "")


def breakdown(request: CapturedRequest) -> list[str]:
    """Every message, status and event of the body, one line each (a batch is never cut to one)."""
    return [one_line(line) for line in _breakdown(request)]


def _breakdown(request: CapturedRequest) -> list[str]:
    from voipbin_tui.protocols.line import parse_line_webhook  # loaded with the first request opened
    from voipbin_tui.protocols.whatsapp import parse_whatsapp_notification

    body = request.body or b""
    if request.kind in (RequestKind.MESSAGE, RequestKind.STATUS) or (
        request.kind is RequestKind.UNKNOWN and b"whatsapp_business_account" in body
    ):
        try:
            notification = parse_whatsapp_notification(body)
        except MalformedPayload as exc:
            return [f"not a WhatsApp notification: {exc}"]
        lines = [
            f"message {m.wamid or '(no id)'} from {m.sender or m.sender_user_id or '?'}"
            f"{f' ({m.profile_name})' if m.profile_name else ''}: {m.type}"
            f"{f' “{m.text}”' if m.text is not None else ''}"
            for m in notification.messages
        ]
        lines += [
            f"status {s.wamid or '(no id)'} → {s.status}"
            f"{f' for {s.recipient_id}' if s.recipient_id else ''}"
            f"{''.join(f' error {code}' for code in s.error_codes)}"
            for s in notification.statuses
        ]
        lines += [f"change for field {field!r} (not messages: ignored)" for field in notification.unknown_fields]
        if notification.is_dashboard_test:
            lines.append("placeholder ids from Meta's App Dashboard “Test” button")
        return lines or ["no messages or statuses in this notification"]
    if request.kind in (RequestKind.LINE, RequestKind.LINE_VERIFY):
        try:
            webhook = parse_line_webhook(body)
        except MalformedPayload as exc:
            return [f"not a LINE webhook: {exc}"]
        if not webhook.events:
            return ["no events: the LINE console's Verify request"]
        return [
            f"{event.type} {event.webhook_event_id or ''} from {event.user_id or event.source_id or '?'}"
            f"{f' “{event.text}”' if event.text is not None else ''}"
            f"{' (redelivery)' if event.is_redelivery else ''}"
            for event in webhook.events
        ]
    if request.kind is RequestKind.VERIFY:
        return [f"hub challenge; answered {request.status} {request.answer!r}"]
    return [f"{request.kind.value}: {', '.join(request.summary.event_types) or 'nothing parsed'}"]


@dataclass(frozen=True, slots=True)
class TrafficRow:
    """One line of the inspector: a captured hook request, or a VoIPBIN message event."""

    key: tuple[str, str]
    """Unique per row: a capture's id (seqs restart if a relay's store is replaced)."""
    account_id: str
    cells: dict[str, str]
    search: str
    tone: str
    """How the verdict cell reads: ``ok``, ``problem``, ``skipped`` or ``test``."""
    request: CapturedRequest | None = None
    moment: datetime | None = None
    """When it arrived (or VoIPBIN last changed the message); the time cell depends on the day."""

    @property
    def is_problem(self) -> bool:
        return self.tone == "problem"

    @property
    def is_ok(self) -> bool:
        return self.tone == "ok"


_TONES = {
    HookVerdict.OK: "ok",
    HookVerdict.DUPLICATE: "skipped",
    HookVerdict.DASHBOARD_TEST: "test",
    HookVerdict.UNCHECKED: "skipped",
}


def row_from_capture(request: CapturedRequest) -> TrafficRow:
    return TrafficRow(
        key=("capture", str(request.id)),
        account_id=request.account_id,
        cells=row_cells(request),
        search=search_text(request),
        tone=_TONES.get(request.verdict, "problem"),
        request=request,
        moment=request.time,
    )


_MESSAGE_TONES = {"done": "ok", "progressing": "skipped", "failed": "problem"}


def row_from_message(event: MessageEvent, sequence: int) -> TrafficRow:
    """A message as VoIPBIN stored it: direction, status, who, what."""
    message, conversation = event.message, event.conversation
    incoming = str(message.direction) == "incoming"
    who = message.source if incoming else message.destination
    status = str(message.status) or "?"
    stamped = message.tm_update or message.tm_create
    cells = {
        "time": time_of_day(stamped) if stamped else "",
        "method": "IN" if incoming else "OUT",
        "kind": str(message.direction) if event.is_new else "status",
        "verdict": f"{_STATUS_MARKS.get(status, '?')} {status}",
        "sender": who.target_name or who.target or conversation.dialog_id,
        "id": str(message.id),
        "text": message.text.replace("\n", " "),
    }
    cells = {key: one_line(value) for key, value in cells.items()}
    return TrafficRow(
        key=("message", str(sequence)),
        account_id=str(conversation.account_id),
        cells=cells,
        search=" ".join((*cells.values(), str(conversation.account_id))).casefold(),
        tone=_MESSAGE_TONES.get(status, "skipped"),
        moment=message.tm_update or message.tm_create,
    )


_STATUS_MARKS = {"done": "✓", "progressing": "…", "failed": "✗"}
