"""The one app factory: the sandbox REST API, the provider hook, the inspector feed and the
emulated providers on one Starlette app, used by ``voipbin-tui serve``, the embedded backend
and the tests alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from voipbin_tui.backend.config import BackendConfig
from voipbin_tui.backend.context import BackendContext
from voipbin_tui.backend.delivery import is_hook_path
from voipbin_tui.backend.emulated_line import LINE_ROUTES
from voipbin_tui.backend.emulated_meta import GRAPH_ROUTES
from voipbin_tui.backend.errors import (
    ApiProblem,
    RequestIdMiddleware,
    handle_api_problem,
    handle_routing_error,
    handle_unexpected_error,
)
from voipbin_tui.backend.hook import HOOK_ROUTES
from voipbin_tui.backend.inspector import INSPECTOR_ROUTES, VOIPBIN_EVENTS_PATH
from voipbin_tui.backend.judging_behind import JudgedFirst, JudgingBehind, judge_leftovers
from voipbin_tui.backend.limits import BodyLimits
from voipbin_tui.backend.provider_control import PROVIDER_CONTROL_ROUTES
from voipbin_tui.backend.relay import Relay
from voipbin_tui.backend.sandbox import SANDBOX_ROUTES

__all__ = ["BackendConfig", "create_app"]

EMULATION_ROUTES = [*GRAPH_ROUTES, *LINE_ROUTES, *PROVIDER_CONTROL_ROUTES]
"""The sandbox plays Meta and LINE (and its control API changes what they say); a relay does not."""


def create_app(config: BackendConfig) -> Starlette:
    """The backend as an ASGI app; its database (and in relay mode its connections to the real
    VoIPBIN) open when the app starts (lifespan)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        relay = Relay.open(config.relay) if config.relay is not None else None
        backend = BackendContext.start(config, relay)
        app.state.backend = backend
        if config.judge_behind and relay is None:
            backend.judging = JudgingBehind(backend)
            backend.judging.start()
        else:
            await judge_leftovers(backend)
        try:
            yield
        finally:
            backend.stop()
            if relay is not None:
                await relay.aclose()

    app = Starlette(
        routes=[*HOOK_ROUTES, *INSPECTOR_ROUTES, *SANDBOX_ROUTES, *(EMULATION_ROUTES if config.relay is None else [])],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(
                BodyLimits,
                receiver_limit=config.max_body_bytes,
                in_flight=config.max_bodies_in_flight,
                is_receiver=lambda path: is_hook_path(path) or path == VOIPBIN_EVENTS_PATH,
            ),
            Middleware(JudgedFirst),
        ],
        exception_handlers={
            ApiProblem: handle_api_problem,
            HTTPException: handle_routing_error,
            Exception: handle_unexpected_error,
        },
        lifespan=lifespan,
    )
    # VoIPBIN has one spelling per route: a trailing slash is a 404, not a redirect.
    app.router.redirect_slashes = False
    return app
