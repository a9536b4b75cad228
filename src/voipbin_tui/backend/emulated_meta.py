"""The emulated Graph API (``/emulated/graph``): the calls the account doctor makes to Meta,
answered from the emulated provider state with Meta's shapes and error envelopes
(preflight.md, "What the sandbox must emulate"; providers.md for the envelope).

It authenticates as Meta does, with Meta's credentials only: a system-user token (Bearer or
``access_token=``), checked against ``appsecret_proof`` when one is sent, or an app token
``{app-id}|{app-secret}``. The sandbox's own access key means nothing here.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from voipbin_tui.backend.context import BackendContext, backend_of
from voipbin_tui.backend.emulated_http import BodyError, form_fields, json_object, page_refusal
from voipbin_tui.backend.emulated_webhooks import (
    META_TIMEOUT_SECONDS,
    META_USER_AGENT,
    WebhookResult,
    not_sent,
    post_webhook,
)
from voipbin_tui.backend.own_urls import OwnUrls
from voipbin_tui.backend.provider_state import ProviderState, load_state, save_state
from voipbin_tui.backend.store import Store
from voipbin_tui.protocols.signatures import constant_time_equals, sign_hub_signature
from voipbin_tui.protocols.whatsapp import build_status_payload, new_wamid, serialize_like_meta

GRAPH_PREFIX = "/emulated/graph"
NEWEST_VERSION = 26
OLDEST_LIVE_VERSION = 21
"""v21.0 to v26.0 are live; an older version is served as the oldest live one, as Meta does."""
PROOF_WINDOW_SECONDS = 300
"""A timed ``appsecret_proof`` is "considered expired after 5 minutes"."""
MAX_OVERRIDE_URL_LENGTH = 200
MAX_TEXT_LENGTH = 4096
"""The longest WhatsApp text body."""
_VERSION = re.compile(r"v(\d{1,3})\.0")
_NUMBER_FIELDS = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "code_verification_status",
    "name_status",
    "platform_type",
    "throughput",
    "health_status",
    "webhook_configuration",
)
_NUMBER_DEFAULT_FIELDS = (
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "id",
)
_WABA_FIELDS = ("id", "name", "currency", "timezone_id", "message_template_namespace")
_HEALTH_RANK = {"AVAILABLE": 0, "LIMITED": 1, "BLOCKED": 2}
_BLOCKED_ERROR = {
    "error_code": 141010,
    "error_description": "The Business has not passed business verification.",
    "possible_solution": "Verify the business in Meta Business Suite.",
}
_LIMITED_INFO = ["The phone number's messaging limit is reduced while its quality rating is low."]

Endpoint = Callable[[Request], Awaitable[Response]]
log = logging.getLogger(__name__)


class GraphError(Exception):
    """An error answered in Graph's envelope: ``{"error": {message, type, code, ...}}``."""

    def __init__(
        self, status: int, message: str, *, code: int, type: str = "OAuthException", subcode: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.type = type
        self.subcode = subcode

    def response(self) -> JSONResponse:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
        return JSONResponse({"error": error}, status_code=self.status)


def _invalid_token() -> GraphError:
    return GraphError(401, "Invalid OAuth access token - Cannot parse access token", code=190)


def _unsupported(method: str, node: str) -> GraphError:
    return GraphError(
        400,
        f"Unsupported {method.lower()} request. Object with ID '{node[:100]}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        code=100,
        subcode=33,
        type="GraphMethodException",
    )


def _unknown_path(request: Request) -> GraphError:
    path = request.url.path[len(GRAPH_PREFIX) :]
    return GraphError(400, f"Unknown path components: {path[:200]}", code=2500)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a call comes from: the app's system user (with its token) or the app itself."""

    kind: Literal["user", "app"]
    token: str


def _presented_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


def _check_proof(request: Request, state: ProviderState, token: str) -> None:
    """``appsecret_proof`` (timed or not), checked whenever one is sent; required only with
    "Require App Secret" on."""
    proof = request.query_params.get("appsecret_proof")
    app = state.meta.app
    if proof is None:
        if app.require_app_secret:
            raise GraphError(
                400,
                "API calls from the server require an appsecret_proof argument",
                code=100,
                type="GraphMethodException",
            )
        return
    secret = app.app_secret.encode("utf-8")
    expected = [hmac.new(secret, token.encode("utf-8"), hashlib.sha256).hexdigest()]
    when = request.query_params.get("appsecret_time", "")
    if when.isascii() and when.isdigit() and abs(time.time() - int(when)) <= PROOF_WINDOW_SECONDS:
        expected.append(hmac.new(secret, f"{token}|{when}".encode(), hashlib.sha256).hexdigest())
    if not any(constant_time_equals(proof, candidate) for candidate in expected):
        raise GraphError(
            400, "Invalid appsecret_proof provided in the API argument", code=100, type="GraphMethodException"
        )


def _app_token_caller(state: ProviderState, token: str) -> Caller:
    app_id, _, secret = token.partition("|")
    if app_id != state.meta.app.app_id:
        raise GraphError(400, "Error validating application. Invalid application ID.", code=101)
    if not constant_time_equals(secret, state.meta.app.app_secret):
        raise GraphError(401, "Invalid OAuth access token signature.", code=190)
    return Caller("app", token)


def _caller(request: Request, state: ProviderState, token: str | None) -> Caller:
    if token is None:
        raise GraphError(400, "An access token is required to request this resource.", code=104)
    if "|" in token:
        return _app_token_caller(state, token)
    system_user = state.meta.token
    if not constant_time_equals(token, system_user.token):
        raise _invalid_token()
    if system_user.has_expired(time.time()):
        raise GraphError(
            401,
            "Error validating access token: Session has expired. The current time is later than its expiry.",
            code=190,
            subcode=463,
        )
    _check_proof(request, state, token)
    return Caller("user", token)


def graph_endpoint(endpoint: Callable[[Request, ProviderState, str], Awaitable[Response]]) -> Endpoint:
    """A Graph route: a live (or expired, served as the oldest live) version, the state read
    once, and every ``GraphError`` answered in Graph's envelope."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            if (refusal := page_refusal(request)) is not None:
                raise GraphError(403, f"(#10) {refusal}", code=10)
            version = request.path_params.get("version", f"v{NEWEST_VERSION}.0")
            matched = _VERSION.fullmatch(version)
            if matched is None or int(matched.group(1)) > NEWEST_VERSION:
                raise _unknown_path(request)
            state = backend_of(request).read(load_state)
            return await endpoint(request, state, version)
        except GraphError as error:
            return error.response()

    return answer


# -- /me and debug_token -----------------------------------------------------------------


@graph_endpoint
async def me(request: Request, state: ProviderState, version: str) -> Response:
    """The version probe: without a token, code 2500 on a version that exists."""
    token = _presented_token(request)
    if token is None:
        raise GraphError(
            400, "An active access token must be used to query information about the current user.", code=2500
        )
    caller = _caller(request, state, token)
    if caller.kind == "app":
        return JSONResponse({"name": state.meta.app.name, "id": state.meta.app.app_id})
    return JSONResponse({"name": f"{state.meta.app.name} system user", "id": state.meta.token.user_id})


def _token_inspection(state: ProviderState, input_token: str) -> dict[str, Any]:
    """``debug_token``'s ``data`` for ``input_token``."""
    app = state.meta.app
    if "|" in input_token:
        app_id, _, secret = input_token.partition("|")
        if app_id == app.app_id and constant_time_equals(secret, app.app_secret):
            return {"app_id": app.app_id, "type": "APP", "application": app.name, "is_valid": True, "scopes": []}
        return {
            "error": {"code": 190, "message": "Invalid OAuth access token signature."},
            "is_valid": False,
            "scopes": [],
        }
    user = state.meta.token
    if not constant_time_equals(input_token, user.token):
        return {
            "error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"},
            "is_valid": False,
            "scopes": [],
        }
    expired = user.has_expired(time.time())
    data: dict[str, Any] = {
        "app_id": app.app_id,
        "type": "SYSTEM_USER",
        "application": app.name,
        "data_access_expires_at": 0,
        "expires_at": user.expires_at or (user.issued_at + 60 if expired else 0),
        "is_valid": not expired,
        "issued_at": user.issued_at,
        "scopes": list(user.scopes),
        "granular_scopes": [
            {"scope": scope, "target_ids": list(user.waba_ids)} if scope.startswith("whatsapp_") else {"scope": scope}
            for scope in user.scopes
        ],
        "user_id": user.user_id,
    }
    if expired:
        data["error"] = {"code": 190, "subcode": 463, "message": "Error validating access token: Session has expired."}
    return data


