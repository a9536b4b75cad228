"""The WhatsApp Cloud API webhook wire format: parse notifications, answer the hub challenge,
and build notifications byte-for-byte the way Meta sends them.

Parsing walks every entry, change, message and status (Meta batches up to 1000 updates in one
POST) and is lenient inside the envelope: a field of the wrong type is treated as absent, so a
payload never crashes the hook and an operator always sees what could be read.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voipbin_tui.protocols.errors import MalformedPayload
from voipbin_tui.protocols.signatures import constant_time_equals
from voipbin_tui.protocols.untrusted_json import (
    decode_json_body,
    dicts,
    get_dict,
    get_int,
    get_list,
    get_str,
    get_text,
    json_type_name,
    unique,
)

WHATSAPP_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"
WAMID_PREFIX = "wamid."
# What the App Dashboard's "Test" button puts in place of real ids.
DASHBOARD_TEST_PHONE_NUMBER_ID = "123456123"
DASHBOARD_TEST_ENTRY_ID = "0"
# How much of a hostile query value is quoted back in a refusal reason.
_QUOTE_LIMIT = 60
# Message types whose object carries a caption that stands in for the text.
_CAPTIONED_TYPES = frozenset({"image", "video", "document", "sticker", "audio"})


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One ``value.messages[]`` item, with its sender resolved from ``value.contacts[]``.

    Absent or mistyped fields are None (``wamid`` is "" and ``type`` "unknown" when absent),
    so callers never need to guard against the raw JSON.
    """

    wamid: str
    sender: str | None
    """The sender's wa_id (``from``); None for username-only users who share no number."""
    sender_user_id: str | None
    """The business-scoped user id (``contacts[].user_id``, e.g. ``US.13491208655302741918``)."""
    profile_name: str | None
    type: str
    text: str | None
    """``text.body``, or the caption / button text / interactive reply title / reaction emoji."""
    timestamp: int | None
    """Unix seconds; Meta sends them as a string. None if absent or not digits."""
    phone_number_id: str | None
    waba_id: str | None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One ``value.statuses[]`` item: the fate of a message the business sent.

    ``error_codes`` and ``error_titles`` list, in order, the codes and titles found in
    ``errors[]``; an error without a code (or a title) contributes nothing to that tuple.
    """

    wamid: str
    status: str
    timestamp: int | None
    recipient_id: str | None
    error_codes: tuple[int, ...]
    error_titles: tuple[str, ...]
    phone_number_id: str | None
    waba_id: str | None


@dataclass(frozen=True, slots=True)
class WhatsAppNotification:
    """Everything read from one POSTed notification, flattened across entries and changes."""

    object: str
    messages: tuple[InboundMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    phone_number_ids: tuple[str, ...]
    """Distinct ``value.metadata.phone_number_id`` values, first seen first."""
    unknown_fields: tuple[str, ...]
    """Distinct ``change.field`` values other than "messages" (their values are not read);
    a change without a string field appears as "(no field)"."""
    is_dashboard_test: bool
    """Placeholder data from the App Dashboard "Test" button rather than a real message."""


@dataclass(frozen=True, slots=True)
class HubChallengeResult:
    """The answer to a GET hub challenge: echo ``challenge`` with 200 if accepted, else 403."""

    accepted: bool
    challenge: str | None
    """The exact hub.challenge to echo as the text/plain body; None when refused."""
    reason: str
    """A sentence saying why it was accepted or refused."""


@dataclass(frozen=True, slots=True)
class _Contact:
    wa_id: str | None
    user_id: str | None
    name: str | None


def parse_whatsapp_notification(raw_body: bytes) -> WhatsAppNotification:
    """Parse a WhatsApp webhook POST body, reading every entry, change, message and status.

    Raises MalformedPayload (and nothing else) when the body is not UTF-8 JSON, or is not an
    object with ``object == "whatsapp_business_account"`` and an ``entry`` array. Inside that
    envelope nothing raises: items that are not objects are skipped and fields of the wrong
    type read as absent.
    """
    document = decode_json_body(raw_body)
    if not isinstance(document, dict):
        raise MalformedPayload(f"the top level is {json_type_name(document)}, expected a JSON object")
    obj = document.get("object")
    if obj != WHATSAPP_OBJECT:
        if "object" not in document:
            found = "missing"
        elif isinstance(obj, str):
            found = _shorten(repr(obj))
        else:
            found = json_type_name(obj)
        raise MalformedPayload(f"'object' is {found}, expected '{WHATSAPP_OBJECT}'")
    entries = document.get("entry")
    if not isinstance(entries, list):
        found = "missing" if "entry" not in document else json_type_name(entries)
        raise MalformedPayload(f"'entry' is {found}, expected an array")

    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    phone_number_ids: list[str] = []
    unknown_fields: list[str] = []
    placeholder_ids_seen = False

    for entry in dicts(entries):
        waba_id = get_str(entry, "id")
        if waba_id == DASHBOARD_TEST_ENTRY_ID:
            placeholder_ids_seen = True
        for change in dicts(get_list(entry, "changes")):
            field = get_text(change, "field")
            if field != MESSAGES_FIELD:
                unknown_fields.append(field if field is not None else "(no field)")
                continue
            value = get_dict(change, "value")
            phone_number_id = get_str(get_dict(value, "metadata"), "phone_number_id")
            if phone_number_id is not None:
                phone_number_ids.append(phone_number_id)
                if phone_number_id == DASHBOARD_TEST_PHONE_NUMBER_ID:
                    placeholder_ids_seen = True
            contacts = _Contacts.read(get_list(value, "contacts"))
            for index, message in enumerate(get_list(value, "messages")):
                if isinstance(message, dict):
                    messages.append(_read_message(message, index, contacts, phone_number_id, waba_id))
            for status in dicts(get_list(value, "statuses")):
                statuses.append(_read_status(status, phone_number_id, waba_id))

    ids = [m.wamid for m in messages] + [s.wamid for s in statuses]
    is_dashboard_test = placeholder_ids_seen and bool(ids) and not any(i.startswith(WAMID_PREFIX) for i in ids)
    return WhatsAppNotification(
        object=WHATSAPP_OBJECT,
        messages=tuple(messages),
        statuses=tuple(statuses),
        phone_number_ids=unique(phone_number_ids),
        unknown_fields=unique(unknown_fields),
        is_dashboard_test=is_dashboard_test,
    )


@dataclass(frozen=True, slots=True)
class _Contacts:
    """One change's ``value.contacts[]``, indexed so a 1000-message batch matches fast."""

    in_order: tuple[_Contact | None, ...]
    """By position; None where the item was not an object, so positions stay aligned."""
    by_wa_id: dict[str, _Contact]
    by_user_id: dict[str, _Contact]

    @classmethod
    def read(cls, items: list[Any]) -> _Contacts:
        in_order: list[_Contact | None] = []
        by_wa_id: dict[str, _Contact] = {}
        by_user_id: dict[str, _Contact] = {}
        for item in items:
            if not isinstance(item, dict):
                in_order.append(None)
                continue
            contact = _Contact(
                wa_id=get_str(item, "wa_id"),
                user_id=get_str(item, "user_id"),
                name=get_text(get_dict(item, "profile"), "name"),
            )
            in_order.append(contact)
            if contact.wa_id is not None:
                by_wa_id.setdefault(contact.wa_id, contact)
            if contact.user_id is not None:
                by_user_id.setdefault(contact.user_id, contact)
        return cls(tuple(in_order), by_wa_id, by_user_id)

    def match(self, sender: str | None, sender_user_id: str | None, index: int) -> _Contact | None:
        """Find the contact describing a message's sender.

        By wa_id (or business-scoped user id) when the message names one; otherwise by
        position, because username-only senders have no ``from`` to match on. A positional
        candidate that contradicts what the message does say is refused rather than
        mislabel the sender.
        """
        if sender is not None and sender in self.by_wa_id:
            return self.by_wa_id[sender]
        if sender_user_id is not None and sender_user_id in self.by_user_id:
            return self.by_user_id[sender_user_id]
        if index < len(self.in_order):
            candidate = self.in_order[index]
        elif len(self.in_order) == 1:
            candidate = self.in_order[0]
        else:
            return None
        if candidate is None:
            return None
        if sender is not None and candidate.wa_id not in (None, sender):
            return None
        if sender_user_id is not None and candidate.user_id not in (None, sender_user_id):
            return None
        return candidate


