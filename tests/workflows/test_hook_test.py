"""Send a test message and wait for its capture: each send finds exactly its own request."""

from __future__ import annotations

import asyncio
import time

from voipbin_tui.api import Account, AccountType
from voipbin_tui.api.hooks import HookDelivery
from voipbin_tui.connection import Connection
from voipbin_tui.protocols import HookVerdict
from voipbin_tui.workflows.hook_test import CaptureWatch, HookTest, hook_test_url, send_hook_test


async def first_of(connection: Connection, account_type: AccountType) -> Account:
    return next(a for a in await connection.client.list_accounts() if a.type == account_type)


async def test_two_posts_to_one_account_each_find_their_own_capture(connection: Connection) -> None:
    """The second send's watch starts before the first send lands, so the first capture after its
    cursor on the same path (and of the same size) is the other one's: only the exact bytes tell them apart."""
    account = await first_of(connection, AccountType.WHATSAPP)
    url = hook_test_url(connection, account.id)
    feed = connection.feed_client()
    assert feed is not None
    async with feed, connection.hook_sender() as sender:
        first_watch = await CaptureWatch.start(feed, account.id)
        second_watch = await CaptureWatch.start(feed, account.id)
        first = await sender.send_test_message(url, account, text="one")
        second = await sender.send_test_message(url, account, text="two")
        second_capture = await second_watch.find(second)
        first_capture = await first_watch.find(first)
    assert second_capture is not None and second_capture.summary.text == "two"
    assert first_capture is not None and first_capture.summary.text == "one"
    assert second_capture.body == second.body and first_capture.body == first.body


async def test_test_messages_sent_at_once_each_report_their_own_verdict(connection: Connection) -> None:
    account = await first_of(connection, AccountType.WHATSAPP)
    texts = [f"at once {n}" for n in range(4)]
    results = await asyncio.gather(*(send_hook_test(connection, account, HookTest(text=t)) for t in texts))
    assert [r.capture.summary.text if r.capture else None for r in results] == texts
    assert all(r.verdict == HookVerdict.OK and not r.failed and not r.feed_note for r in results)
    assert len({r.capture.id for r in results if r.capture}) == len(texts)


async def test_a_refused_test_message_is_a_failed_test(connection: Connection) -> None:
    """LINE channel secrets are write-only: unsigned, the hook refuses it, and the result says so."""
    account = await first_of(connection, AccountType.LINE)
    result = await send_hook_test(connection, account, HookTest(text="unsigned"))
    assert result.verdict == HookVerdict.MISSING_SIGNATURE and result.failed
    assert result.capture is not None and result.capture.explanation


async def test_a_capture_that_never_comes_ends_at_the_deadline(connection: Connection) -> None:
    account = await first_of(connection, AccountType.WHATSAPP)
    url = hook_test_url(connection, account.id)
    never_sent = HookDelivery(
        url=url, method="POST", body=b'{"never":"sent"}', signed=True, status_code=200, answer="", request_id=""
    )
    feed = connection.feed_client()
    assert feed is not None
    async with feed, connection.hook_sender() as sender:
        watch = await CaptureWatch.start(feed, account.id)
        await sender.send_test_message(url, account, text="someone else's")  # a capture, but not ours
        started = time.monotonic()
        assert await watch.find(never_sent, wait=0.5) is None
    assert 0.4 < time.monotonic() - started < 5


async def test_a_test_message_to_another_hook_looks_for_no_capture(connection: Connection) -> None:
    """``--to`` elsewhere: this connection's feed need not have it, so no verdict and no wait."""
    account = await first_of(connection, AccountType.WHATSAPP)
    elsewhere = hook_test_url(
        connection, account.id, to=connection.test_hook_base_url.replace("127.0.0.1", "localhost")
    )
    assert elsewhere != hook_test_url(connection, account.id)
    result = await send_hook_test(connection, account, HookTest(text="elsewhere"), url=elsewhere)
    assert result.delivery.accepted and result.capture is None and result.feed_note == ""
