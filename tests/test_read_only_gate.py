"""The read-only gate lives in the clients a connection hands out: every call that would change
something is refused before it is sent, so no command or screen can forget it."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from voipbin_tui.api import AccountDraft, AccountType, ReadOnlyRefused, VoipbinClient
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.api.hooks import HookSender
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.seed import SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.config import SandboxTarget
from voipbin_tui.connection import Connection, open_connection

MUTATING = {
    VoipbinClient: {"create_account", "update_account", "delete_account", "send_message"},
    FeedClient: {"replay"},
    HookSender: {"send_test_message"},
    SandboxProviders: {"set", "reset", "send_inbound", "press_dashboard_test"},  # the last two: test traffic
}
"""Every public method that changes something; each one is tried below."""
CHANGING_NOTHING = {
    VoipbinClient: {
        "request",  # the one path every call takes: the gate itself
        "iter_pages",
        "login",
        "iter_account_pages",
        "iter_accounts",
        "list_accounts",
        "get_account",
        "iter_flows",
        "list_flows",
        "iter_conversations",
        "get_conversation",
        "iter_messages",
        "get_customer",
        "aclose",
    },
    FeedClient: {"poll", "latest_cursor", "get", "aclose"},
    HookSender: {"send_hub_challenge"},
    SandboxProviders: {"show"},
}


@pytest.mark.parametrize("client_class", list(MUTATING))
def test_every_public_method_is_known_to_change_something_or_not(client_class: type) -> None:
    """A new method must be added to one list or the other, and a mutating one gets tried."""
    public = {name for name, member in inspect.getmembers(client_class, callable) if not name.startswith("_")}
    assert public == MUTATING[client_class] | CHANGING_NOTHING[client_class]


async def state_of(connection: Connection) -> dict[str, Any]:
    """Everything a refused call could have changed, read through a writable connection."""
    conversations = [c async for c in connection.client.iter_conversations()]
    feed = connection.feed_client()
    assert feed is not None
    async with feed:
        cursor = await feed.latest_cursor()
    return {
        "accounts": [a.model_dump(mode="json") for a in await connection.client.list_accounts()],
        "messages": {str(c.id): [m.id async for m in connection.client.iter_messages(c.id)] for c in conversations},
        "captured": cursor,
        "providers": await SandboxProviders(connection.client).show(),
    }


@pytest.mark.slow  # starts a sandbox
async def test_a_read_only_connection_refuses_every_change_and_nothing_reaches_the_sandbox(tmp_path: Path) -> None:
    target = SandboxTarget(tmp_path / "data", port=0)
    async with open_connection(target) as writable:
        whatsapp = next(a for a in await writable.client.list_accounts() if a.type == AccountType.WHATSAPP)
        url = writable.hook_url_for(whatsapp.id).replace(writable.hook_base_url, writable.test_hook_base_url)
        async with writable.hook_sender() as sender:  # one capture to replay, one conversation to post into
            assert (await sender.send_test_message(url, whatsapp, text="before")).accepted
        conversation = [c async for c in writable.client.iter_conversations(account_id=whatsapp.id)][0]
        feed = writable.feed_client()
        assert feed is not None
        async with feed:
            captured = (await feed.poll(0, limit=1000)).requests[-1]
        await SandboxProviders(writable.client).set({"meta.health": "BLOCKED"})  # so a reset would change it
        before = await state_of(writable)

        async with open_connection(target, read_only=True) as read_only:  # the same running sandbox
            assert read_only.read_only and not read_only.owns_sandbox
            read_only_feed = read_only.feed_client()
            assert read_only_feed is not None
            async with read_only_feed, read_only.hook_sender() as read_only_sender:
                calls: dict[str, Callable[[], Awaitable[object]]] = {
                    "create_account": lambda: read_only.client.create_account(
                        AccountDraft(type=AccountType.SMS, name="refused")
                    ),
                    "update_account": lambda: read_only.client.update_account(
                        whatsapp, AccountDraft.from_account(whatsapp).model_copy(update={"name": "refused"})
                    ),
                    "delete_account": lambda: read_only.client.delete_account(whatsapp.id),
                    "send_message": lambda: read_only.client.send_message(conversation.id, "refused"),
                    "replay": lambda: read_only_feed.replay(captured.id),
                    "send_test_message": lambda: read_only_sender.send_test_message(url, whatsapp, text="refused"),
                    "set": lambda: SandboxProviders(read_only.client).set({"meta.health": "AVAILABLE"}),
                    "reset": lambda: SandboxProviders(read_only.client).reset(),
                    "send_inbound": lambda: SandboxProviders(read_only.client).send_inbound(whatsapp.id, "refused"),
                    "press_dashboard_test": lambda: SandboxProviders(read_only.client).press_dashboard_test(
                        whatsapp.id
                    ),
                }
                assert set(calls) == set().union(*MUTATING.values())
                for name, call in calls.items():
                    with pytest.raises(ReadOnlyRefused) as refused:
                        await call()
                    message = str(refused.value)
                    assert message.startswith("read-only: ") and "\n" not in message, name
                    assert "--read-only" in message, name

                # reading and the hub challenge (it changes nothing) still work
                listed = [str(a.id) for a in await read_only.client.list_accounts()]
                assert listed == [a["id"] for a in before["accounts"]]
                assert (await read_only.client.get_account(whatsapp.id)).id == whatsapp.id
                assert (await read_only_feed.get(captured.id)).id == captured.id
                challenge = await read_only_sender.send_hub_challenge(url, verify_token=SEED_WHATSAPP_VERIFY_TOKEN)
                assert challenge.accepted

        after = await state_of(writable)
    # the hub challenge is captured (it is traffic, not a change): nothing else arrived
    assert after["captured"] == before["captured"] + 1
    assert {**after, "captured": 0} == {**before, "captured": 0}


async def test_logging_in_is_not_a_change(tmp_path: Path) -> None:
    """Login is a POST that changes nothing: a read-only client still logs in."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"username": "ops", "token": "a.b.c"})

    async with VoipbinClient("https://api.example/v1.0", transport=httpx.MockTransport(answer), read_only=True) as api:
        await api.login("ops", "password")
        with pytest.raises(ReadOnlyRefused):
            await api.delete_account("2b1c9a3e-5d7f-4a8b-9c0d-1e2f3a4b5c6d")
    assert seen == ["POST /auth/login"]
