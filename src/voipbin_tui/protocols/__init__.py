"""Pure functions for the providers' wire formats (WhatsApp, LINE, VoIPBIN webhooks).

Verify hub challenges, check signatures on raw bytes, parse and build payloads, and judge a
hook request. No I/O and no imports from the rest of voipbin_tui, so the backend, a relay and
the TUI can all share one judgement.

Names are loaded when first used (PEP 562): the TUI's first frame needs only the verdicts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "errors": ("MalformedPayload",),
    "inspection": (
        "HookInspection",
        "RequestSummary",
        "inspect_line_post",
        "inspect_voipbin_event",
        "inspect_whatsapp_post",
        "inspect_whatsapp_verify",
        "summarize_line",
        "summarize_whatsapp",
    ),
    "line": (
        "LineEvent",
        "LineWebhook",
        "build_line_text_payload",
        "new_webhook_event_id",
        "parse_line_webhook",
    ),
    "signatures": (
        "SignatureCheck",
        "constant_time_equals",
        "sign_hub_signature",
        "sign_line_signature",
        "sign_voipbin_signature",
        "verify_hub_signature",
        "verify_line_signature",
        "verify_voipbin_signature",
    ),
    "verdicts": (
        "HookVerdict",
        "RequestKind",
        "explain_verdict",
    ),
    "whatsapp": (
        "HubChallengeResult",
        "InboundMessage",
        "StatusUpdate",
        "WhatsAppNotification",
        "build_status_payload",
        "build_text_message_payload",
        "check_hub_challenge",
        "new_wamid",
        "parse_whatsapp_notification",
        "serialize_like_meta",
    ),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

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


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])
