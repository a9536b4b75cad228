"""One captured request in full: the verdict explained, the request as sent, and every item in it."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len, chop_cells
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from voipbin_tui.api.feed import CapturedRequest, FeedClient
from voipbin_tui.terminal_text import one_line
from voipbin_tui.traffic import (
    SIGNATURE_HEADERS,
    abbreviate_signature,
    breakdown,
    is_problem,
    pretty_body,
    raw_body,
    verdict_label,
)
from voipbin_tui.tui.widgets.footer import KeyFooter
from voipbin_tui.tui.widgets.header import FittingHeader
from voipbin_tui.tui.workers import background

CONTINUATION = "↩"


def cut_at_width(text: str, width: int) -> Text:
    """Lines cut at exactly ``width`` cells, each continued one ending in a dim mark. Raw bytes
    wrapped at spaces would read like newlines in the body, which is what they are there to show."""
    result = Text(no_wrap=True, overflow="ignore")
    for number, line in enumerate(text.split("\n")):
        if number:
            result.append("\n")
        pieces = [line] if cell_len(line) <= width else chop_cells(line, max(1, width - 1))
        for index, piece in enumerate(pieces):
            if index:
                result.append("\n")
            result.append(piece)
            if index < len(pieces) - 1:
                result.append(CONTINUATION, style="dim")
    return result


class RawBytes(Static):
    """The raw body, re-cut whenever its width changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._raw = ""
        self._cut_for = 0

    def show(self, raw: str) -> None:
        self._raw = raw
        self._cut_for = 0
        self._recut()

    def on_resize(self) -> None:
        self._recut()

    def _recut(self) -> None:
        width = self.content_region.width
        if width and width != self._cut_for:
            self._cut_for = width
            self.update(cut_at_width(self._raw, width))
        elif not width:
            self.update(Text(self._raw, no_wrap=True, overflow="ignore"))


class RequestDetailScreen(Screen[None]):
    """Detail of a captured hook request."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="request.back", tooltip="Back to the list"),
        Binding("c", "copy_curl", "Copy as curl", id="request.curl", tooltip="Copy a curl command that resends it"),
        Binding("p", "app.replay_request", "Replay", id="request.replay", tooltip="Deliver it to the hook again"),
        Binding("end", "bottom", "Bottom", id="request.bottom", tooltip="The end of the request", show=False),
        Binding("home", "top", "Top", id="request.top", tooltip="The start of the request", show=False),
    ]

    def __init__(self, request: CapturedRequest, feed: FeedClient, hook_origin: str) -> None:
        super().__init__()
        self.request = request
        self._feed = feed
        self._hook_origin = hook_origin

    def compose(self) -> ComposeResult:
        yield FittingHeader()
        with VerticalScroll(id="request-body"):
            yield Static(id="request-verdict")
            yield Static("Request", classes="section-title")
            yield Static(id="request-line")
            yield Static("What it carries", classes="section-title")
            yield Static(id="request-items")
            yield Static("Headers", classes="section-title")
            yield Static(id="request-headers")
            yield Static("Body", classes="section-title")
            yield Static(id="request-pretty")
            yield Static(
                f"Raw bytes (non-ASCII escaped: re-encoding shows here; {CONTINUATION} continues a line)",
                classes="section-title",
            )
            yield RawBytes(id="request-raw")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._render_request()
        self._load()

    @background("Could not read the request", group="request", exclusive=True)
    async def _load(self) -> None:
        """The list holds no bodies; read this one in full."""
        self.request = await self._feed.get(self.request.id)
        self._render_request()

    def action_bottom(self) -> None:
        """At once, and again once the layout has settled: a body that was still being laid
        out (the raw bytes re-cut to the width) left the first press short of the end."""
        body = self.query_one("#request-body", VerticalScroll)
        body.scroll_end(animate=False, immediate=True)
        self.call_after_refresh(body.scroll_end, animate=False, immediate=True)

    def action_top(self) -> None:
        self.query_one("#request-body", VerticalScroll).scroll_home(animate=False, immediate=True)

    def action_copy_curl(self) -> None:
        self.app.copy_to_clipboard(self.request.to_curl(self._hook_origin))
        self.notify("curl command copied (credentials redacted)", timeout=3, markup=False)

    def _render_request(self) -> None:
        request = self.request
        verdict = Text()
        verdict.append(
            verdict_label(request.verdict), style="bold red" if is_problem(request.verdict) else "bold green"
        )
        if request.explanation:
            verdict.append("\n" + one_line(request.explanation))
        self.query_one("#request-verdict", Static).update(verdict)
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column()
        facts.add_row("Method", Text(one_line(request.method)))
        facts.add_row("Path", Text(one_line(request.redacted_target)))
        facts.add_row("Received", Text(request.time.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")))
        facts.add_row("Kind", Text(request.kind.value))
        answered = f"{request.status}" + (f" {request.answer!r}" if request.answer else "")
        facts.add_row("Answered", Text(one_line(answered)))
        if request.upstream:
            facts.add_row("Upstream", Text(one_line(", ".join(f"{k}={v}" for k, v in request.upstream.items()))))
        if request.replay_of:
            facts.add_row("Replay of", Text(str(request.replay_of)))
        facts.add_row("Body", Text(f"{request.body_size} bytes" + ("" if request.body_complete else " (cut)")))
        self.query_one("#request-line", Static).update(facts)
        items = breakdown(request) if request.body is not None else ["loading…"]
        self.query_one("#request-items", Static).update(Text("\n".join(f"• {item}" for item in items)))
        headers = Table.grid(padding=(0, 2))
        headers.add_column(style="bold", no_wrap=True)
        headers.add_column()
        for name, value in request.redacted_headers:
            shown = abbreviate_signature(value) if name.lower() in SIGNATURE_HEADERS else value
            headers.add_row(Text(one_line(name)), Text(one_line(shown)))
        self.query_one("#request-headers", Static).update(headers)
        body = request.body
        self.query_one("#request-pretty", Static).update(Text(pretty_body(body) if body else "(empty)"))
        self.query_one("#request-raw", RawBytes).show(raw_body(body) if body else "(empty)")
