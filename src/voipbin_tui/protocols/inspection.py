"""Judge one hook request as a pure function, so the backend, a relay and the TUI agree.

Each ``inspect_*`` function takes what arrived (raw body, signature header, query) and the
account's secret, and returns the kind, the verdict, a short summary and an explanation.
Deduplication is not decided here, since it needs storage: the backend overrides the verdict
with DUPLICATE. Nothing here raises on hostile input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voipbin_tui.protocols.errors import MalformedPayload
from voipbin_tui.protocols.line import LineWebhook, parse_line_webhook
from voipbin_tui.protocols.signatures import (
    SignatureCheck,
    verify_hub_signature,
    verify_line_signature,
    verify_voipbin_signature,
)
from voipbin_tui.protocols.untrusted_json import decode_json_body, get_text, json_type_name, unique
from voipbin_tui.protocols.verdicts import HookVerdict, RequestKind, explain_verdict
from voipbin_tui.protocols.whatsapp import (
    HubChallengeResult,
    WhatsAppNotification,
    check_hub_challenge,
    parse_whatsapp_notification,
)
from voipbin_tui.terminal_text import quoted

# The first failing signature check decides the verdict; VALID lets the payload checks run.
_SIGNATURE_VERDICTS: dict[SignatureCheck, HookVerdict] = {
    SignatureCheck.NO_SECRET: HookVerdict.NO_APP_SECRET,
    SignatureCheck.MISSING: HookVerdict.MISSING_SIGNATURE,
    SignatureCheck.INVALID: HookVerdict.BAD_SIGNATURE,
}
# How much of a payload's ids and field names a detail sentence quotes.
_LISTED_VALUES = 5
_LISTED_LENGTH = 40


@dataclass(frozen=True, slots=True)
class RequestSummary:
    """The few facts an operator scans a list of requests for: who, what, which ids.

    Filled from the payload whenever it parses, whatever the verdict: seeing who sent a
    refused message is most of the diagnosis.
    """

    sender: str | None
    """WhatsApp: the first message's wa_id (or business-scoped user id); LINE: the userId."""
    sender_name: str | None
    wamid: str | None
    """The first message's wamid, or the first status's when there are no messages."""
    text: str | None
    statuses: tuple[str, ...]
    """Every status as ``"<wamid>:<status>"``, in order."""
    message_count: int
    status_count: int
    event_types: tuple[str, ...]
    """Distinct kinds of content: WhatsApp message types (plus ``field:<name>`` for changes
    that are not messages), LINE event types, or the VoIPBIN event type."""

    @classmethod
    def empty(cls) -> RequestSummary:
        """The summary of a request with nothing readable in it."""
        return cls(None, None, None, None, (), 0, 0, ())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, for storing with the captured request."""
        return {
            "sender": self.sender,
            "sender_name": self.sender_name,
            "wamid": self.wamid,
            "text": self.text,
            "statuses": list(self.statuses),
            "message_count": self.message_count,
            "status_count": self.status_count,
            "event_types": list(self.event_types),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequestSummary:
        """Read back :meth:`to_dict` output; missing or mistyped keys read as empty.

        Lenient so that summaries stored by an older version still load.
        """
        if not isinstance(data, Mapping):
            return cls.empty()

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        def count(key: str) -> int:
            value = data.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
            return 0

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key)
            if not isinstance(value, (list, tuple)):
                return ()
            return tuple(item for item in value if isinstance(item, str))

        return cls(
            sender=text("sender"),
            sender_name=text("sender_name"),
            wamid=text("wamid"),
            text=text("text"),
            statuses=strings("statuses"),
            message_count=count("message_count"),
            status_count=count("status_count"),
            event_types=strings("event_types"),
        )


@dataclass(frozen=True, slots=True)
class HookInspection:
    """The hook's whole judgement of one request."""

    kind: RequestKind
    verdict: HookVerdict
    summary: RequestSummary
    detail: str
    """The verdict explained, plus what is specific to this request (a parse error, the
    reason a challenge was refused, what the payload held)."""
    notification: WhatsAppNotification | None
    line_webhook: LineWebhook | None


def _detail(verdict: HookVerdict, kind: RequestKind, *specifics: str) -> str:
    return " ".join([explain_verdict(verdict, kind), *(s for s in specifics if s)])


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    suffix = "es" if word.endswith("s") else "s"
    return f"{count} {word}{suffix}"


