"""Watch VoIPBIN's API for a new incoming message to one account, as ``end_to_end`` needs.

A phone that wrote to the number before lands in its old conversation, which need not be among
the newest ones (VoIPBIN lists conversations by creation), and VoIPBIN cannot filter by
account. So the watch first finds the account's most recent conversations, then reads their
newest messages and any conversation made meanwhile, within a small request budget.
"""

from __future__ import annotations

from uuid import UUID

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.models import Conversation, ConversationMessage

CONVERSATIONS_SCANNED = 300
"""How far back (by creation) the account's conversations are looked for, once."""
CONVERSATIONS_WATCHED = 10
"""Of those, how many of the newest are read each poll (one request each)."""
NEW_CONVERSATIONS_PER_POLL = 5
MESSAGES_PER_CONVERSATION = 20


class IncomingWatch:
    """New incoming messages in conversations that belong to one account.

    ``belongs`` tells a conversation of the account: by its ``account_id`` where VoIPBIN sets it
    (WhatsApp), else by its type (LINE, where every conversation has the nil account id)."""

    def __init__(self, client: VoipbinClient, *, account_id: UUID, by_account_id: bool, conversation_type: str):
        self._client = client
        self._account_id = account_id
        self._by_account_id = by_account_id
        self._type = conversation_type
        self._watched: dict[UUID, Conversation] = {}
        self._seen: set[UUID] = set()

    def belongs(self, conversation: Conversation) -> bool:
        if self._by_account_id:
            return conversation.account_id == self._account_id
        return conversation.type == self._type

    async def start(self) -> None:
        """Find the account's recent conversations and remember every message already there."""
        scanned = 0
        async for page in self._client.iter_pages("conversations", Conversation, page_size=100):
            for conversation in page:
                if self.belongs(conversation) and len(self._watched) < CONVERSATIONS_WATCHED:
                    self._watched[conversation.id] = conversation
            scanned += len(page)
            if scanned >= CONVERSATIONS_SCANNED or len(self._watched) >= CONVERSATIONS_WATCHED:
                break
        for conversation in self._watched.values():
            self._seen.update(message.id for message in await self._newest_messages(conversation))

    async def poll(self) -> list[tuple[Conversation, ConversationMessage]]:
        """Incoming messages not seen before, in the watched conversations and new ones."""
        async for page in self._client.iter_pages("conversations", Conversation, page_size=NEW_CONVERSATIONS_PER_POLL):
            for conversation in page:
                if conversation.id not in self._watched and self.belongs(conversation):
                    self._watched[conversation.id] = conversation
            break
        arrived = []
        for conversation in list(self._watched.values()):
            for message in await self._newest_messages(conversation):
                if message.id in self._seen:
                    continue
                self._seen.add(message.id)
                if str(message.direction) == "incoming":
                    arrived.append((conversation, message))
        return arrived

    async def _newest_messages(self, conversation: Conversation) -> list[ConversationMessage]:
        path = f"conversations/{conversation.id}/messages"
        async for page in self._client.iter_pages(path, ConversationMessage, page_size=MESSAGES_PER_CONVERSATION):
            return page
        return []
