"""The sandbox's control API for its emulated Meta and LINE: read the emulated state (secrets
masked), set named switches to make a provider misbehave on purpose, put the seed back.

Only the sandbox has it (``/v1.0/sandbox/providers``, with the sandbox's access key); on real
VoIPBIN these calls end in ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voipbin_tui.api.client import VoipbinClient
from voipbin_tui.api.errors import UnexpectedResponse

PROVIDERS_PATH = "sandbox/providers"


def parse_switch_value(text: str) -> bool | str | None:
    """A switch value as typed on a command line: ``true``, ``false`` or ``null``, else the
    text itself (a URL, ``BLOCKED``)."""
    literal = {"true": True, "false": False, "null": None}
    return literal[text] if text in literal else text


class SandboxProviders:
    """The emulated providers of the sandbox ``client`` talks to."""

    def __init__(self, client: VoipbinClient) -> None:
        self._client = client

    async def show(self) -> dict[str, Any]:
        """The whole emulated state, tokens and secrets masked."""
        return await self._state("GET")

    async def set(self, switches: Mapping[str, bool | str | None]) -> dict[str, Any]:
        """Set switches (``{"meta.health": "BLOCKED"}``) all at once; the state afterwards."""
        return await self._state("PATCH", json=dict(switches))

    async def reset(self) -> dict[str, Any]:
        """Back to the seed; the state afterwards."""
        return await self._state("DELETE")

    async def _state(self, method: str, *, json: Any = None) -> dict[str, Any]:
        return await self._object(method, PROVIDERS_PATH, json=json)

    async def _object(self, method: str, path: str, *, json: Any = None) -> dict[str, Any]:
        response = await self._client.request(method, path, json=json)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UnexpectedResponse(f"{method} /{path}: the sandbox did not answer a JSON object")
        return data
