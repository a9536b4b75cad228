"""One rule for the CLI and the TUI: traffic to the sandbox goes at once, live traffic asks first."""

from __future__ import annotations

from pathlib import Path

from voipbin_tui.api import VoipbinClient
from voipbin_tui.config import RemoteTarget, SandboxTarget, Target
from voipbin_tui.connection import Connection
from voipbin_tui.workflows.confirmation import live_traffic_question

URL = "https://hook.example/v1.0/conversation/accounts/2b1c9a3e-5d7f-4a8b-9c0d-1e2f3a4b5c6d"


def connection_to(target: Target) -> Connection:
    return Connection(
        client=VoipbinClient("https://api.example/v1.0"),
        target=target,
        hook_base_url="https://hook.example/v1.0",
        inspector_url=None,
        feed_accesskey=None,
    )


def test_traffic_to_the_sandbox_goes_at_once() -> None:
    assert live_traffic_question(connection_to(SandboxTarget(Path("/sandbox"))), URL) is None


def test_live_traffic_asks_first_naming_where_it_goes() -> None:
    live = RemoteTarget(
        api_url="https://api.example/v1.0",
        hook_url="https://hook.example/v1.0",
        accesskey=None,
        username=None,
        profile="prod",
        inspector_url=None,
    )
    question = live_traffic_question(connection_to(live), URL)
    assert question is not None
    assert (question.question, question.url, question.confirm_label) == ("Send this to the live hook?", URL, "Send")
    assert question.prompt == f"Post to the live hook {URL}?"
    assert URL in question.unanswered and "--yes" in question.unanswered
