"""The emulated LINE Messaging API (``/emulated/line``): bot info, the webhook endpoint and its
test, token verification and stateless tokens, answered from the emulated channel with LINE's
shapes (preflight.md section 3; messaging API errors ``{"message", "details"?}``, OAuth errors
``{"error", "error_description"}``).

It authenticates as LINE does: the channel access token as a Bearer token, or a stateless
token it issued (valid 15 minutes); the sandbox's own access key means nothing here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from voipbin_tui.api.timestamps import format_voipbin_time
from voipbin_tui.backend.context import backend_of
from voipbin_tui.backend.emulated_http import BodyError, form_fields, json_object, page_refusal
from voipbin_tui.backend.emulated_webhooks import LINE_TIMEOUT_SECONDS, LINE_USER_AGENT, WebhookResult, post_webhook
from voipbin_tui.backend.own_urls import OwnUrls
from voipbin_tui.backend.provider_state import MAX_URL_LENGTH, LineChannel, ProviderState, load_state, save_state
from voipbin_tui.backend.store import Store
from voipbin_tui.protocols.signatures import constant_time_equals, sign_line_signature

LINE_PREFIX = "/emulated/line"
STATELESS_TOKEN_SECONDS = 900
LONG_LIVED_EXPIRES_IN = 315_360_000
"""What verify says is left of the (non-expiring) long-lived channel token: ten years."""
_AUTHENTICATION_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."

Endpoint = Callable[[Request], Awaitable[Response]]


class LineError(Exception):
    """An error answered with LINE's body: ``{"message"}`` or, from OAuth, ``{"error", ...}``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def _message(status: int, message: str, *, details: list[dict[str, str]] | None = None) -> LineError:
    return LineError(status, {"message": message, **({"details": details} if details else {})})


def _oauth(status: int, error: str, description: str) -> LineError:
    return LineError(status, {"error": error, "error_description": description})


def line_endpoint(endpoint: Callable[[Request, ProviderState], Awaitable[Response]]) -> Endpoint:
    """A LINE route: the state read once, every ``LineError`` answered with its body."""

    async def answer(request: Request) -> Response:
        try:
            if (refusal := page_refusal(request)) is not None:
                raise _message(403, refusal)
            return await endpoint(request, backend_of(request).read(load_state))
        except LineError as error:
            return JSONResponse(error.body, status_code=error.status)

    return answer


