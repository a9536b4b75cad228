"""Every object the sandbox makes gets its own time, so pages cut at a time skip nothing.

VoIPBIN's page token is the last item's ``tm_create`` and the next page holds only strictly
older items: objects sharing a time would hide each other. These tests use a frozen clock,
the hardest case: one request, or many, all made "at the same instant".
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.backend.conftest import ACCESSKEY, create_whatsapp_account, post_whatsapp
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.api.models import Account
from voipbin_tui.api.timestamps import parse_voipbin_time
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.backend.store import DATABASE_FILENAME, MIGRATIONS, Store
from voipbin_tui.protocols import new_wamid, serialize_like_meta

FROZEN = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
KEY = {"accesskey": ACCESSKEY}


def frozen_clock() -> datetime:
    return FROZEN


def notification(phone_number_id: str, messages: list[tuple[str, str]]) -> bytes:
    """One Meta notification (one entry, one change) carrying every (sender, text) given."""
    senders = list(dict.fromkeys(sender for sender, _ in messages))
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": f"Sender {sender}"}, "wa_id": sender} for sender in senders],
        "messages": [
            {"from": sender, "id": new_wamid(), "timestamp": "1750000000", "type": "text", "text": {"body": text}}
            for sender, text in messages
        ],
    }
    document = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return serialize_like_meta(document)


async def every_item(http: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    """Everything a list endpoint has, read page by page (100 a page) as VoIPBIN's docs say."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"page_size": 100}
    while True:
        page = (await http.get(path, params=params)).json()
        if not page["result"]:
            return items
        items.extend(page["result"])
        params["page_token"] = page["next_page_token"]


def assert_strictly_newest_first(items: list[dict[str, Any]]) -> None:
    times = [parse_voipbin_time(item["tm_create"]) for item in items]
    assert all(newer > older for newer, older in zip(times, times[1:], strict=False)), "times shared or unordered"  # type: ignore[operator]


Post = Callable[[list[tuple[str, str]]], Awaitable[None]]


