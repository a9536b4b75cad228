"""Pure functions for the providers' wire formats (WhatsApp, LINE, VoIPBIN webhooks).

Verify hub challenges, check signatures on raw bytes, parse and build payloads, and judge a
hook request. No I/O and no imports from the rest of voipbin_tui, so the backend, a relay and
the TUI can all share one judgement.
"""

from voipbin_tui.protocols.errors import MalformedPayload
from voipbin_tui.protocols.inspection import (
    HookInspection,
    RequestSummary,
    inspect_line_post,
    inspect_voipbin_event,
    inspect_whatsapp_post,
    inspect_whatsapp_verify,
    summarize_line,
    summarize_whatsapp,
)
from voipbin_tui.protocols.line import (
    LineEvent,
    LineWebhook,
    build_line_text_payload,
    new_webhook_event_id,
    parse_line_webhook,
)
from voipbin_tui.protocols.signatures import (
    SignatureCheck,
    constant_time_equals,
    sign_hub_signature,
    sign_line_signature,
    sign_voipbin_signature,
    verify_hub_signature,
    verify_line_signature,
    verify_voipbin_signature,
)
from voipbin_tui.protocols.verdicts import (
    HookVerdict,
    RequestKind,
    explain_verdict,
)
from voipbin_tui.protocols.whatsapp import (
    HubChallengeResult,
    InboundMessage,
    StatusUpdate,
    WhatsAppNotification,
    build_status_payload,
    build_text_message_payload,
    check_hub_challenge,
    new_wamid,
    parse_whatsapp_notification,
    serialize_like_meta,
)

__all__ = [
    "HookInspection",
    "HookVerdict",
    "HubChallengeResult",
    "InboundMessage",
    "LineEvent",
    "LineWebhook",
    "MalformedPayload",
    "RequestKind",
    "RequestSummary",
    "SignatureCheck",
    "StatusUpdate",
    "WhatsAppNotification",
    "build_line_text_payload",
    "build_status_payload",
    "build_text_message_payload",
    "check_hub_challenge",
    "constant_time_equals",
    "explain_verdict",
    "inspect_line_post",
    "inspect_voipbin_event",
    "inspect_whatsapp_post",
    "inspect_whatsapp_verify",
    "new_wamid",
    "new_webhook_event_id",
    "parse_line_webhook",
    "parse_whatsapp_notification",
    "serialize_like_meta",
    "sign_hub_signature",
    "sign_line_signature",
    "sign_voipbin_signature",
    "summarize_line",
    "summarize_whatsapp",
    "verify_hub_signature",
    "verify_line_signature",
    "verify_voipbin_signature",
]