def _message_text(message: dict[str, Any], message_type: str) -> str | None:
    """The human-readable text of a message, where one obviously exists."""
    if message_type == "text":
        return get_text(get_dict(message, "text"), "body")
    if message_type in _CAPTIONED_TYPES:
        return get_text(get_dict(message, message_type), "caption")
    if message_type == "button":
        return get_text(get_dict(message, "button"), "text")
    if message_type == "interactive":
        interactive = get_dict(message, "interactive")
        for reply_kind in ("button_reply", "list_reply"):
            title = get_text(get_dict(interactive, reply_kind), "title")
            if title is not None:
                return title
        return None
    if message_type == "reaction":
        return get_text(get_dict(message, "reaction"), "emoji")
    return None


def _read_message(
    message: dict[str, Any],
    index: int,
    contacts: _Contacts,
    phone_number_id: str | None,
    waba_id: str | None,
) -> InboundMessage:
    sender = get_str(message, "from")
    from_user_id = get_str(message, "from_user_id")
    contact = contacts.match(sender, from_user_id, index)
    if contact is not None:
        sender = sender if sender is not None else contact.wa_id
        from_user_id = from_user_id if from_user_id is not None else contact.user_id
    message_type = get_text(message, "type") or "unknown"
    return InboundMessage(
        wamid=get_str(message, "id") or "",
        sender=sender,
        sender_user_id=from_user_id,
        profile_name=contact.name if contact is not None else None,
        type=message_type,
        text=_message_text(message, message_type),
        timestamp=get_int(message, "timestamp"),
        phone_number_id=phone_number_id,
        waba_id=waba_id,
    )


