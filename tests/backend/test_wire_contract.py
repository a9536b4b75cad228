"""One wire schema: the sandbox answers with the client's own models, in the shape of VoIPBIN's
answers (the recorded fixtures), omit-empty quirks included, and write-only fields never."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from voipbin_tui.api.models import (
    Account,
    Conversation,
    ConversationMessage,
    Customer,
    ErrorEnvelope,
    Flow,
    VoipbinModel,
)
from voipbin_tui.backend.seed import SEED_LINE_CHANNEL_TOKEN

TOKEN = "EAA-contract-token-0123456789"
SECRET = "contract-verify-token"
# A sandbox LINE save sets the emulated channel's webhook endpoint, as VoIPBIN's does LINE's:
# only the emulated channel's own token is accepted there.
CHANNEL_TOKEN = SEED_LINE_CHANNEL_TOKEN
CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"


def _fixture(fixtures_root: Path, name: str) -> Any:
    return json.loads((fixtures_root / "voipbin" / name).read_text())


def _shape(value: Any) -> Any:
    """Keys and JSON types, not values: what a client depends on."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value[:1]]
    return type(value).__name__


@pytest.mark.parametrize("index", [0, 1])
def test_an_account_from_voipbin_goes_back_on_the_wire_unchanged(fixtures_root: Path, index: int) -> None:
    item = _fixture(fixtures_root, "accounts-page.json")["result"][index]
    assert Account.model_validate(item).wire_json() == item


def test_an_account_with_legacy_times_keeps_its_omissions(fixtures_root: Path) -> None:
    """The SMS account omits name, detail and provider_data; its times come back in today's
    form (the year-9999 "not deleted" as null)."""
    item = _fixture(fixtures_root, "accounts-page.json")["result"][2]
    wire = Account.model_validate(item).wire_json()
    assert set(wire) == set(item)
    assert (wire["tm_create"], wire["tm_delete"]) == ("2022-06-24T04:28:51.558082Z", None)


def test_secrets_voipbin_returns_are_in_clear_only_on_the_wire(fixtures_root: Path) -> None:
    item = _fixture(fixtures_root, "accounts-page.json")["result"][1]
    account = Account.model_validate(item)
    assert account.wire_json()["provider_data"]["app_secret"] == item["provider_data"]["app_secret"]
    assert item["provider_data"]["app_secret"] not in json.dumps(account.model_dump(mode="json"))


def test_the_write_only_fields_have_no_place_in_the_schema() -> None:
    sent = {"id": "c3d4e5f6-a7b8-9012-cdef-123456789012", "type": "line", "token": TOKEN, "secret": SECRET}
    wire = Account.model_validate(sent).wire_json()
    assert "token" not in wire and "secret" not in wire
    assert TOKEN not in json.dumps(wire) and SECRET not in json.dumps(wire)


def test_the_error_fixtures_are_the_envelope_the_sandbox_sends(fixtures_root: Path) -> None:
    limited = _fixture(fixtures_root, "error-rate-limited.json")
    assert ErrorEnvelope.model_validate(limited).wire_json() == limited
    # voipbin-api.md: details is always there, [] when empty
    invalid = _fixture(fixtures_root, "error-invalid-id.json")
    assert ErrorEnvelope.model_validate(invalid).wire_json() == {"error": {**invalid["error"], "details": []}}


async def test_sandbox_accounts_have_the_shape_of_voipbins(rest: httpx.AsyncClient, fixtures_root: Path) -> None:
    expected = {item["type"]: item for item in _fixture(fixtures_root, "accounts-page.json")["result"]}
    flow_id = (await rest.get("/v1.0/flows")).json()["result"][0]["id"]
    bodies = {
        "line": {"type": "line", "name": "L", "detail": "d", "secret": CHANNEL_SECRET, "token": CHANNEL_TOKEN},
        "whatsapp": {
            "type": "whatsapp",
            "name": "W",
            "detail": "d",
            "secret": SECRET,
            "token": TOKEN,
            "provider_data": {"phone_number_id": "123456789012345", "app_secret": "ab" * 16},
        },
        "sms": {"type": "sms"},
    }
    for account_type, body in bodies.items():
        if account_type != "sms":
            body["message_flow_id"] = flow_id
        created = await rest.post("/v1.0/conversation_accounts", json=body)
        assert created.status_code == 200, created.text
        account_id = created.json()["id"]
        answers = [
            created,
            await rest.get(f"/v1.0/conversation_accounts/{account_id}"),
            await rest.put(
                f"/v1.0/conversation_accounts/{account_id}",
                json={"token": CHANNEL_TOKEN if account_type == "line" else TOKEN + "2"},
            ),
            await rest.delete(f"/v1.0/conversation_accounts/{account_id}"),
        ]
        for answer in answers:
            wire = answer.json()
            fixture = expected[account_type]
            # The sandbox's are deleted at the end and updated on the way: times may be set.
            assert set(wire) == set(fixture), answer.request.method
            assert _shape({k: v for k, v in wire.items() if not k.startswith("tm_")}) == _shape(
                {k: v for k, v in fixture.items() if not k.startswith("tm_")}
            )
            for secret in (TOKEN, SECRET, CHANNEL_TOKEN, CHANNEL_SECRET):
                assert secret not in answer.text
    page = (await rest.get("/v1.0/conversation_accounts", params={"page_size": 1})).json()
    assert set(page) == {"result", "next_page_token"} and isinstance(page["next_page_token"], str)


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1.0/conversation_accounts", Account),
        ("/v1.0/flows", Flow),
        ("/v1.0/conversations", Conversation),
    ],
)
async def test_every_sandbox_answer_is_its_model_on_the_wire(
    rest: httpx.AsyncClient, path: str, model: type[VoipbinModel]
) -> None:
    """What the sandbox sends, read by the client's model and sent again, is the same JSON:
    one schema, no field the client drops or invents."""
    items = (await rest.get(path)).json()["result"]
    assert items
    for item in items:
        assert model.model_validate(item).wire_json() == item
    if model is Conversation:
        messages = (await rest.get(f"{path}/{items[0]['id']}/messages")).json()["result"]
        assert messages
        for message in messages:
            assert "transaction_id" not in message
            assert ConversationMessage.model_validate(message).wire_json() == message


async def test_the_customer_is_its_model_on_the_wire(rest: httpx.AsyncClient) -> None:
    customer = (await rest.get("/v1.0/customer")).json()
    assert Customer.model_validate(customer).wire_json() == customer
    assert isinstance(customer["webhook_secret"], str)  # VoIPBIN returns it in clear
