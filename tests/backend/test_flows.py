"""Flows as VoIPBIN keeps them: every action has an id (its OpenAPI spec requires one)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import httpx

from tests.backend.conftest import ACCESSKEY
from voipbin_tui.backend.server import EmbeddedBackend

KEY = {"accesskey": ACCESSKEY}


async def test_seeded_flows_give_every_action_a_stable_id(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    backend = fresh_backend(seed=True)
    async with httpx.AsyncClient(base_url=backend.api_url, cookies=KEY) as http:
        flows = (await http.get("/flows")).json()["result"]
        again = (await http.get("/flows")).json()["result"]
    actions = [action for flow in flows for action in flow["actions"]]
    assert actions and all(UUID(action["id"]) for action in actions)
    assert len({action["id"] for action in actions}) == len(actions)
    assert flows == again


async def test_a_created_flow_gives_each_action_an_id_and_keeps_one_sent(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend(seed=True)
    kept = "4b1f0c1e-0000-4000-8000-00000000abcd"
    async with httpx.AsyncClient(base_url=backend.api_url, cookies=KEY) as http:
        response = await http.post(
            "/flows",
            json={
                "name": "Greeter",
                "detail": "says hello",
                "actions": [
                    {"type": "conversation_send", "option": {"text": "Hello!"}},
                    {"type": "stop", "id": kept},
                    {"type": "talk", "id": "00000000-0000-0000-0000-000000000000"},
                ],
            },
        )
        assert response.status_code == 200, response.text
        created = response.json()
        actions = created["actions"]
        assert [action["type"] for action in actions] == ["conversation_send", "stop", "talk"]
        assert actions[0]["option"] == {"text": "Hello!"} and actions[1]["id"] == kept
        assert len({UUID(action["id"]) for action in actions} - {UUID(int=0)}) == 3
        listed = (await http.get("/flows")).json()["result"]
        assert listed[0] == created  # newest first, with the same ids

        for bad in (
            {"name": "x", "actions": "not a list"},
            {"name": "x", "actions": [{"option": {}}]},
            {"name": "x", "actions": [{"type": "stop", "id": "not-a-uuid"}]},
            {"name": 5},
        ):
            refused = await http.post("/flows", json=bad)
            assert (refused.status_code, refused.json()["error"]["reason"]) == (400, "INVALID_ARGUMENT"), bad