def _read_status(status: dict[str, Any], phone_number_id: str | None, waba_id: str | None) -> StatusUpdate:
    codes: list[int] = []
    titles: list[str] = []
    for error in dicts(get_list(status, "errors")):
        code = get_int(error, "code")
        if code is not None:
            codes.append(code)
        title = get_text(error, "title") or get_text(error, "message")
        if title:
            titles.append(title)
    recipient = get_str(status, "recipient_id")
    if recipient is None:
        recipient = get_str(status, "recipient_user_id")
    return StatusUpdate(
        wamid=get_str(status, "id") or "",
        status=get_text(status, "status") or "",
        timestamp=get_int(status, "timestamp"),
        recipient_id=recipient,
        error_codes=tuple(codes),
        error_titles=tuple(titles),
        phone_number_id=phone_number_id,
        waba_id=waba_id,
    )


def _shorten(value: str) -> str:
    """Cut a possibly hostile value to a length a human sentence can carry."""
    if len(value) > _QUOTE_LIMIT:
        value = value[:_QUOTE_LIMIT] + "…"
    return value


def _param(params: Mapping[str, str], name: str) -> str | None:
    # A non-string value (a list from a multi-dict, say) is not what Meta sends: absent.
    value = params.get(name)
    return value if isinstance(value, str) else None