@graph_endpoint
async def debug_token(request: Request, state: ProviderState, version: str) -> Response:
    token = _presented_token(request)
    if token is None:
        raise GraphError(
            400,
            "(#100) You must provide an app access token, or a user access token that is an owner or developer "
            "of the app",
            code=100,
        )
    _caller(request, state, token)  # every caller here belongs to the one app
    input_token = request.query_params.get("input_token")
    if not input_token:
        raise GraphError(400, "(#100) The parameter input_token is required", code=100)
    inspection = _token_inspection(state, input_token)
    if inspection.get("app_id", state.meta.app.app_id) != state.meta.app.app_id:
        raise GraphError(400, "(#100) The App_id in the input_token did not match the Viewing App", code=100)
    return JSONResponse({"data": inspection})


@graph_endpoint
async def app_access_token(request: Request, state: ProviderState, version: str) -> Response:
    """``/oauth/access_token?grant_type=client_credentials``: the app token ``{id}|{secret}``."""
    query = request.query_params
    app = state.meta.app
    if query.get("grant_type") != "client_credentials":
        raise GraphError(400, "Unsupported grant_type: use client_credentials", code=100)
    if query.get("client_id") != app.app_id:
        raise GraphError(400, "Error validating application. Invalid application ID.", code=101)
    if not constant_time_equals(query.get("client_secret", ""), app.app_secret):
        raise GraphError(400, "Error validating client secret.", code=1)
    return JSONResponse({"access_token": f"{app.app_id}|{app.app_secret}", "token_type": "bearer"})


