"""The vocabulary of the hook inspector: what kind of request arrived and what the hook decided.

Kinds and verdicts are stored with every captured request and shown in the TUI, so their
string values are part of the storage format: never rename a value, only add new ones.
"""

from __future__ import annotations

from enum import StrEnum


class RequestKind(StrEnum):
    """What a captured request was, as far as its path, method and body tell."""

    VERIFY = "verify"
    """WhatsApp's GET hub challenge, sent when the callback URL is saved in Meta's dashboard."""
    MESSAGE = "message"
    """A WhatsApp notification carrying at least one inbound message."""
    STATUS = "status"
    """A WhatsApp notification carrying only delivery statuses."""
    LINE = "line"
    """A LINE webhook with at least one event."""
    LINE_VERIFY = "line_verify"
    """The LINE console's "Verify" request: a webhook with no events."""
    VOIPBIN_EVENT = "voipbin_event"
    """A VoIPBIN customer webhook (account, conversation or message event)."""
    UNKNOWN = "unknown"
    """Nothing above: unparseable, or a notification with neither messages nor statuses."""


class HookVerdict(StrEnum):
    """What the hook decided about one request (why it was, or was not, taken)."""

    OK = "ok"
    BAD_SIGNATURE = "bad_signature"
    MISSING_SIGNATURE = "missing_signature"
    NO_APP_SECRET = "no_app_secret"
    BAD_VERIFY_TOKEN = "bad_verify_token"
    UNKNOWN_ACCOUNT = "unknown_account"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    DUPLICATE = "duplicate"
    DASHBOARD_TEST = "dashboard_test"
    UNSUPPORTED_ACCOUNT = "unsupported_account"
    """An SMS account addressed on the provider hook path, which only serves WhatsApp and LINE."""
    CROSS_SITE = "cross_site"
    """Sent by a web browser on a web page's behalf (Origin, Sec-Fetch-Site): refused."""
    UNCHECKED = "unchecked"
    """Relayed, and its signature checked by nobody who could: neither a pass nor a fail. A LINE
    webhook (VoIPBIN checks no LINE signature, and its API never returns the channel secret),
    or a request to an account the relay could not read from VoIPBIN's API."""


# The explanations depend on which provider the request came from: the same verdict names a
# different header and a different secret for WhatsApp, LINE and VoIPBIN's own webhooks.
_WHATSAPP = "whatsapp"
_LINE = "line"
_VOIPBIN = "voipbin"
_ANY = "any"
"""Words true for every provider: used when a provider has none of its own for a verdict."""

_LINE_KINDS = frozenset({RequestKind.LINE, RequestKind.LINE_VERIFY})

