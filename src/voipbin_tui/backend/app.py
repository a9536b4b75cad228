"""The one app factory: the sandbox REST API, the provider hook, the inspector feed and the
emulated providers on one Starlette app, used by ``voipbin-tui serve``, the embedded backend
and the tests alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from voipbin_tui.backend.config import BackendConfig
from voipbin_tui.backend.context import BackendContext
from voipbin_tui.backend.delivery import hook_account_ref, is_hook_path
from voipbin_tui.backend.emulated_line import LINE_ROUTES
from voipbin_tui.backend.emulated_meta import GRAPH_ROUTES
from voipbin_tui.backend.errors import (
    ApiProblem,
    RequestIdMiddleware,
    handle_api_problem,
    handle_routing_error,
    handle_unexpected_error,
)
from voipbin_tui.backend.hook import HOOK_ROUTES, hook_endpoint
from voipbin_tui.backend.inspector import INSPECTOR_ROUTES, VOIPBIN_EVENTS_PATH
from voipbin_tui.backend.judging_behind import JudgedFirst, JudgingBehind, judge_leftovers
from voipbin_tui.backend.limits import BodyBudget, BodyLimits
from voipbin_tui.backend.provider_control import PROVIDER_CONTROL_ROUTES
from voipbin_tui.backend.relay import Relay
from voipbin_tui.backend.sandbox import SANDBOX_ROUTES

__all__ = ["BackendConfig", "create_app"]

EMULATION_ROUTES = [*GRAPH_ROUTES, *LINE_ROUTES, *PROVIDER_CONTROL_ROUTES]
"""The sandbox plays Meta and LINE (and its control API changes what they say); a relay does not."""


class BackendApp(Starlette):
    """Starlette, with the provider hook's POSTs taken ahead of its middleware and router: they
    are most of what a busy backend serves, and every layer costs CPU on each of them. They meet
    the same guards on the way (``hook_post``: the request id and the body limits, which share
    their in-flight budget with the others), and an error still gets the 500 envelope."""

    def __init__(self, *, hook_post: ASGIApp, **settings: Any) -> None:
        super().__init__(**settings)
        self._hook_post = ServerErrorMiddleware(hook_post, handler=handle_unexpected_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            account_ref = hook_account_ref(scope["path"])
            if account_ref is not None:
                scope["app"] = self
                scope["path_params"] = {"account_ref": account_ref}  # as the HOOK_PATH route would
                await self._hook_post(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


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
            await backend.judging.start()
        else:
            await judge_leftovers(backend)
        try:
            yield
        finally:
            backend.stop()
            if relay is not None:
                await relay.aclose()

    budget = BodyBudget(config.max_bodies_in_flight)  # all bodies together, the hook's included

    def is_receiver(path: str) -> bool:
        return is_hook_path(path) or path == VOIPBIN_EVENTS_PATH

    hook_post = RequestIdMiddleware(
        BodyLimits(hook_endpoint, receiver_limit=config.max_body_bytes, budget=budget, is_receiver=is_receiver)
    )
    app = BackendApp(
        hook_post=hook_post,
        routes=[*HOOK_ROUTES, *INSPECTOR_ROUTES, *SANDBOX_ROUTES, *(EMULATION_ROUTES if config.relay is None else [])],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodyLimits, receiver_limit=config.max_body_bytes, budget=budget, is_receiver=is_receiver),
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