@asynccontextmanager
async def one_notification(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> AsyncIterator[tuple[VoipbinClient, httpx.AsyncClient, Account, Post]]:
    """A seeded sandbox with a frozen clock, a new WhatsApp account, and a way to post it one
    signed notification: (the API client, raw HTTP on the API, the account, post)."""
    backend = fresh_backend(seed=True, clock=frozen_clock)
    async with (
        VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client,
        httpx.AsyncClient(base_url=backend.base_url, timeout=30) as hook,
        httpx.AsyncClient(base_url=backend.api_url, cookies=KEY, timeout=30) as http,
    ):
        account, app_secret = await create_whatsapp_account(client)

        async def post(messages: list[tuple[str, str]]) -> None:
            body = notification(account.phone_number_id, messages)
            assert (await post_whatsapp(hook, account.id, body, app_secret)).status_code == 200

        yield client, http, account, post


@pytest.mark.slow
async def test_a_batch_of_1000_messages_from_one_sender_pages_whole(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    async with one_notification(fresh_backend) as (client, http, account, post):
        texts = [f"message {n}" for n in range(1000)]
        await post([("447700900999", text) for text in texts])

        (conversation,) = [c async for c in client.iter_conversations(account_id=account.id)]
        path = f"/conversations/{conversation.id}/messages"
        over_http = await every_item(http, path)
        assert [m["text"] for m in over_http] == texts[::-1]  # all of them, newest (last sent) first
        assert_strictly_newest_first(over_http)
        assert [m.text async for m in client.iter_messages(conversation.id)] == texts[::-1]


@pytest.mark.slow
async def test_a_batch_from_150_senders_makes_150_reachable_conversations(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    async with one_notification(fresh_backend) as (client, http, account, post):
        senders = [f"4477009{n:05d}" for n in range(150)]
        await post([(sender, f"hello from {sender}") for sender in senders])

        over_http = await every_item(http, "/conversations")  # the seeded ones too: 153 in all
        assert_strictly_newest_first(over_http)
        over_http = [c for c in over_http if c["account_id"] == str(account.id)]
        assert [c["dialog_id"] for c in over_http] == senders[::-1]
        assert [c.dialog_id async for c in client.iter_conversations(account_id=account.id)] == senders[::-1]


async def test_accounts_made_and_changed_at_one_instant_still_get_their_own_times(
    fresh_backend: Callable[..., EmbeddedBackend],
) -> None:
    backend = fresh_backend(clock=frozen_clock)
    async with VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client:
        first = await client.create_account(AccountDraft(type=AccountType.SMS, name="first"))
        second = await client.create_account(AccountDraft(type=AccountType.SMS, name="second"))
        assert second.tm_create == first.tm_create + timedelta(microseconds=1)  # type: ignore[operator]
        renamed = await client.update_account(second, AccountDraft(type=AccountType.SMS, name="renamed"))
        renamed_again = await client.update_account(renamed, AccountDraft(type=AccountType.SMS, name="again"))
        assert renamed.tm_update < renamed_again.tm_update  # type: ignore[operator]  # a change is never invisible
        deleted = await client.delete_account(first.id)
        assert deleted.tm_delete > renamed_again.tm_update  # type: ignore[operator]
        assert [a.name for a in await client.list_accounts()] == ["again"]


def test_stamps_keep_rising_across_restarts_and_a_clock_set_back(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILENAME
    store = Store.open(path)
    with store.transaction():
        first = store.stamp(FROZEN)
    store.close()
    store = Store.open(path)
    with store.transaction():
        assert store.stamp(FROZEN - timedelta(hours=1)) == first + timedelta(microseconds=1)
        assert store.stamp(FROZEN + timedelta(hours=1)) == FROZEN + timedelta(hours=1)
    store.close()


def test_a_rolled_back_stamp_is_handed_out_again(tmp_path: Path) -> None:
    store = Store.open(tmp_path / DATABASE_FILENAME)
    store.begin()
    with store.savepoint():
        kept = store.stamp(FROZEN)
    try:
        with store.savepoint():
            store.stamp(FROZEN)
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    with store.savepoint():
        assert store.stamp(FROZEN) == kept + timedelta(microseconds=1)
    store.commit()
    store.close()


async def test_a_data_dir_from_an_older_version_keeps_paging_and_gets_action_ids(
    tmp_path: Path, fresh_backend: Callable[..., EmbeddedBackend]
) -> None:
    """Made before stamps and action ids: new objects come after its newest time, and its
    flows' actions are served with ids that do not change between reads."""
    newest = "2026-03-01T10:00:05.000000Z"  # later than the frozen clock
    (tmp_path / "data-0").mkdir()
    with sqlite3.connect(tmp_path / "data-0" / DATABASE_FILENAME) as db:
        for statement in MIGRATIONS[0].split(";"):
            db.execute(statement)
        db.execute(
            "INSERT INTO customer VALUES (?, 'old', 'Old', '', '', '', '', '', '', '', ?, NULL)",
            (str(UUID(int=2)), "2026-03-01T08:00:00.000000Z"),
        )
        db.execute(
            "INSERT INTO accounts VALUES (?, ?, 'sms', 'old', '', '', '', NULL, ?, ?, ?, NULL)",
            (str(UUID(int=1)), str(UUID(int=2)), str(UUID(int=0)), "2026-03-01T09:00:00.000000Z", newest),
        )
        db.execute(
            "INSERT INTO flows VALUES (?, ?, 'flow', 'old flow', '', ?, ?, NULL, NULL)",
            (str(UUID(int=3)), str(UUID(int=2)), '[{"type": "answer"}, {"type": "hangup"}]', newest),
        )
        db.execute("PRAGMA user_version = 1")
    db.close()
    backend = fresh_backend(clock=frozen_clock)
    async with (
        VoipbinClient(backend.api_url, accesskey=ACCESSKEY) as client,
        httpx.AsyncClient(base_url=backend.api_url, cookies=KEY) as http,
    ):
        created = await client.create_account(AccountDraft(type=AccountType.SMS, name="new"))
        assert created.tm_create == parse_voipbin_time(newest) + timedelta(microseconds=1)  # type: ignore[operator]
        assert [a.name for a in await client.list_accounts()] == ["new", "old"]
        (flow,) = (await http.get("/flows")).json()["result"]
        assert [action["type"] for action in flow["actions"]] == ["answer", "hangup"]
        assert len({UUID(action["id"]) for action in flow["actions"]}) == 2
        assert (await http.get("/flows")).json()["result"] == [flow]