# -- tokens ------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(channel: LineChannel, signing_input: str) -> str:
    key = channel.channel_secret.encode("utf-8")
    return _b64url(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def issue_stateless_token(channel: LineChannel, now: float) -> str:
    """A JWT-like token signed with the channel secret: nothing to store, as LINE's stateless
    tokens cannot be revoked either."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"iss": channel.channel_id, "exp": int(now) + STATELESS_TOKEN_SECONDS, "jti": secrets.token_hex(8)}
    signing_input = f"{header}.{_b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{_signature(channel, signing_input)}"


def _stateless_expiry(channel: LineChannel, token: str, now: float) -> int | None:
    """Seconds left on a stateless token this channel issued, or None."""
    parts = token.split(".")
    if len(parts) != 3 or not token.isascii():
        return None
    header, claims, signature = parts
    if not constant_time_equals(signature, _signature(channel, f"{header}.{claims}")):
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    except (binascii.Error, ValueError):
        return None
    expiry = decoded.get("exp") if isinstance(decoded, dict) else None
    if not isinstance(expiry, int) or decoded.get("iss") != channel.channel_id or expiry <= now:
        return None
    return expiry - int(now)


def token_lifetime(channel: LineChannel, token: str) -> int | None:
    """Seconds left on ``token`` if it is one of the channel's, else None."""
    if constant_time_equals(token, channel.access_token):
        left = LONG_LIVED_EXPIRES_IN if channel.token_expires_in is None else channel.token_expires_in
        return left if left > 0 else None
    return _stateless_expiry(channel, token, time.time())


def _bearer_channel(request: Request, state: ProviderState) -> LineChannel:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _message(
            401, "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
        )
    if token_lifetime(state.line, token.strip()) is None:
        raise _message(401, _AUTHENTICATION_FAILED)
    return state.line


# -- the bot and its webhook -------------------------------------------------------------


@line_endpoint
async def bot_info(request: Request, state: ProviderState) -> Response:
    channel = _bearer_channel(request, state)
    return JSONResponse(
        {
            "userId": channel.bot_user_id,
            "basicId": channel.basic_id,
            "displayName": channel.display_name,
            "chatMode": "chat",
            "markAsReadMode": "manual",
        }
    )


@line_endpoint
async def get_webhook_endpoint(request: Request, state: ProviderState) -> Response:
    channel = _bearer_channel(request, state)
    return JSONResponse({"endpoint": state.line_endpoint(OwnUrls.of(request)), "active": channel.webhook_active})


async def _endpoint_in_body(request: Request, *, required: bool) -> str | None:
    """``{"endpoint": "https://..."}``: a URL of at most 500 characters."""
    try:
        body = await json_object(request, empty=None if required else {})
    except BodyError as error:
        raise _message(400, f"The request body is invalid: {error}") from None
    endpoint = body.get("endpoint")
    if endpoint is None and not required:
        return None
    if not isinstance(endpoint, str):
        raise _message(
            400, "The request body has 1 error(s)", details=[{"message": "must be specified", "property": "endpoint"}]
        )
    if len(endpoint) > MAX_URL_LENGTH:
        raise _message(
            400,
            "The request body has 1 error(s)",
            details=[{"message": f"Size must be between 0 and {MAX_URL_LENGTH}", "property": "endpoint"}],
        )
    if endpoint and (
        not endpoint.startswith(("https://", "http://")) or any(ord(c) < 0x21 or ord(c) == 0x7F for c in endpoint)
    ):
        raise _message(400, "Invalid webhook endpoint URL")
    return endpoint


@line_endpoint
async def set_webhook_endpoint(request: Request, state: ProviderState) -> Response:
    """PUT changes the URL only; "Use webhook" stays as the console left it."""
    _bearer_channel(request, state)
    endpoint = await _endpoint_in_body(request, required=True)

    def change(store: Store) -> None:
        current = load_state(store)
        current.line.endpoint = endpoint
        save_state(store, current)

    await backend_of(request).write(change)
    return JSONResponse({})


@line_endpoint
async def test_webhook_endpoint(request: Request, state: ProviderState) -> Response:
    """POST ``{"destination": userId, "events": []}``, signed, to the given or the configured
    endpoint; report what came back within 2 s."""
    channel = _bearer_channel(request, state)
    own = OwnUrls.of(request)
    endpoint = await _endpoint_in_body(request, required=False)
    target = endpoint if endpoint is not None else state.line_endpoint(own)
    if target:
        document = {"destination": channel.bot_user_id, "events": []}
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        result = await send_line_webhook(own, channel, target, body)
    else:
        result = WebhookResult("", False, 0, "could_not_connect", "no webhook endpoint is set")
    timestamp = format_voipbin_time(backend_of(request).config.clock())
    return JSONResponse(
        {
            "success": result.success,
            "timestamp": timestamp[:23] + "Z",
            "statusCode": result.status_code,
            "reason": result.reason,
            "detail": result.detail,
        }
    )


async def send_line_webhook(own: OwnUrls, channel: LineChannel, url: str, body: bytes) -> WebhookResult:
    """Post ``body`` (LINE's compact UTF-8 JSON) as LINE does, signed with the channel secret."""
    headers = {
        "content-type": "application/json; charset=utf-8",
        "user-agent": LINE_USER_AGENT,
        "x-line-signature": sign_line_signature(channel.channel_secret, body),
    }
    return await post_webhook(own, url, body, headers, timeout=LINE_TIMEOUT_SECONDS)


# -- OAuth -------------------------------------------------------------------------------


def _verified(state: ProviderState, token: str | None) -> Response:
    lifetime = token_lifetime(state.line, token) if token else None
    if lifetime is None:
        raise _oauth(400, "invalid_request", "access token expired or invalid")
    return JSONResponse({"client_id": state.line.channel_id, "expires_in": lifetime, "scope": "P CM"})


async def _form(request: Request) -> dict[str, str]:
    try:
        return await form_fields(request)
    except BodyError as error:
        raise _oauth(400, "invalid_request", str(error)) from None


@line_endpoint
async def verify_token_v2(request: Request, state: ProviderState) -> Response:
    """``POST /v2/oauth/verify``, form ``access_token``."""
    return _verified(state, (await _form(request)).get("access_token"))


@line_endpoint
async def verify_token_v21(request: Request, state: ProviderState) -> Response:
    """``GET /oauth2/v2.1/verify?access_token=``."""
    return _verified(state, request.query_params.get("access_token"))


@line_endpoint
async def issue_token_v3(request: Request, state: ProviderState) -> Response:
    """``POST /oauth2/v3/token``: a stateless token for the channel id and secret."""
    form = await _form(request)
    if form.get("grant_type") != "client_credentials":
        raise _oauth(400, "unsupported_grant_type", "grant_type must be client_credentials")
    channel = state.line
    if form.get("client_id") != channel.channel_id or not constant_time_equals(
        form.get("client_secret", ""), channel.channel_secret
    ):
        raise _oauth(400, "invalid_client", "invalid client_id or client_secret")
    token = issue_stateless_token(channel, time.time())
    return JSONResponse({"token_type": "Bearer", "access_token": token, "expires_in": STATELESS_TOKEN_SECONDS - 1})


async def _not_found(request: Request) -> Response:
    return JSONResponse({"message": "Not found"}, status_code=404)


LINE_ROUTES: list[BaseRoute] = [
    Route(f"{LINE_PREFIX}/v2/bot/info", bot_info, methods=["GET"]),
    Route(f"{LINE_PREFIX}/v2/bot/channel/webhook/endpoint", get_webhook_endpoint, methods=["GET"]),
    Route(f"{LINE_PREFIX}/v2/bot/channel/webhook/endpoint", set_webhook_endpoint, methods=["PUT"]),
    Route(f"{LINE_PREFIX}/v2/bot/channel/webhook/test", test_webhook_endpoint, methods=["POST"]),
    Route(f"{LINE_PREFIX}/v2/oauth/verify", verify_token_v2, methods=["POST"]),
    Route(f"{LINE_PREFIX}/oauth2/v2.1/verify", verify_token_v21, methods=["GET"]),
    Route(f"{LINE_PREFIX}/oauth2/v3/token", issue_token_v3, methods=["POST"]),
    Route(LINE_PREFIX + "/{rest:path}", _not_found, methods=["GET", "POST", "PUT", "DELETE"]),
]