_EXPLANATIONS: dict[tuple[HookVerdict, str], str] = {
    # OK
    (HookVerdict.OK, _WHATSAPP): (
        "The X-Hub-Signature-256 matches the account's app secret and the payload is a valid "
        "WhatsApp notification: VoIPBIN takes it (text messages become incoming messages)."
    ),
    (HookVerdict.OK, _LINE): (
        "The x-line-signature matches the account's channel secret and the payload is a valid "
        "LINE webhook: it is taken."
    ),
    (HookVerdict.OK, _VOIPBIN): (
        "The X-VoIPBIN-Signature matches the customer's webhook secret and the body is a VoIPBIN event."
    ),
    # BAD_SIGNATURE
    (HookVerdict.BAD_SIGNATURE, _WHATSAPP): (
        "The X-Hub-Signature-256 computed with the account's app secret does not match: the "
        "body was re-encoded on the way, or the app secret is wrong."
    ),
    (HookVerdict.BAD_SIGNATURE, _LINE): (
        "The x-line-signature computed with the account's channel secret does not match: the "
        "body was re-encoded on the way, or the channel secret is wrong. (VoIPBIN's own hook "
        "does not check this header today; a checking receiver refuses the request.)"
    ),
    (HookVerdict.BAD_SIGNATURE, _VOIPBIN): (
        "The X-VoIPBIN-Signature computed with the customer's webhook secret does not match: "
        "the body was re-encoded on the way, or the webhook secret is wrong."
    ),
    # MISSING_SIGNATURE
    (HookVerdict.MISSING_SIGNATURE, _WHATSAPP): (
        "The request has no X-Hub-Signature-256 header, so it cannot be authenticated and is "
        "dropped; Meta always signs its notifications, so this did not come from Meta as is."
    ),
    (HookVerdict.MISSING_SIGNATURE, _LINE): (
        "The request has no x-line-signature header, so it cannot be authenticated; LINE always "
        "signs its webhooks. (VoIPBIN's own hook does not check this header today.)"
    ),
    (HookVerdict.MISSING_SIGNATURE, _VOIPBIN): (
        "The request has no X-VoIPBIN-Signature header, so it cannot be authenticated."
    ),
    # NO_APP_SECRET
    (HookVerdict.NO_APP_SECRET, _WHATSAPP): (
        "The account has no provider_data.app_secret, so the X-Hub-Signature-256 cannot be "
        "checked: VoIPBIN drops every message of an account without an app secret."
    ),
    (HookVerdict.NO_APP_SECRET, _LINE): (
        "The account has no channel secret (its `secret`), so the x-line-signature cannot be checked."
    ),
    (HookVerdict.NO_APP_SECRET, _VOIPBIN): (
        "No webhook secret is configured for the customer, so the X-VoIPBIN-Signature cannot be checked."
    ),
    # BAD_VERIFY_TOKEN
    (HookVerdict.BAD_VERIFY_TOKEN, _WHATSAPP): (
        "The verification was refused: hub.verify_token differs from the account's verify "
        "token (its `secret`), or hub.mode is not subscribe, so Meta will not mark the URL "
        "verified."
    ),
    (HookVerdict.BAD_VERIFY_TOKEN, _ANY): (
        "The verification was refused: the verify token sent differs from the account's verify token (its `secret`)."
    ),
    # UNKNOWN_ACCOUNT
    (HookVerdict.UNKNOWN_ACCOUNT, _WHATSAPP): (
        "The account id in the path matches no conversation account, so the request is "
        "dropped; VoIPBIN still answers 200 to a POST, so Meta never learns of it."
    ),
    (HookVerdict.UNKNOWN_ACCOUNT, _ANY): (
        "The account id in the path matches no conversation account, so the request is dropped."
    ),
    # MALFORMED
    (HookVerdict.MALFORMED, _WHATSAPP): (
        "The body is not a WhatsApp notification (not JSON, or not an object with "
        "object=whatsapp_business_account and an entry list), so nothing in it is processed."
    ),
    (HookVerdict.MALFORMED, _LINE): (
        "The body is not a LINE webhook (not JSON, or not an object with an events list), so "
        "nothing in it is processed."
    ),
    (HookVerdict.MALFORMED, _VOIPBIN): (
        "The body is not a VoIPBIN event (not JSON, or not an object with type and data)."
    ),
    # TOO_LARGE
    (HookVerdict.TOO_LARGE, _WHATSAPP): (
        "The body is larger than the hook accepts (Meta sends at most 3 MB), so it was not processed."
    ),
    (HookVerdict.TOO_LARGE, _ANY): ("The body is larger than the hook accepts, so it was not processed."),
    # DUPLICATE
    (HookVerdict.DUPLICATE, _WHATSAPP): (
        "Already received: the same wamid (or the same wamid and status) arrived before. This "
        "is a provider retry; it is answered 200 and skipped."
    ),
    (HookVerdict.DUPLICATE, _LINE): (
        "Already received: the same webhookEventId arrived before (a LINE redelivery); it is answered 200 and skipped."
    ),
    (HookVerdict.DUPLICATE, _ANY): (
        "Already received: the same event arrived before (a redelivery); it is answered 200 and skipped."
    ),
    # DASHBOARD_TEST
    (HookVerdict.DASHBOARD_TEST, _WHATSAPP): (
        'Placeholder data from Meta\'s App Dashboard "Test" button (phone_number_id 123456123, '
        "message id without the wamid. prefix), not a real message. The webhook is reachable "
        "and signed correctly; send a message from a real phone to test end to end."
    ),
    (HookVerdict.DASHBOARD_TEST, _ANY): (
        "Placeholder data from a provider console's test button, not a real message: the "
        "webhook is reachable and signed correctly."
    ),
    # UNSUPPORTED_ACCOUNT
    (HookVerdict.UNSUPPORTED_ACCOUNT, _ANY): (
        "This is an SMS account: SMS arrives through the carrier's own hook, not through the "
        "conversation hook path, so the request is ignored."
    ),
    # UNCHECKED
    (HookVerdict.UNCHECKED, _LINE): (
        "The x-line-signature was not checked: VoIPBIN's hook does not check LINE signatures, so "
        "VoIPBIN takes a valid LINE webhook whatever its signature; neither a pass nor a fail."
    ),
    (HookVerdict.UNCHECKED, _WHATSAPP): (
        "The X-Hub-Signature-256 was not checked here, so this does not say whether VoIPBIN took "
        "the request: VoIPBIN checks it with the account's app secret and drops it on a mismatch."
    ),
    (HookVerdict.UNCHECKED, _ANY): (
        "The signature was not checked here, so this does not say whether the request was taken."
    ),
    # CROSS_SITE
    (HookVerdict.CROSS_SITE, _ANY): (
        "A web browser sent this on a web page's behalf (it carries Origin or Sec-Fetch-Site, which "
        "no provider's webhook sends): refused with 403, and nothing in it was processed."
    ),
}


