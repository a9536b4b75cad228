"""The rule for asking before traffic goes out: the sandbox's hook gets it at once; anything a
live connection sends (a test message, a hub challenge, a replay through a relay) asks first,
since VoIPBIN acts on it."""

from __future__ import annotations

from dataclasses import dataclass

from voipbin_tui.connection import Connection


@dataclass(frozen=True, slots=True)
class LiveTrafficQuestion:
    """What to ask before sending to ``url``, worded once for the CLI and the TUI."""

    url: str
    question: str = "Send this to the live hook?"
    confirm_label: str = "Send"

    @property
    def prompt(self) -> str:
        """The question on one line, for a terminal prompt."""
        return f"Post to the live hook {self.url}?"

    @property
    def unanswered(self) -> str:
        """Why nothing was sent when nobody can answer (standard input is not a terminal)."""
        return f"this would post to the live hook {self.url}: add --yes, or --to URL"


def live_traffic_question(connection: Connection, url: str) -> LiveTrafficQuestion | None:
    """``None`` when traffic to ``url`` may go at once, else the question to ask first."""
    return None if connection.is_sandbox else LiveTrafficQuestion(url)
