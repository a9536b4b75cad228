"""What a provider POST judged OK changes in the sandbox: every message and status of the
batch, each taken once (provider ids are remembered, so a redelivery changes nothing).

Text messages become incoming messages of the conversation with their sender; statuses move
outgoing messages forward. Runs inside the unit of work that records the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voipbin_tui.backend.conversations import add_incoming_message, apply_delivery_status, conversation_for
from voipbin_tui.backend.store import AccountRecord, Store
from voipbin_tui.protocols.inspection import HookInspection
from voipbin_tui.protocols.line import LineWebhook
from voipbin_tui.protocols.verdicts import HookVerdict
from voipbin_tui.protocols.whatsapp import WhatsAppNotification


@dataclass(frozen=True, slots=True)
class Effects:
    """What a taken request changed: items stored and items skipped as already seen."""

    new: int = 0
    duplicates: int = 0

    def describe(self) -> str:
        return f" {self.duplicates} already-received item(s) skipped." if self.duplicates else ""


def apply_post(
    store: Store, account: AccountRecord, inspection: HookInspection, *, now: datetime, new_id: Callable[[], UUID]
) -> Effects:
    """Everything the inspected POST carries, as the account's provider sent it."""
    if inspection.notification is not None:
        placeholder = inspection.verdict == HookVerdict.DASHBOARD_TEST
        return _apply_whatsapp(store, account, inspection.notification, now=now, new_id=new_id, placeholder=placeholder)
    if inspection.line_webhook is not None:
        return _apply_line(store, account, inspection.line_webhook, now=now, new_id=new_id)
    return Effects()


def _apply_whatsapp(
    store: Store,
    account: AccountRecord,
    notification: WhatsAppNotification,
    *,
    now: datetime,
    new_id: Callable[[], UUID],
    placeholder: bool = False,
) -> Effects:
    """Every message and status of the batch: messages deduplicated by wamid, statuses by
    (wamid, status); text messages stored, other types recorded in the capture only. A
    ``placeholder`` batch (the dashboard's Test) is only remembered, never stored."""
    new = duplicates = 0
    for message in notification.messages:
        if message.wamid and not store.claim_dedupe_key(f"whatsapp:message:{message.wamid}", now=now):
            duplicates += 1
            continue
        new += 1
        if placeholder:
            continue
        # Username-only senders (no wa_id) are known by their business-scoped user id.
        dialog_id = message.sender or message.sender_user_id
        if message.type != "text" or message.text is None or not dialog_id:
            continue
        conversation = conversation_for(
            store,
            account,
            dialog_id=dialog_id,
            peer_name=message.profile_name or "",
            self_target=message.phone_number_id or (account.provider_data or {}).get("phone_number_id", ""),
            now=now,
            new_id=new_id,
        )
        add_incoming_message(
            store, conversation, text=message.text, transaction_id=message.wamid, now=now, new_id=new_id
        )
    for status in notification.statuses:
        if status.wamid and not store.claim_dedupe_key(f"whatsapp:status:{status.wamid}:{status.status}", now=now):
            duplicates += 1
            continue
        new += 1
        apply_delivery_status(store, status.wamid, status.status, now=now)
    return Effects(new=new, duplicates=duplicates)


def _apply_line(
    store: Store, account: AccountRecord, webhook: LineWebhook, *, now: datetime, new_id: Callable[[], UUID]
) -> Effects:
    """Every event, deduplicated by webhookEventId; text messages become incoming messages."""
    new = duplicates = 0
    for event in webhook.events:
        if event.webhook_event_id and not store.claim_dedupe_key(f"line:event:{event.webhook_event_id}", now=now):
            duplicates += 1
            continue
        new += 1
        if event.type != "message" or event.message_type != "text" or event.text is None or not event.source_id:
            continue
        conversation = conversation_for(
            store,
            account,
            dialog_id=event.source_id,
            peer_name="",
            self_target=webhook.destination or "",
            now=now,
            new_id=new_id,
        )
        add_incoming_message(
            store, conversation, text=event.text, transaction_id=event.message_id or "", now=now, new_id=new_id
        )
    return Effects(new=new, duplicates=duplicates)