# Where one kind needs its own words for a verdict (an OK verification is not an OK message).
_KIND_EXPLANATIONS: dict[tuple[HookVerdict, RequestKind], str] = {
    (HookVerdict.OK, RequestKind.VERIFY): (
        "hub.mode is subscribe and hub.verify_token matches the account's verify token: the "
        "challenge is echoed with 200, so Meta marks the callback URL verified."
    ),
    (HookVerdict.OK, RequestKind.STATUS): (
        "The X-Hub-Signature-256 matches the account's app secret and the payload is a valid "
        "WhatsApp notification carrying delivery statuses of messages the account sent."
    ),
    (HookVerdict.OK, RequestKind.UNKNOWN): (
        "The signature matches and the envelope is valid, but it carries no messages and no "
        "statuses: there is nothing in it to take."
    ),
    (HookVerdict.OK, RequestKind.LINE_VERIFY): (
        "The x-line-signature matches the channel secret and there are no events: this is the "
        "LINE console's Verify request, answered 200, which is all LINE checks."
    ),
}


def _provider_of(kind: RequestKind | None) -> str:
    """The provider whose header and secret names an explanation must use."""
    if kind in _LINE_KINDS:
        return _LINE
    if kind == RequestKind.VOIPBIN_EVENT:
        return _VOIPBIN
    return _WHATSAPP


def explain_verdict(verdict: HookVerdict, kind: RequestKind | None = None) -> str:
    """Explain a verdict in one or two sentences an operator can act on.

    The text names the header and the secret of the provider that ``kind`` belongs to
    (WhatsApp when ``kind`` is None), because "signature does not match" alone does not tell
    an operator which value to go and fix; it never borrows another provider's words (a LINE
    request is not told about Meta). Never raises: an unexpected value gets a generic
    sentence rather than an error in the middle of a screen.
    """
    if kind is not None:
        text = _KIND_EXPLANATIONS.get((verdict, kind))
        if text is not None:
            return text
    provider = _provider_of(kind)
    text = _EXPLANATIONS.get((verdict, provider)) or _EXPLANATIONS.get((verdict, _ANY))
    if text is None:
        return f"The hook's verdict was {str(verdict)!r}."
    return text
