"""How the sandbox keeps conversations: found or made per dialog, incoming and outgoing
messages, and provider delivery statuses that only ever move forward.

Shared by the hook (inbound traffic), the REST emulation (sending) and the seed, so that a
seeded conversation looks exactly like one the hook made. Every object is stamped through
``Store.stamp``: the ``now`` given is when it happened, the stamp is that or just after the
object made before it. As on VoIPBIN, only WhatsApp
conversations carry their ``account_id``; LINE ones have the nil UUID.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from voipbin_tui.api.account_types import spec_of
from voipbin_tui.api.models import NIL_UUID, MessageDirection, MessageStatus
from voipbin_tui.backend.store import AccountRecord, ConversationRecord, MessageRecord, Store

# Meta's statuses in the order they happen; a status never replaces a later one, so a late
# "delivered" cannot undo "read". "failed" is final.
DELIVERY_ORDER = {"sent": 1, "delivered": 2, "read": 3, "played": 3, "failed": 4}


def conversation_for(
    store: Store,
    account: AccountRecord,
    *,
    dialog_id: str,
    peer_name: str,
    self_target: str,
    now: datetime,
    new_id: Callable[[], UUID],
) -> ConversationRecord:
    """The conversation of ``account`` with ``dialog_id`` (a wa_id, a LINE user/group/room id),
    made on first contact."""
    spec = spec_of(account.type)
    account_id = account.id if spec is not None and spec.conversation_per_account else NIL_UUID
    found = store.find_conversation(type=account.type, account_id=account_id, dialog_id=dialog_id)
    if found is not None:
        return found
    conversation = ConversationRecord(
        id=new_id(),
        customer_id=account.customer_id,
        account_id=account_id,
        type=account.type,
        name=peer_name or dialog_id,
        detail="",
        dialog_id=dialog_id,
        self_address={"type": account.type, "target": self_target, "target_name": account.name},
        peer_address={"type": account.type, "target": dialog_id, "target_name": peer_name},
        tm_create=store.stamp(now),
    )
    store.add_conversation(conversation)
    return conversation


def add_incoming_message(
    store: Store,
    conversation: ConversationRecord,
    *,
    text: str,
    transaction_id: str,
    now: datetime,
    new_id: Callable[[], UUID],
) -> MessageRecord:
    message = MessageRecord(
        id=new_id(),
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        direction=MessageDirection.INCOMING,
        status=MessageStatus.DONE,
        reference_type=conversation.type,
        transaction_id=transaction_id,
        provider_status="",
        source=conversation.peer_address,
        destination=conversation.self_address,
        text=text,
        tm_create=store.stamp(now),
    )
    store.add_message(message)
    return message


def add_outgoing_message(
    store: Store,
    conversation: ConversationRecord,
    *,
    text: str,
    now: datetime,
    new_id: Callable[[], UUID],
    transaction_id: str | None = None,
    provider_status: str = "",
) -> MessageRecord:
    """A sent message: the sandbox "delivers" at once, so it is ``done`` with the provider id
    the send would have returned (a ``wamid.`` for WhatsApp)."""
    message_id = new_id()
    message = MessageRecord(
        id=message_id,
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        direction=MessageDirection.OUTGOING,
        status=MessageStatus.FAILED if provider_status == "failed" else MessageStatus.DONE,
        reference_type=conversation.type,
        transaction_id=transaction_id or provider_message_id(conversation.type, message_id),
        provider_status=provider_status,
        source=conversation.self_address,
        destination=conversation.peer_address,
        text=text,
        tm_create=store.stamp(now),
    )
    store.add_message(message)
    return message


def provider_message_id(conversation_type: str, message_id: UUID) -> str:
    """The id a provider would give a sent message, derived from our id so it is reproducible."""
    spec = spec_of(conversation_type)
    return spec.provider_message_id(message_id) if spec is not None else str(message_id)


def apply_delivery_status(store: Store, transaction_id: str, status: str, *, now: datetime) -> bool:
    """Record a provider status on the outgoing message it is about; False if there is no such
    message, the status is unknown, or it would move the message backwards."""
    rank = DELIVERY_ORDER.get(status)
    message = store.outgoing_message(transaction_id) if transaction_id else None
    if rank is None or message is None:
        return False
    if rank <= DELIVERY_ORDER.get(message.provider_status, 0):
        return False
    store.set_message_delivery(
        message.id,
        status=MessageStatus.FAILED if status == "failed" else MessageStatus.DONE,
        provider_status=status,
        now=store.stamp(now),
    )
    return True