def check_hub_challenge(params: Mapping[str, str], verify_token: str | None) -> HubChallengeResult:
    """Decide the answer to Meta's GET verification request.

    Accepted iff ``hub.mode`` is "subscribe", the account has a verify token (its ``secret``),
    ``hub.verify_token`` equals it (compared in constant time) and ``hub.challenge`` is present
    and non-empty; the challenge is then echoed exactly, whatever string it is. The reason
    names the first problem found, the account's own configuration first, since that is what
    an operator can fix.
    """
    mode = _param(params, "hub.mode")
    token = _param(params, "hub.verify_token")
    challenge = _param(params, "hub.challenge")

    def refuse(reason: str) -> HubChallengeResult:
        return HubChallengeResult(accepted=False, challenge=None, reason=reason)

    if not verify_token:
        return refuse("the account has no verify token (secret) set")
    if mode is None:
        return refuse("hub.mode is missing, expected 'subscribe'")
    if mode != "subscribe":
        return refuse(f"hub.mode is {_shorten(repr(mode))}, expected 'subscribe'")
    if token is None:
        return refuse("hub.verify_token is missing")
    if not constant_time_equals(token, verify_token):
        return refuse("hub.verify_token does not match the account's verify token")
    if challenge is None:
        return refuse("hub.challenge is missing")
    if challenge == "":
        return refuse("hub.challenge is empty")
    return HubChallengeResult(
        accepted=True,
        challenge=challenge,
        reason="hub.mode is 'subscribe' and hub.verify_token matches the account's verify token",
    )


def new_wamid() -> str:
    """A fresh, realistic-looking message id (treated as opaque everywhere)."""
    return WAMID_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(30)).decode("ascii")


def serialize_like_meta(document: Any) -> bytes:
    """Serialize JSON the way Meta does: compact, non-ASCII as ``\\uXXXX``, ``/`` as ``\\/``.

    Replacing "/" after dumping is safe: in JSON text a slash can only occur inside a string,
    and ``\\/`` is its valid escape there.
    """
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def _envelope(
    *, waba_id: str, display_phone_number: str, phone_number_id: str, value: dict[str, Any]
) -> dict[str, Any]:
    return {
        "object": WHATSAPP_OBJECT,
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_phone_number,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": MESSAGES_FIELD,
                    }
                ],
            }
        ],
    }


def build_text_message_payload(
    *,
    phone_number_id: str,
    text: str,
    sender_wa_id: str = "16505551234",
    profile_name: str = "Test Sender",
    wamid: str | None = None,
    timestamp: int | None = None,
    waba_id: str = "102290129340398",
    display_phone_number: str = "15550783881",
) -> bytes:
    """The exact bytes Meta would POST for one inbound text message.

    Used by "send test" so the hook sees what it will see in production, escapes included.
    A fresh wamid is generated when none is given, and the timestamp defaults to now: pass
    both for reproducible bytes.
    """
    message_timestamp = int(time.time()) if timestamp is None else timestamp
    value = {
        "contacts": [{"profile": {"name": profile_name}, "wa_id": sender_wa_id}],
        "messages": [
            {
                "from": sender_wa_id,
                "id": wamid if wamid is not None else new_wamid(),
                "timestamp": str(message_timestamp),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    return serialize_like_meta(
        _envelope(
            waba_id=waba_id,
            display_phone_number=display_phone_number,
            phone_number_id=phone_number_id,
            value=value,
        )
    )


def build_status_payload(
    *,
    phone_number_id: str,
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp: int | None = None,
    waba_id: str = "102290129340398",
    display_phone_number: str = "15550783881",
    error_code: int | None = None,
    error_title: str | None = None,
    conversation_id: str | None = None,
) -> bytes:
    """The exact bytes Meta would POST for one delivery status of a sent message.

    With ``error_code`` an ``errors[]`` item is added, as Meta does for ``failed``; with
    ``conversation_id`` the ``conversation`` and ``pricing`` objects Meta adds to ``sent`` and
    ``delivered`` (a service conversation, open for 24 hours).
    """
    status_timestamp = int(time.time()) if timestamp is None else timestamp
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(status_timestamp),
        "recipient_id": recipient_id,
    }
    if conversation_id is not None:
        item["conversation"] = {
            "id": conversation_id,
            "expiration_timestamp": str(status_timestamp + 24 * 3600),
            "origin": {"type": "service"},
        }
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "service"}
    if error_code is not None:
        title = error_title if error_title is not None else "Message failed to send."
        item["errors"] = [
            {
                "code": error_code,
                "title": title,
                "message": title,
                "error_data": {"details": title},
            }
        ]
    return serialize_like_meta(
        _envelope(
            waba_id=waba_id,
            display_phone_number=display_phone_number,
            phone_number_id=phone_number_id,
            value={"statuses": [item]},
        )
    )
