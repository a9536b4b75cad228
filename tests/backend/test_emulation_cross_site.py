"""Web pages cannot drive the emulated providers. Their seeded tokens are published in the
README, Graph takes them in the query of a plain form POST (a request any page can make a
browser send without asking), and the emulation listens on the operator's machine: a page
could otherwise change the emulated state or make the emulated Meta send."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.backend.emulation import SYSTEM_TOKEN, Emulation, seeded
from voipbin_tui.backend import seed
from voipbin_tui.backend.server import EmbeddedBackend

FORM = {"content-type": "application/x-www-form-urlencoded"}
PAGE_HEADERS = [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}]


@pytest.fixture
async def emulation(fresh_backend: Callable[..., EmbeddedBackend]):
    async with seeded(fresh_backend) as started:
        yield started


@pytest.mark.parametrize("page", PAGE_HEADERS, ids=["origin", "null-origin", "fetch-site"])
async def test_a_pages_form_post_changes_no_emulated_state(emulation: Emulation, page: dict[str, str]) -> None:
    before = await emulation.providers.show()
    params = {"access_token": SYSTEM_TOKEN, "override_callback_uri": "https://evil.example/hook"}
    graph = await emulation.graph.post(
        f"{seed.SEED_WABA_ID}/subscribed_apps", params=params, content=b"", headers={**FORM, **page}
    )
    assert graph.status_code == 403
    assert "not web pages" in graph.json()["error"]["message"]
    line = await emulation.line.put(
        "/v2/bot/channel/webhook/endpoint",
        json={"endpoint": "https://evil.example/hook"},
        headers={"Authorization": f"Bearer {seed.SEED_LINE_CHANNEL_TOKEN}", **page},
    )
    assert line.status_code == 403 and "not web pages" in line.json()["message"]
    assert await emulation.providers.show() == before


async def test_programs_and_an_address_typed_in_a_browser_still_reach_it(emulation: Emulation) -> None:
    params = {"access_token": SYSTEM_TOKEN, "fields": "id"}
    for headers in ({}, {"Sec-Fetch-Site": "none"}):
        answer = await emulation.graph.get(seed.SEED_PHONE_NUMBER_ID, params=params, headers=headers)
        assert answer.status_code == 200, headers
    bot = await emulation.line.get("/v2/bot/info", headers={"Authorization": f"Bearer {seed.SEED_LINE_CHANNEL_TOKEN}"})
    assert bot.status_code == 200
