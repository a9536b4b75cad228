"""Open a ready client for a target: start the embedded sandbox, or log in to VoIPBIN.

The one place that turns a resolved ``Target`` into a live ``VoipbinClient``; the CLI and the
TUI both come through here, so they reach the sandbox and live VoIPBIN the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from pydantic import SecretStr

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.config import ConfigError, Environment, RemoteTarget, SandboxTarget, Target

PasswordPrompt = Callable[[str], str]


@dataclass(slots=True)
class Connection:
    """A logged-in client plus where this target's hooks and captured-traffic feed live."""

    client: VoipbinClient
    target: Target
    hook_base_url: str
    inspector_url: str | None
    feed_accesskey: SecretStr | None

    @property
    def is_sandbox(self) -> bool:
        return isinstance(self.target, SandboxTarget)

    def hook_url_for(self, account_id: UUID | str) -> str:
        """The callback URL to paste into Meta's App Dashboard for this account."""
        return f"{self.hook_base_url}/conversation/accounts/{account_id}"


@asynccontextmanager
async def open_connection(
    target: Target,
    *,
    password_prompt: PasswordPrompt | None = None,
    env: Environment | None = None,
) -> AsyncIterator[Connection]:
    """Yield a ready connection; the sandbox backend (if started here) stops on exit."""
    if isinstance(target, SandboxTarget):
        async with _sandbox_connection(target) as connection:
            yield connection
        return
    async with _remote_connection(target, password_prompt, env or Environment()) as connection:
        yield connection


@asynccontextmanager
async def _sandbox_connection(target: SandboxTarget) -> AsyncIterator[Connection]:
    from voipbin_tui.backend.server import start_embedded  # the one entry into backend/

    backend = await asyncio.to_thread(start_embedded, target.data_dir)
    try:
        async with VoipbinClient(backend.api_url, accesskey=backend.accesskey) as client:
            yield Connection(
                client=client,
                target=target,
                hook_base_url=backend.hook_url,
                inspector_url=backend.inspector_url,
                feed_accesskey=backend.accesskey,
            )
    finally:
        await asyncio.to_thread(backend.stop)


@asynccontextmanager
async def _remote_connection(
    target: RemoteTarget, password_prompt: PasswordPrompt | None, env: Environment
) -> AsyncIterator[Connection]:
    async with VoipbinClient(target.api_url, accesskey=target.accesskey) as client:
        if target.accesskey is None and target.username:
            password = env.password
            if password is None:
                if password_prompt is None:
                    raise ConfigError(f"set VOIPBIN_PASSWORD to log in as {target.username!r}")
                password = SecretStr(password_prompt(f"Password for {target.username}"))
            await client.login(target.username, password)
        yield Connection(
            client=client,
            target=target,
            hook_base_url=target.hook_url,
            inspector_url=target.inspector_url,
            feed_accesskey=target.accesskey,
        )
