"""The sandbox's control API for its emulated Meta and LINE: read the emulated state (secrets
masked), set named switches to make a provider misbehave on purpose, put the seed back.

Only the sandbox has it (``/v1.0/sandbox/providers``, with the sandbox's access key); on real
VoIPBIN these calls end in ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from voipbin_tui.api.client import VoipbinClient, parse_uuid, validate_response
from voipbin_tui.api.errors import UnexpectedResponse

PROVIDERS_PATH = "sandbox/providers"


def parse_switch_value(text: str) -> bool | str | None:
    """A switch value as typed on a command line: ``true``, ``false`` or ``null``, else the
    text itself (a URL, ``BLOCKED``)."""
    literal = {"true": True, "false": False, "null": None}
    return literal[text] if text in literal else text


class ProviderDelivery(BaseModel):
    """What the emulated provider's webhook got back (LINE's webhook-test vocabulary)."""

    provider: str
    """``meta`` or ``line``."""
    url: str
    """Where the provider sent it ("" when its state sends nothing: see ``detail``)."""
    success: bool
    status_code: int
    """The hook's answer; 0 when nothing was sent or nothing answered."""
    reason: str
    detail: str


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

    async def send_inbound(self, account_id: UUID | str, text: str) -> ProviderDelivery:
        """The account's emulated provider sends it a customer's text message, signed with the
        provider app's own secret, wherever the provider's state routes it."""
        body = {"account_id": str(parse_uuid(account_id, what="account id")), "text": text}
        data = await self._object("POST", f"{PROVIDERS_PATH}/inbound", json=body)
        return validate_response(ProviderDelivery, data, what="delivery")

    async def press_dashboard_test(self, account_id: UUID | str) -> ProviderDelivery:
        """Meta's App Dashboard Test button for the app serving this WhatsApp account."""
        body = {"account_id": str(parse_uuid(account_id, what="account id"))}
        data = await self._object("POST", f"{PROVIDERS_PATH}/dashboard-test", json=body)
        return validate_response(ProviderDelivery, data, what="delivery")

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