# -- nodes: the phone number, the WABA, the app ------------------------------------------


def requested_fields(request: Request, allowed: tuple[str, ...], default: tuple[str, ...], node_type: str) -> list[str]:
    """``fields=a,b{c},d`` as top-level names; an unknown one is Graph's code 100."""
    raw = request.query_params.get("fields")
    if raw is None:
        return list(default)
    names = [name.strip() for name in re.sub(r"\{[^{}]*\}", "", raw).split(",") if name.strip()]
    for name in names:
        if name not in allowed:
            raise GraphError(
                400, f"(#100) Tried accessing nonexisting field ({name[:80]}) on node type ({node_type})", code=100
            )
    return list(dict.fromkeys(names)) or list(default)


def effective_webhook(state: ProviderState, own: OwnUrls) -> tuple[str, str] | None:
    """Where Meta sends the number's ``messages`` webhooks: (level, URL) of the first set among
    the number's override, the WABA's (for a subscribed app) and the app's callback."""
    for level, url in _webhook_levels(state, own).items():
        return level, url
    return None


def _webhook_levels(state: ProviderState, own: OwnUrls) -> dict[str, str]:
    meta = state.meta
    levels: dict[str, str] = {}
    if meta.number.override_url:
        levels["phone_number"] = meta.number.override_url
    if meta.waba.override_url and meta.app.app_id in meta.waba.subscribed_app_ids:
        levels["whatsapp_business_account"] = meta.waba.override_url
    callback = state.app_callback_url(own)
    if callback:
        levels["application"] = callback
    return levels


def _health_status(state: ProviderState) -> dict[str, Any]:
    meta = state.meta

    def entity(entity_type: str, entity_id: str, verdict: str) -> dict[str, Any]:
        item: dict[str, Any] = {"entity_type": entity_type, "id": entity_id, "can_send_message": verdict}
        if entity_type == "PHONE_NUMBER":
            item["can_receive_call_sip"] = "AVAILABLE"
        if verdict == "BLOCKED":
            item["errors"] = [dict(_BLOCKED_ERROR)]
        elif verdict == "LIMITED":
            item["additional_info"] = list(_LIMITED_INFO)
        return item

    entities = [
        entity("PHONE_NUMBER", meta.number.phone_number_id, meta.number.health),
        entity("WABA", meta.waba.waba_id, "AVAILABLE"),
        entity("BUSINESS", meta.waba.business_id, "AVAILABLE"),
        entity("APP", meta.app.app_id, "AVAILABLE"),
    ]
    overall = max((item["can_send_message"] for item in entities), key=_HEALTH_RANK.__getitem__)
    return {"can_send_message": overall, "entities": entities}


def _number_fields(state: ProviderState, own: OwnUrls, fields: list[str]) -> dict[str, Any]:
    number = state.meta.number
    values: dict[str, Callable[[], Any]] = {
        "id": lambda: number.phone_number_id,
        "display_phone_number": lambda: number.display_phone_number,
        "verified_name": lambda: number.verified_name,
        "quality_rating": lambda: number.quality_rating,
        "code_verification_status": lambda: "VERIFIED",
        "name_status": lambda: number.name_status,
        "platform_type": lambda: "CLOUD_API",
        "throughput": lambda: {"level": "STANDARD"},
        "health_status": lambda: _health_status(state),
        "webhook_configuration": lambda: _webhook_levels(state, own),
    }
    answer = {name: values[name]() for name in fields}
    answer.setdefault("id", number.phone_number_id)
    return answer


