"""VoIPBIN's LINE setup, played by the sandbox: saving a LINE account sets the channel's webhook
endpoint to the account's hook URL through LINE's API (here the emulated one, over HTTP, with
the account's channel access token), and deleting it sets the endpoint to "".

As on VoIPBIN (preflight.md section 1): a create runs the setup first, so a LINE failure
saves nothing; an update is stored first, so a LINE failure is an error after the new values
are saved. A relay plays no LINE, so it sets nothing up.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from starlette.requests import Request

from voipbin_tui.api.account_types import provider_of
from voipbin_tui.backend.context import backend_of
from voipbin_tui.backend.emulated_line import LINE_PREFIX
from voipbin_tui.backend.errors import ApiProblem
from voipbin_tui.backend.own_urls import OwnUrls
from voipbin_tui.backend.store import AccountRecord

SETUP_TIMEOUT_SECONDS = 5.0


async def _put_endpoint(request: Request, token: str, endpoint: str) -> str | None:
    """PUT the endpoint with ``token``; why it failed, or None."""
    url = f"{OwnUrls.of(request).local_base}{LINE_PREFIX}/v2/bot/channel/webhook/endpoint"
    try:
        async with httpx.AsyncClient(timeout=SETUP_TIMEOUT_SECONDS, trust_env=False) as http:
            answer = await http.put(url, json={"endpoint": endpoint}, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as error:
        return f"LINE did not answer ({type(error).__name__})"
    if answer.status_code == 200:
        return None
    try:
        message = answer.json().get("message", "")
    except (ValueError, AttributeError):
        message = ""
    return f"LINE answered {answer.status_code}: {str(message)[:200]}"


def _sets_up(request: Request, account_type: Any) -> bool:
    return (
        isinstance(account_type, str)
        and provider_of(account_type) == "line"
        and backend_of(request).config.relay is None
    )


async def line_setup_before_create(request: Request, body: dict[str, Any], account_id: UUID) -> None:
    """Point the channel at the new account's hook before it is saved (a 400 if LINE refuses)."""
    token = body.get("token")
    if not _sets_up(request, body.get("type")) or not isinstance(token, str) or not token:
        return  # nothing to set up with: the account's own checks answer
    problem = await _put_endpoint(request, token, OwnUrls.of(request).account_hook(account_id) or "")
    if problem is not None:
        message = (
            f"setting the LINE webhook endpoint with this channel access token failed ({problem}); nothing was saved"
        )
        raise ApiProblem(
            400,
            "INVALID_ARGUMENT",
            f"invalid account: token: {message}",
            details=[{"field": "token", "message": message}],
        )


async def line_setup_after_update(request: Request, account: AccountRecord) -> None:
    """Point the channel at the account's hook again, after the update is stored (a 500 if
    LINE refuses: the new values stay saved, as on VoIPBIN)."""
    if not _sets_up(request, account.type):
        return
    problem = await _put_endpoint(request, account.token, OwnUrls.of(request).account_hook(account.id) or "")
    if problem is not None:
        raise ApiProblem(
            500,
            "LINE_SETUP_FAILED",
            f"the update is saved, but setting the LINE webhook endpoint failed: {problem}",
        )


async def line_teardown(request: Request, account: AccountRecord) -> None:
    """A deleted LINE account's channel gets an empty endpoint; a failure changes nothing."""
    if _sets_up(request, account.type):
        await _put_endpoint(request, account.token, "")
