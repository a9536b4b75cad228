"""Watch an installation's conversation messages: the inspector's source on live VoIPBIN
when no relay records the raw hook requests.

VoIPBIN cannot filter conversations by account and keeps no record of refused webhooks, so
this shows what VoIPBIN made of the traffic: each new message and each status change, newest
conversations first, within a small request budget (VoIPBIN limits a customer to ~16 rps).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.models import Conversation, ConversationMessage

_NEVER = datetime.min.replace(tzinfo=UTC)
CONVERSATIONS_PER_POLL = 5
"""Conversations whose messages are read each poll: the most recently created ones."""


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A message seen for the first time, or seen again with another status."""

    message: ConversationMessage
    conversation: Conversation
    is_new: bool


class ConversationWatcher:
    """Remembers what it has seen and reports only what changed since the last poll."""

    def __init__(self, client: VoipbinClient, *, conversations_per_poll: int = CONVERSATIONS_PER_POLL) -> None:
        self._client = client
        self._per_poll = conversations_per_poll
        self._statuses: dict[object, str] = {}

    async def poll(self) -> list[MessageEvent]:
        """New messages and status changes in the newest conversations, oldest first."""
        conversations: list[Conversation] = []
        async for newest in self._client.iter_pages("conversations", Conversation, page_size=self._per_poll):
            conversations = newest
            break
        events: list[MessageEvent] = []
        for conversation in conversations:
            async for page in self._client.iter_pages(
                f"conversations/{conversation.id}/messages", ConversationMessage, page_size=50
            ):
                for message in page:
                    status = str(message.status)
                    previous = self._statuses.get(message.id)
                    if previous != status:
                        self._statuses[message.id] = status
                        events.append(MessageEvent(message, conversation, is_new=previous is None))
                break
        return sorted(
            events,
            key=lambda event: (event.message.tm_update or event.message.tm_create or _NEVER, str(event.message.id)),
        )