def _reaches_waba(caller: Caller, state: ProviderState, waba_id: str) -> bool:
    return caller.kind == "user" and waba_id in state.meta.token.waba_ids


@graph_endpoint
async def get_node(request: Request, state: ProviderState, version: str) -> Response:
    """``GET /{id}``: the phone number or the WABA the token reaches, or the app; anything
    else (an unknown id, or one the token cannot see) is the same 100/33."""
    node = request.path_params["node"]
    caller = _caller(request, state, _presented_token(request))
    meta = state.meta
    if node == meta.number.phone_number_id and _reaches_waba(caller, state, meta.number.waba_id):
        fields = requested_fields(request, _NUMBER_FIELDS, _NUMBER_DEFAULT_FIELDS, "WhatsAppBusinessPhoneNumber")
        return JSONResponse(_number_fields(state, OwnUrls.of(request), fields))
    if node == meta.waba.waba_id and _reaches_waba(caller, state, meta.waba.waba_id):
        fields = requested_fields(request, _WABA_FIELDS, ("id", "name"), "WhatsAppBusinessAccount")
        waba = {
            "id": meta.waba.waba_id,
            "name": meta.waba.name,
            "currency": "USD",
            "timezone_id": "1",
            "message_template_namespace": "c8ae5f90_307a_ca4c_b8f6_d1e2a2573574",
        }
        return JSONResponse({name: waba[name] for name in ["id", *fields]})
    if node == meta.app.app_id:
        return JSONResponse({"id": meta.app.app_id, "name": meta.app.name, "link": _app_link(meta.app.app_id)})
    raise _unsupported("GET", node)


@graph_endpoint
async def phone_numbers(request: Request, state: ProviderState, version: str) -> Response:
    """``GET /{waba}/phone_numbers``: the WABA's numbers (one), default fields."""
    waba_id = request.path_params["node"]
    caller = _caller(request, state, _presented_token(request))
    if waba_id != state.meta.waba.waba_id or not _reaches_waba(caller, state, waba_id):
        raise _unsupported("GET", waba_id)
    fields = requested_fields(request, _NUMBER_FIELDS, _NUMBER_DEFAULT_FIELDS, "WhatsAppBusinessPhoneNumber")
    return JSONResponse({"data": [_number_fields(state, OwnUrls.of(request), fields)]})


def _app_link(app_id: str) -> str:
    return f"https://www.facebook.com/games/?app_id={app_id}"


# -- subscriptions -----------------------------------------------------------------------


@graph_endpoint
async def list_subscribed_apps(request: Request, state: ProviderState, version: str) -> Response:
    waba_id = request.path_params["node"]
    caller = _caller(request, state, _presented_token(request))
    meta = state.meta
    if waba_id != meta.waba.waba_id or not _reaches_waba(caller, state, waba_id):
        raise _unsupported("GET", waba_id)
    data = []
    if meta.app.app_id in meta.waba.subscribed_app_ids:
        entry: dict[str, Any] = {
            "whatsapp_business_api_data": {
                "id": meta.app.app_id,
                "link": _app_link(meta.app.app_id),
                "name": meta.app.name,
            }
        }
        if meta.waba.override_url:
            entry["override_callback_uri"] = meta.waba.override_url
        data.append(entry)
    return JSONResponse({"data": data})


async def _override_of(request: Request) -> str | None:
    """``override_callback_uri`` from the query, a JSON body or a form; None without one."""
    value: Any = request.query_params.get("override_callback_uri")
    try:
        if value is None and request.headers.get("content-type", "").startswith("application/json"):
            value = (await json_object(request, empty={})).get("override_callback_uri")
        elif value is None:
            value = (await form_fields(request)).get("override_callback_uri")
    except BodyError as error:
        raise GraphError(400, f"(#100) {error}", code=100) from None
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith("https://") or len(value) > MAX_OVERRIDE_URL_LENGTH:
        raise GraphError(
            400,
            f"(#100) Param override_callback_uri must be an https URL of at most {MAX_OVERRIDE_URL_LENGTH} characters",
            code=100,
        )
    return value