def _parse_failure(verdict: HookVerdict, parse_error: str | None) -> str:
    """Why the body did not parse, worded for whether that is the verdict or an aside."""
    if verdict == HookVerdict.MALFORMED:
        return f"Parser: {parse_error}."
    return f"Also, the body does not parse: {parse_error}."


# --- WhatsApp -------------------------------------------------------------------------------


def inspect_whatsapp_verify(
    params: Mapping[str, str], verify_token: str | None
) -> tuple[HookInspection, HubChallengeResult]:
    """Judge Meta's GET verification; the result also says what to answer."""
    result = check_hub_challenge(params, verify_token)
    verdict = HookVerdict.OK if result.accepted else HookVerdict.BAD_VERIFY_TOKEN
    inspection = HookInspection(
        kind=RequestKind.VERIFY,
        verdict=verdict,
        summary=RequestSummary.empty(),
        detail=_detail(verdict, RequestKind.VERIFY, "" if result.accepted else f"Reason: {result.reason}."),
        notification=None,
        line_webhook=None,
    )
    return inspection, result


def summarize_whatsapp(notification: WhatsAppNotification) -> RequestSummary:
    """The summary of a parsed WhatsApp notification."""
    first = notification.messages[0] if notification.messages else None
    wamid: str | None = None
    if first is not None:
        wamid = first.wamid or None
    elif notification.statuses:
        wamid = notification.statuses[0].wamid or None
    event_types = [m.type for m in notification.messages]
    event_types += [f"field:{field}" for field in notification.unknown_fields]
    return RequestSummary(
        sender=(first.sender or first.sender_user_id) if first is not None else None,
        sender_name=first.profile_name if first is not None else None,
        wamid=wamid,
        text=first.text if first is not None else None,
        statuses=tuple(f"{s.wamid}:{s.status}" for s in notification.statuses),
        message_count=len(notification.messages),
        status_count=len(notification.statuses),
        event_types=unique(event_types),
    )


def _whatsapp_kind(notification: WhatsAppNotification | None) -> RequestKind:
    if notification is None:
        return RequestKind.UNKNOWN
    if notification.messages:
        return RequestKind.MESSAGE
    if notification.statuses:
        return RequestKind.STATUS
    return RequestKind.UNKNOWN


def _listing(values: tuple[str, ...]) -> str:
    """A few values for a sentence, escaped and quoted; a hostile payload can carry thousands,
    or huge ones, and a sender chooses them."""
    shown = [quoted(v, _LISTED_LENGTH) for v in values]
    text = ", ".join(shown[:_LISTED_VALUES])
    if len(shown) > _LISTED_VALUES:
        text += f" and {len(shown) - _LISTED_VALUES} more"
    return text


def _whatsapp_contents(notification: WhatsAppNotification) -> str:
    messages = _plural(len(notification.messages), "message")
    statuses = _plural(len(notification.statuses), "status")
    text = f"The notification holds {messages} and {statuses}"
    if notification.phone_number_ids:
        text += " for phone_number_id " + _listing(notification.phone_number_ids)
    text += "."
    if notification.unknown_fields:
        fields = _listing(notification.unknown_fields)
        text += f" Changes with field {fields} are not message updates and were not read."
    return text


def inspect_whatsapp_post(raw_body: bytes, signature_header: str | None, app_secret: str | None) -> HookInspection:
    """Judge a WhatsApp notification POST the way a correct hook would.

    Checks, in order: an app secret exists (NO_APP_SECRET), the signature header is present
    (MISSING_SIGNATURE) and matches (BAD_SIGNATURE), the body parses (MALFORMED), it is not
    the dashboard's placeholder (DASHBOARD_TEST); else OK. The body is parsed in every case,
    so the summary shows who sent even a refused message.
    """
    notification: WhatsAppNotification | None
    parse_error: str | None = None
    try:
        notification = parse_whatsapp_notification(raw_body)
    except MalformedPayload as exc:
        notification, parse_error = None, str(exc)

    signature = verify_hub_signature(app_secret, raw_body, signature_header)
    verdict = _SIGNATURE_VERDICTS.get(signature)
    if verdict is None:
        if notification is None:
            verdict = HookVerdict.MALFORMED
        elif notification.is_dashboard_test:
            verdict = HookVerdict.DASHBOARD_TEST
        else:
            verdict = HookVerdict.OK

    kind = _whatsapp_kind(notification)
    if notification is not None:
        summary = summarize_whatsapp(notification)
        specifics = _whatsapp_contents(notification)
    else:
        summary = RequestSummary.empty()
        specifics = _parse_failure(verdict, parse_error)
    return HookInspection(
        kind=kind,
        verdict=verdict,
        summary=summary,
        detail=_detail(verdict, kind, specifics),
        notification=notification,
        line_webhook=None,
    )


