"""The sandbox control API for the emulated providers, with the sandbox's access key like the
REST API: ``GET /v1.0/sandbox/providers`` shows the whole emulated state (tokens and secrets
masked), ``PATCH`` sets named switches (e.g. ``{"meta.messages_subscribed": false}``) to make a
doctor check fail on purpose, ``DELETE`` puts the seed back.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from voipbin_tui.backend.auth import requires_credentials
from voipbin_tui.backend.context import backend_of
from voipbin_tui.backend.emulated_http import BodyError, json_object
from voipbin_tui.backend.errors import ApiProblem
from voipbin_tui.backend.own_urls import OwnUrls
from voipbin_tui.backend.provider_state import ProviderState, apply_switches, load_state, reset_state, save_state
from voipbin_tui.backend.store import Store

PROVIDERS_PATH = "/v1.0/sandbox/providers"


async def _switches(request: Request) -> dict[str, Any]:
    try:
        return await json_object(request)
    except BodyError as error:
        raise ApiProblem(400, "INVALID_ARGUMENT", f"{error}: send the switches as an object") from None


@requires_credentials
async def show_providers(request: Request) -> Response:
    state = backend_of(request).read(load_state)
    return JSONResponse(state.redacted(OwnUrls.of(request)))


@requires_credentials
async def change_providers(request: Request) -> Response:
    changes = await _switches(request)

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


PROVIDER_CONTROL_ROUTES: list[BaseRoute] = [
    Route(PROVIDERS_PATH, show_providers, methods=["GET"]),
    Route(PROVIDERS_PATH, change_providers, methods=["PATCH"]),
    Route(PROVIDERS_PATH, reset_providers, methods=["DELETE"]),
]
