"""The sandbox control API for the emulated providers, with the sandbox's access key like the
REST API: ``GET /v1.0/sandbox/providers`` shows the whole emulated state (tokens and secrets
masked), ``PATCH`` sets named switches (e.g. ``{"meta.messages_subscribed": false}``) to make a
doctor check fail on purpose, ``DELETE`` puts the seed back.

Two actions make the emulated provider send, as it would on its own: ``.../inbound`` a
customer's text message to an account (Meta's signed with the app secret, LINE's with the
channel secret, to wherever the provider's state routes it), ``.../dashboard-test`` the sample
of Meta's App Dashboard Test button. Each answers what the delivery got back.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from voipbin_tui.api.account_types import provider_of
from voipbin_tui.backend.auth import requires_credentials
from voipbin_tui.backend.context import backend_of
from voipbin_tui.backend.emulated_http import BodyError, json_object
from voipbin_tui.backend.emulated_line import send_line_webhook
from voipbin_tui.backend.emulated_meta import MAX_TEXT_LENGTH, press_dashboard_test, send_meta_webhook, webhook_digits
from voipbin_tui.backend.emulated_webhooks import WebhookResult, not_sent
from voipbin_tui.backend.errors import ApiProblem
from voipbin_tui.backend.object_ids import parse_object_id
from voipbin_tui.backend.own_urls import OwnUrls
from voipbin_tui.backend.provider_state import ProviderState, apply_switches, load_state, reset_state, save_state
from voipbin_tui.backend.store import AccountRecord, Store
from voipbin_tui.protocols.line import build_line_text_payload
from voipbin_tui.protocols.signatures import constant_time_equals
from voipbin_tui.protocols.whatsapp import build_text_message_payload

PROVIDERS_PATH = "/v1.0/sandbox/providers"


async def _body(request: Request) -> dict[str, Any]:
    try:
        return await json_object(request)
    except BodyError as error:
        raise ApiProblem(400, "INVALID_ARGUMENT", f"{error}: send a JSON object") from None


@requires_credentials
async def show_providers(request: Request) -> Response:
    state = backend_of(request).read(load_state)
    return JSONResponse(state.redacted(OwnUrls.of(request)))


@requires_credentials
async def change_providers(request: Request) -> Response:
    changes = await _body(request)

    def change(store: Store) -> ProviderState:
        changed = apply_switches(load_state(store), changes)
        save_state(store, changed)
        return changed

    state = await backend_of(request).write(change)
    return JSONResponse(state.redacted(OwnUrls.of(request)))


@requires_credentials
async def reset_providers(request: Request) -> Response:
    state = await backend_of(request).write(reset_state)
    return JSONResponse(state.redacted(OwnUrls.of(request)))


INBOUND_SENDER = "16505551234"
"""The customer the emulated Meta's inbound messages come from (the seed's Sheena Nelson)."""
INBOUND_SENDER_NAME = "Sheena Nelson"


def _account_of(request: Request, body: dict[str, Any]) -> AccountRecord:
    value = body.get("account_id")
    if not isinstance(value, str):
        raise ApiProblem(400, "INVALID_ARGUMENT", "account_id must be the account's id")
    account_id = parse_object_id(value, what="account_id")
    account = backend_of(request).read(lambda store: store.get_account(account_id))
    if account is None:
        raise ApiProblem(404, "CONVERSATION_ACCOUNT_NOT_FOUND", f"No conversation account has id {account_id}.")
    return account


def _emulated_number(account: AccountRecord, state: ProviderState) -> None:
    if provider_of(account.type) != "meta":
        raise ApiProblem(400, "INVALID_ARGUMENT", f"a {account.type[:20]} account gets nothing from Meta")
    number = (account.provider_data or {}).get("phone_number_id", "")
    if number != state.meta.number.phone_number_id:
        raise ApiProblem(
            400,
            "INVALID_ARGUMENT",
            f"the emulated Meta has no phone number {number[:40]!r}: only {state.meta.number.phone_number_id}",
        )


async def _inbound_meta(own: OwnUrls, state: ProviderState, account: AccountRecord, text: str) -> WebhookResult:
    _emulated_number(account, state)
    payload = build_text_message_payload(
        phone_number_id=state.meta.number.phone_number_id,
        text=text,
        sender_wa_id=INBOUND_SENDER,
        profile_name=INBOUND_SENDER_NAME,
        waba_id=state.meta.waba.waba_id,
        display_phone_number=webhook_digits(state.meta.number.display_phone_number),
    )
    return await send_meta_webhook(own, state, payload)


async def _inbound_line(own: OwnUrls, state: ProviderState, account: AccountRecord, text: str) -> WebhookResult:
    channel = state.line
    if not constant_time_equals(account.token, channel.access_token):
        raise ApiProblem(
            400, "INVALID_ARGUMENT", "the emulated LINE has no channel with this account's channel access token"
        )
    if not channel.webhook_active:
        return not_sent("", "Use webhook is off for the channel: LINE sends it no events")
    endpoint = state.line_endpoint(own)
    if not endpoint:
        return not_sent("", "the channel has no webhook endpoint")
    payload = build_line_text_payload(text=text, destination=channel.bot_user_id)
    return await send_line_webhook(own, channel, endpoint, payload)


@requires_credentials
async def send_inbound(request: Request) -> Response:
    """``{"account_id", "text"}``: the account's provider sends a customer's text message."""
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_LENGTH:
        raise ApiProblem(400, "INVALID_ARGUMENT", f"text must be a non-empty string of at most {MAX_TEXT_LENGTH}")
    account = _account_of(request, body)
    state = backend_of(request).read(load_state)
    own = OwnUrls.of(request)
    provider = provider_of(account.type)
    if provider is None:
        raise ApiProblem(400, "INVALID_ARGUMENT", f"a {account.type[:20]} account gets no provider's webhooks")
    send = _inbound_line if provider == "line" else _inbound_meta
    result = await send(own, state, account, text)
    return JSONResponse({"provider": provider, **result.as_json()})


@requires_credentials
async def send_dashboard_test(request: Request) -> Response:
    """``{"account_id"}``: Meta's App Dashboard Test for the app serving that WhatsApp account."""
    account = _account_of(request, await _body(request))
    state = backend_of(request).read(load_state)
    _emulated_number(account, state)
    result = await press_dashboard_test(OwnUrls.of(request), state)
    return JSONResponse({"provider": "meta", **result.as_json()})


PROVIDER_CONTROL_ROUTES: list[BaseRoute] = [
    Route(f"{PROVIDERS_PATH}/inbound", send_inbound, methods=["POST"]),
    Route(f"{PROVIDERS_PATH}/dashboard-test", send_dashboard_test, methods=["POST"]),
    Route(PROVIDERS_PATH, show_providers, methods=["GET"]),
    Route(PROVIDERS_PATH, change_providers, methods=["PATCH"]),
    Route(PROVIDERS_PATH, reset_providers, methods=["DELETE"]),
]