# --- LINE -----------------------------------------------------------------------------------


def summarize_line(webhook: LineWebhook) -> RequestSummary:
    """The summary of a parsed LINE webhook."""
    first = webhook.events[0] if webhook.events else None
    with_text = next((e for e in webhook.events if e.text is not None), None)
    return RequestSummary(
        sender=(first.user_id or first.source_id) if first is not None else None,
        sender_name=None,
        wamid=None,
        text=with_text.text if with_text is not None else None,
        statuses=(),
        message_count=sum(1 for e in webhook.events if e.type == "message"),
        status_count=0,
        event_types=unique([e.type for e in webhook.events]),
    )


def inspect_line_post(raw_body: bytes, signature_header: str | None, channel_secret: str | None) -> HookInspection:
    """Judge a LINE webhook POST: same order of checks as :func:`inspect_whatsapp_post`.

    A missing channel secret reuses NO_APP_SECRET (explained in terms of the channel
    secret). The kind is LINE_VERIFY for the console's empty Verify request, else LINE.
    """
    webhook: LineWebhook | None
    parse_error: str | None = None
    try:
        webhook = parse_line_webhook(raw_body)
    except MalformedPayload as exc:
        webhook, parse_error = None, str(exc)

    signature = verify_line_signature(channel_secret, raw_body, signature_header)
    verdict = _SIGNATURE_VERDICTS.get(signature)
    if verdict is None:
        verdict = HookVerdict.MALFORMED if webhook is None else HookVerdict.OK

    is_verify = webhook is not None and webhook.is_verify_request
    kind = RequestKind.LINE_VERIFY if is_verify else RequestKind.LINE
    if webhook is not None:
        summary = summarize_line(webhook)
        specifics = f"The webhook holds {_plural(len(webhook.events), 'event')}." if webhook.events else ""
    else:
        summary = RequestSummary.empty()
        specifics = _parse_failure(verdict, parse_error)
    return HookInspection(
        kind=kind,
        verdict=verdict,
        summary=summary,
        detail=_detail(verdict, kind, specifics),
        notification=None,
        line_webhook=webhook,
    )


# --- VoIPBIN customer webhooks --------------------------------------------------------------


def _voipbin_event_type(raw_body: bytes) -> str:
    """The ``type`` of a VoIPBIN event body, or raise MalformedPayload."""
    document = decode_json_body(raw_body)
    if not isinstance(document, dict):
        raise MalformedPayload(f"the top level is {json_type_name(document)}, expected a JSON object")
    event_type = get_text(document, "type")
    if not event_type:
        raise MalformedPayload("'type' is missing or not a non-empty string")
    return event_type


def inspect_voipbin_event(raw_body: bytes, signature_header: str | None, webhook_secret: str | None) -> HookInspection:
    """Judge a VoIPBIN customer webhook (``X-VoIPBIN-Signature``); kind VOIPBIN_EVENT.

    Same order of checks as the provider hooks; NO_APP_SECRET stands for "no webhook secret".
    """
    event_type: str | None
    parse_error: str | None = None
    try:
        event_type = _voipbin_event_type(raw_body)
    except MalformedPayload as exc:
        event_type, parse_error = None, str(exc)

    signature = verify_voipbin_signature(webhook_secret, raw_body, signature_header)
    verdict = _SIGNATURE_VERDICTS.get(signature)
    if verdict is None:
        verdict = HookVerdict.MALFORMED if event_type is None else HookVerdict.OK

    kind = RequestKind.VOIPBIN_EVENT
    if event_type is not None:
        summary = RequestSummary(None, None, None, None, (), 0, 0, (event_type,))
        specifics = f"Event type: {quoted(event_type)}."
    else:
        summary = RequestSummary.empty()
        specifics = _parse_failure(verdict, parse_error)
    return HookInspection(
        kind=kind,
        verdict=verdict,
        summary=summary,
        detail=_detail(verdict, kind, specifics),
        notification=None,
        line_webhook=None,
    )
