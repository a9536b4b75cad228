"""Sending, as VoIPBIN does it: a message to a WhatsApp conversation goes through Meta's send
API with the account's token and phone number id (``whatsapphandler/send.go``, at VoIPBIN's
hardcoded ``v19.0``), here the emulated Graph API over HTTP. Meta's refusal makes the message
``failed``; its answer gives the message its wamid, which Meta's status webhooks then name.

Other conversations (LINE, SMS), and a relay (which plays no Meta), have no provider to call:
their messages are ``done`` at once, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import httpx
from starlette.requests import Request

from voipbin_tui.api.account_types import provider_of
from voipbin_tui.backend.context import backend_of
from voipbin_tui.backend.emulated_meta import GRAPH_PREFIX
from voipbin_tui.backend.own_urls import OwnUrls
from voipbin_tui.backend.store import ConversationRecord

VOIPBIN_GRAPH_VERSION = "v19.0"
"""The version VoIPBIN's send uses (expired: Meta serves it as its oldest live one)."""
SEND_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ProviderSend:
    """What the provider said to a send: the message id it gave, or that it refused."""

    transaction_id: str | None
    provider_status: str
    """"" when accepted, ``failed`` when refused (the message is then ``failed``)."""


REFUSED = ProviderSend(transaction_id=None, provider_status="failed")


async def send_through_provider(request: Request, conversation: ConversationRecord, text: str) -> ProviderSend | None:
    """Send ``text`` to the conversation's peer through its provider; None when the sandbox has
    no provider to call for it."""
    backend = backend_of(request)
    if backend.config.relay is not None or provider_of(conversation.type) != "meta":
        return None
    account = backend.read(lambda store: store.get_account(conversation.account_id))
    if account is None:
        return None
    phone_number_id = quote((account.provider_data or {}).get("phone_number_id", ""), safe="")
    url = f"{OwnUrls.of(request).local_base}{GRAPH_PREFIX}/{VOIPBIN_GRAPH_VERSION}/{phone_number_id}/messages"
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": conversation.dialog_id,
        "type": "text",
        "text": {"body": text},
    }
    try:
        async with httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS, trust_env=False) as http:
            answer = await http.post(url, json=body, headers={"Authorization": f"Bearer {account.token}"})
        wamid = answer.json()["messages"][0]["id"] if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return REFUSED
    return ProviderSend(transaction_id=wamid, provider_status="") if isinstance(wamid, str) and wamid else REFUSED
