"""Whatever arrives at the hook, it answers without a 5xx, raises nothing, and records it.

In-process (httpx's ASGI transport, which re-raises any exception in the app) for speed. Bodies are
arbitrary bytes, or JSON shaped like a provider payload with hostile values, signed with the
right secret so that they get past the signature check into the parsing and storing code.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from tests.backend.conftest import ACCESSKEY
from voipbin_tui.backend.app import create_app
from voipbin_tui.backend.config import BackendConfig
from voipbin_tui.backend.seed import SEED_LINE_CHANNEL_SECRET, SEED_WHATSAPP_APP_SECRET
from voipbin_tui.protocols import sign_hub_signature, sign_line_signature

pytestmark = pytest.mark.slow  # long hypothesis runs


class InProcessBackend:
    """The app with its lifespan running on a private event loop, called synchronously (so
    that hypothesis drives it like any other function)."""

    def __init__(self, data_dir: Path) -> None:
        self._app = create_app(BackendConfig(data_dir=data_dir, accesskey=SecretStr(ACCESSKEY)))
        self._loop = asyncio.new_event_loop()
        self._lifespan = self._app.router.lifespan_context(self._app)
        self._loop.run_until_complete(self._lifespan.__aenter__())
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(self._app), base_url="http://sandbox", cookies={"accesskey": ACCESSKEY}
        )

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, path, **options))

    def get(self, path: str, **options: Any) -> httpx.Response:
        return self.request("GET", path, **options)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.run_until_complete(self._lifespan.__aexit__(None, None, None))
        self._loop.close()


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessBackend]:
    backend = InProcessBackend(tmp_path_factory.mktemp("fuzz"))
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def account_ids(app_client: InProcessBackend) -> dict[str, str]:
    accounts = app_client.get("/v1.0/conversation_accounts").json()["result"]
    return {account["type"]: account["id"] for account in accounts}


@pytest.fixture(scope="module")
def cursor(app_client: InProcessBackend) -> dict[str, int]:
    """The feed position before the next example (only this module's test writes)."""
    return {"seq": app_client.get("/inspector/v1/requests").json()["next"]}


# Any character, with lone surrogates (JSON escapes such as "\ud800" decode to them) and a
# few troublemakers made frequent.
hostile_characters = (
    st.characters(exclude_categories=())
    | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
    | st.sampled_from('\x00\u00e9\u2028/\\"')
)
any_text = st.text(hostile_characters, min_size=1, max_size=30)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
    st.sampled_from(["text", "image", "wamid.x", "", "messages", "read"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def mostly(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the expected shape, sometimes any JSON value instead."""
    return st.one_of(shape, shape, shape, json_values)


@st.composite
def whatsapp_like(draw: st.DrawFn) -> dict[str, Any]:
    """A notification with the real structure and hostile values where Meta puts values, so
    that most of them are parsed, judged and stored."""
    messages = st.lists(
        st.fixed_dictionaries(
            {
                "from": mostly(any_text),
                "id": any_text.map(lambda text: "wamid." + text),
                "type": st.sampled_from(["text", "text", "text", "image", "reaction"]),
                "text": st.fixed_dictionaries({"body": mostly(any_text)}),
                "timestamp": json_values,
            }
        ),
        min_size=1,
        max_size=3,
    )
    statuses = st.lists(
        st.fixed_dictionaries(
            {
                "id": mostly(any_text),
                "status": st.sampled_from(["sent", "delivered", "read", "failed"]) | json_values,
            }
        ),
        max_size=2,
    )
    value = st.fixed_dictionaries(
        {
            "metadata": st.fixed_dictionaries({"phone_number_id": mostly(any_text)}),
            "contacts": st.lists(
                st.fixed_dictionaries({"wa_id": mostly(any_text), "user_id": json_values}), max_size=2
            ),
            "messages": mostly(messages),
            "statuses": mostly(statuses),
        }
    )
    change = st.fixed_dictionaries({"field": st.just("messages"), "value": value})
    entry = st.fixed_dictionaries({"id": json_values, "changes": st.lists(mostly(change), min_size=1, max_size=2)})
    return {"object": "whatsapp_business_account", "entry": draw(st.lists(entry, min_size=1, max_size=2))}


@st.composite
def line_like(draw: st.DrawFn) -> dict[str, Any]:
    event = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["message", "message", "follow", "postback"]) | json_values,
            "webhookEventId": mostly(any_text),
            "source": st.fixed_dictionaries({"type": st.sampled_from(["user", "group"]), "userId": mostly(any_text)}),
            "message": st.fixed_dictionaries(
                {"type": st.just("text") | json_values, "text": mostly(any_text), "id": json_values}
            ),
        }
    )
    return {"destination": draw(json_values), "events": draw(st.lists(mostly(event), max_size=3))}


header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789", min_size=1, max_size=20)
header_values = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=60
).map(lambda value: value.encode("latin-1"))


def check_answered_and_recorded(
    backend: InProcessBackend, cursor: dict[str, int], caplog: pytest.LogCaptureFixture, response: httpx.Response
) -> dict[str, Any]:
    """No 5xx, exactly one new captured request matching the answer, and no processing error."""
    assert response.status_code < 500
    captured = backend.get("/inspector/v1/requests", params={"after": cursor["seq"]}).json()["result"]
    assert len(captured) == 1
    assert (captured[0]["method"], captured[0]["status"]) == (response.request.method, response.status_code)
    cursor["seq"] = captured[0]["seq"]
    # The hook's last resort (record the request unprocessed) must never have been needed.
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    return captured[0]


FUZZ_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ_SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "HEAD"]),
    target=st.sampled_from(["whatsapp", "line", "sms", "unknown", "garbage"]),
    garbage_ref=st.text(min_size=1, max_size=30),
    query=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x", ""]) | st.text(max_size=8),
        st.text(max_size=30),
        max_size=4,
    ),
    headers=st.dictionaries(header_names, header_values, max_size=5),
    body=st.one_of(st.binary(max_size=300), whatsapp_like(), line_like(), json_values),
    signed=st.booleans(),
)
def test_any_request_is_answered_without_5xx_and_recorded(
    caplog: pytest.LogCaptureFixture,
    app_client: InProcessBackend,
    account_ids: dict[str, str],
    cursor: dict[str, int],
    method: str,
    target: str,
    garbage_ref: str,
    query: dict[str, str],
    headers: dict[str, bytes],
    body: bytes | Any,
    signed: bool,
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if signed:
        headers["X-Hub-Signature-256"] = sign_hub_signature(SEED_WHATSAPP_APP_SECRET, raw).encode()
        headers["x-line-signature"] = sign_line_signature(SEED_LINE_CHANNEL_SECRET, raw).encode()
    account_ref = {"unknown": str(uuid4()), "garbage": garbage_ref}.get(target) or account_ids[target]
    if "/" in account_ref or account_ref in (".", ".."):
        return  # decoded, that is another path (routing, not the hook): nothing is captured
    caplog.clear()
    response = app_client.request(
        method,
        f"/v1.0/conversation/accounts/{quote(account_ref, safe='')}",
        params=query,
        headers=headers,
        content=raw if method == "POST" else None,
    )
    check_answered_and_recorded(app_client, cursor, caplog, response)


@FUZZ_SETTINGS
@given(provider=st.sampled_from(["whatsapp", "line"]), data=st.data())
def test_signed_hostile_payloads_are_processed_without_error(
    caplog: pytest.LogCaptureFixture,
    app_client: InProcessBackend,
    account_ids: dict[str, str],
    cursor: dict[str, int],
    provider: str,
    data: st.DataObject,
) -> None:
    """Well-signed payloads of the right shape with hostile values (lone surrogates, odd
    types, repeated ids) go all the way through parsing and storing."""
    if provider == "whatsapp":
        raw = json.dumps(data.draw(whatsapp_like())).encode()
        headers = {"X-Hub-Signature-256": sign_hub_signature(SEED_WHATSAPP_APP_SECRET, raw)}
    else:
        raw = json.dumps(data.draw(line_like())).encode()
        headers = {"x-line-signature": sign_line_signature(SEED_LINE_CHANNEL_SECRET, raw)}
    caplog.clear()
    response = app_client.request(
        "POST", f"/v1.0/conversation/accounts/{account_ids[provider]}", content=raw, headers=headers
    )
    captured = check_answered_and_recorded(app_client, cursor, caplog, response)
    assert captured["verdict"] in ("ok", "duplicate", "dashboard_test")