@graph_endpoint
async def change_subscribed_apps(request: Request, state: ProviderState, version: str) -> Response:
    """POST subscribes the token's app (and sets, or without one clears, the WABA override);
    DELETE unsubscribes it."""
    waba_id = request.path_params["node"]
    caller = _caller(request, state, _presented_token(request))
    if waba_id != state.meta.waba.waba_id or not _reaches_waba(caller, state, waba_id):
        raise _unsupported(request.method, waba_id)
    subscribe = request.method == "POST"
    override = await _override_of(request) if subscribe else None

    def change(store: Store) -> None:
        current = load_state(store)
        app_id = current.meta.app.app_id
        others = [app for app in current.meta.waba.subscribed_app_ids if app != app_id]
        current.meta.waba.subscribed_app_ids = [*others, app_id] if subscribe else others
        current.meta.waba.override_url = override if subscribe else None
        save_state(store, current)

    await backend_of(request).write(change)
    return JSONResponse({"success": True})


@graph_endpoint
async def app_subscriptions(request: Request, state: ProviderState, version: str) -> Response:
    """``GET /{app-id}/subscriptions``: app token only."""
    app = state.meta.app
    caller = _caller(request, state, _presented_token(request))
    if request.path_params["node"] != app.app_id:
        raise _unsupported("GET", request.path_params["node"])
    if caller.kind != "app":
        raise GraphError(400, "(#15) This method must be called with an app access_token.", code=15)
    callback = state.app_callback_url(OwnUrls.of(request))
    if callback is None:
        return JSONResponse({"data": []})
    fields = [{"name": "message_template_status_update", "version": f"v{NEWEST_VERSION}.0"}]
    if app.messages_subscribed:
        fields.insert(0, {"name": "messages", "version": f"v{NEWEST_VERSION}.0"})
    entry = {"object": "whatsapp_business_account", "callback_url": callback, "active": True, "fields": fields}
    return JSONResponse({"data": [entry]})


def _send_problem(message: str, code: int = 100) -> GraphError:
    return GraphError(400, f"(#{code}) {message}", code=code)


def _text_to_send(body: dict[str, Any]) -> tuple[str, str]:
    """(recipient, text) of a send request, checked as Graph checks it."""
    if body.get("messaging_product") != "whatsapp":
        raise _send_problem("The parameter messaging_product is required.")
    recipient = body.get("to")
    if not isinstance(recipient, str) or not recipient:
        raise _send_problem("The parameter to is required.")
    if not recipient.isascii() or not recipient.lstrip("+").isdigit() or not 7 <= len(recipient.lstrip("+")) <= 15:
        raise _send_problem("Invalid parameter: to must be a phone number")
    if body.get("type", "text") != "text":
        raise _send_problem("Invalid parameter: the sandbox sends text messages only")
    text = body.get("text")
    text_body = text.get("body") if isinstance(text, dict) else None
    if not isinstance(text_body, str) or not text_body:
        raise _send_problem("The parameter text['body'] is required.")
    if len(text_body) > MAX_TEXT_LENGTH:
        raise _send_problem(f"Invalid parameter: text['body'] is longer than {MAX_TEXT_LENGTH} characters")
    return recipient.lstrip("+"), text_body


@graph_endpoint
async def send_message(request: Request, state: ProviderState, version: str) -> Response:
    """``POST /{phone-number-id}/messages``: a text message from the number; Meta answers the
    wamid, then posts ``sent``, ``delivered`` and ``read`` statuses to the number's webhook."""
    number = request.path_params["node"]
    caller = _caller(request, state, _presented_token(request))
    if number != state.meta.number.phone_number_id or not _reaches_waba(caller, state, state.meta.number.waba_id):
        raise _unsupported("POST", number)
    try:
        recipient, _ = _text_to_send(await json_object(request))
    except BodyError as error:
        raise _send_problem(str(error)) from None
    if state.meta.number.health == "BLOCKED":
        raise GraphError(400, "(#131031) Business Account locked", code=131031)
    wamid = new_wamid()
    _in_background(_post_statuses(backend_of(request), OwnUrls.of(request), wamid, recipient))
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": recipient, "wa_id": recipient}],
            "messages": [{"id": wamid}],
        }
    )


STATUS_DELAYS = (("sent", 0.5), ("delivered", 0.3), ("read", 0.3))
"""Each status Meta posts after a send, and the seconds before it: the sandbox has stored the
sent message (with its wamid) long before the first."""
_background: set[asyncio.Task[None]] = set()


