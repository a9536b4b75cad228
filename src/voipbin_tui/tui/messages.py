"""Messages the app broadcasts to its screens. They do not bubble: the app is their source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from voipbin_tui.api.models import Account


class ConnectionReady(Message, bubble=False):
    """The client is connected (the sandbox is up, or VoIPBIN credentials are set)."""


class LastSeenWithdrawn(Message, bubble=False):
    """The list last seen on screen was another target's (a launch record's guess that the
    resolved command line did not confirm): its rows go at once."""


class ConnectFailed(Message, bubble=False):
    """Connecting failed (a sandbox that cannot start, a refused login): screens say why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__()


class AccountSaved(Message, bubble=False):
    """An account was created or updated: lists update the row in place."""

    def __init__(self, account: Account) -> None:
        self.account = account
        super().__init__()


class AccountDeleted(Message, bubble=False):
    """An account was deleted: lists drop the row."""

    def __init__(self, account: Account) -> None:
        self.account = account
        super().__init__()