def _in_background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _post_statuses(backend: BackendContext, own: OwnUrls, wamid: str, recipient: str) -> None:
    """The statuses of one sent message, each routed by the provider state of its moment."""
    conversation_id = secrets.token_hex(16)
    for status, delay in STATUS_DELAYS:
        await asyncio.sleep(delay)
        try:
            state = backend.read(load_state)
            number = state.meta.number
            payload = build_status_payload(
                phone_number_id=number.phone_number_id,
                wamid=wamid,
                status=status,
                recipient_id=recipient,
                waba_id=number.waba_id,
                display_phone_number=webhook_digits(number.display_phone_number),
                conversation_id=conversation_id if status != "read" else None,
            )
            await send_meta_webhook(own, state, payload)
        except Exception:  # the backend stopping under it: Meta would retry, the sandbox drops it
            log.debug("the emulated Meta could not post a %s status", status, exc_info=True)
            return


@graph_endpoint
async def unknown_path(request: Request, state: ProviderState, version: str) -> Response:
    raise _unknown_path(request)


async def _unknown_anything(request: Request) -> Response:
    return _unknown_path(request).response()


GRAPH_ROUTES: list[BaseRoute] = [
    Route(f"{GRAPH_PREFIX}/oauth/access_token", app_access_token, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/oauth/access_token", app_access_token, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/me", me, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/debug_token", debug_token, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/{node}", get_node, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/{node}/phone_numbers", phone_numbers, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/{node}/subscribed_apps", list_subscribed_apps, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/{node}/subscribed_apps", change_subscribed_apps, methods=["POST", "DELETE"]),
    Route(GRAPH_PREFIX + "/{version}/{node}/subscriptions", app_subscriptions, methods=["GET"]),
    Route(GRAPH_PREFIX + "/{version}/{node}/messages", send_message, methods=["POST"]),
    Route(GRAPH_PREFIX + "/{rest:path}", _unknown_anything, methods=["GET", "POST", "DELETE"]),
]


# -- what Meta sends -----------------------------------------------------------------------


def webhook_digits(display_phone_number: str) -> str:
    """The display number as webhooks carry it: digits only (``15550783881``)."""
    return "".join(character for character in display_phone_number if character.isdigit())


async def send_meta_webhook(own: OwnUrls, state: ProviderState, body: bytes) -> WebhookResult:
    """Post a ``messages``-field notification as Meta does: to the number's effective webhook
    URL, signed with the app secret, if the app is subscribed to the WABA and to ``messages``;
    otherwise nothing is sent, as nothing would be."""
    meta = state.meta
    if meta.app.app_id not in meta.waba.subscribed_app_ids:
        return not_sent("", "the app is not subscribed to the WABA: Meta sends it nothing")
    if not meta.app.messages_subscribed:
        return not_sent("", "the app's 'messages' webhook field is off: Meta sends no messages or statuses")
    effective = effective_webhook(state, own)
    if effective is None:
        return not_sent("", "no webhook URL is set for the number, its WABA or the app")
    headers = {
        "content-type": "application/json",
        "user-agent": META_USER_AGENT,
        "x-hub-signature-256": sign_hub_signature(meta.app.app_secret, body),
    }
    return await post_webhook(own, effective[1], body, headers, timeout=META_TIMEOUT_SECONDS)


def dashboard_test_payload() -> bytes:
    """What the App Dashboard's Test button posts for ``messages``: fixed placeholder ids."""
    return serialize_like_meta(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "0",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "16505551111", "phone_number_id": "123456123"},
                                "contacts": [{"profile": {"name": "test user name"}, "wa_id": "16315551181"}],
                                "messages": [
                                    {
                                        "from": "16315551181",
                                        "id": "ABGGFlA5Fpa",
                                        "timestamp": "1504902988",
                                        "type": "text",
                                        "text": {"body": "this is a text message"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    )


async def press_dashboard_test(own: OwnUrls, state: ProviderState) -> WebhookResult:
    """The Test button: the sample goes to the app's callback URL, signed with the app secret."""
    callback = state.app_callback_url(own)
    if callback is None:
        return not_sent("", "the app has no callback URL")
    body = dashboard_test_payload()
    headers = {
        "content-type": "application/json",
        "user-agent": META_USER_AGENT,
        "x-hub-signature-256": sign_hub_signature(state.meta.app.app_secret, body),
    }
    return await post_webhook(own, callback, body, headers, timeout=META_TIMEOUT_SECONDS)
