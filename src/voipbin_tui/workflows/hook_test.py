"""Send a signed test message to an account's hook and find exactly its capture in the feed.

The capture is the one whose method and raw body are the bytes this send posted (each test
payload carries a fresh message id), looked for after the feed's cursor taken before sending,
so two test messages to one account, even at once, each find their own. It is looked for until
a deadline; a capture that does not show by then is a clear result, not a hang.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from uuid import UUID

from voipbin_tui.api.errors import PermissionDenied, Unauthenticated, VoipbinError
from voipbin_tui.api.feed import CapturedRequest, FeedClient
from voipbin_tui.api.hooks import DEFAULT_TEST_SENDER, HookDelivery, hook_url_for
from voipbin_tui.api.hooks import DEFAULT_TEST_TEXT as DEFAULT_TEST_TEXT  # re-exported: the workflow's default
from voipbin_tui.api.models import Account
from voipbin_tui.connection import Connection
from voipbin_tui.protocols import HookVerdict
from voipbin_tui.traffic import is_problem

CAPTURE_WAIT_SECONDS = 5.0
"""How long to look for the capture; the sandbox and a relay store it before answering."""
_CANDIDATES_PER_POLL = 100

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class HookTest:
    """What to send: the text, the sender's wa_id (WhatsApp), a LINE channel secret to sign with."""

    text: str = DEFAULT_TEST_TEXT
    sender: str = DEFAULT_TEST_SENDER
    line_channel_secret: str | None = None


@dataclass(frozen=True, slots=True)
class HookTestResult:
    """What the hook answered and, when the feed showed it, how the request was judged."""

    delivery: HookDelivery
    capture: CapturedRequest | None = None
    """The request as captured, in full (raw body, verdict explained)."""
    feed_note: str = ""
    """Why there is no capture, when one was looked for and none came."""

    @property
    def verdict(self) -> HookVerdict | None:
        return self.capture.verdict if self.capture is not None else None

    @property
    def failed(self) -> bool:
        """A test that would be refused or dropped failed, whatever the hook answered."""
        return not self.delivery.accepted or (self.verdict is not None and is_problem(self.verdict))


def hook_test_url(connection: Connection, account_id: UUID | str, to: str | None = None) -> str:
    """Where a test message goes: the hook base given (``--to``), else this machine's way to the
    connection's hook."""
    return hook_url_for(to or connection.test_hook_base_url, account_id)


class CaptureWatch:
    """The feed's position before a send, to find the capture of exactly that send afterwards."""

    def __init__(self, feed: FeedClient, account_id: UUID | str, cursor: int, *, clock: Clock = time.monotonic):
        self._feed = feed
        self._account_id = str(account_id)
        self._cursor = cursor
        self._clock = clock

    @classmethod
    async def start(cls, feed: FeedClient, account_id: UUID | str, *, clock: Clock = time.monotonic) -> CaptureWatch:
        return cls(feed, account_id, await feed.latest_cursor(), clock=clock)

    async def find(self, delivery: HookDelivery, *, wait: float = CAPTURE_WAIT_SECONDS) -> CapturedRequest | None:
        """The capture of ``delivery`` (method, path and the exact body bytes), or ``None`` when
        it has not shown within ``wait`` seconds."""
        deadline = self._clock() + wait
        sent_path = urlsplit(delivery.url).path
        while True:
            remaining = deadline - self._clock()
            batch = await self._feed.poll(
                self._cursor, limit=_CANDIDATES_PER_POLL, wait=max(0.0, remaining), account_id=self._account_id
            )
            for captured in batch.requests:
                if _may_be(captured, delivery, sent_path):
                    full = await self._feed.get(captured.id)
                    if full.body == delivery.body:
                        return full
            self._cursor = max(self._cursor, batch.next)
            if self._clock() >= deadline:
                return None


def _may_be(captured: CapturedRequest, delivery: HookDelivery, sent_path: str) -> bool:
    """Cheap checks before the body is fetched: a relay behind a proxy may see a shorter path."""
    return (
        captured.method == delivery.method
        and captured.body_size == len(delivery.body)
        and sent_path.endswith(captured.path)
    )


async def send_hook_test(
    connection: Connection,
    account: Account,
    message: HookTest = HookTest(),
    *,
    url: str | None = None,
    wait: float = CAPTURE_WAIT_SECONDS,
    clock: Clock = time.monotonic,
) -> HookTestResult:
    """Post a signed test message to ``url`` (default: the connection's hook for the account)
    and, when it goes to the connection's own hook and there is a feed, find its capture.

    A feed that refuses its key does not stop the message: the result says how to fix it."""
    url = url or hook_test_url(connection, account.id)
    feed = connection.feed_client() if url == hook_test_url(connection, account.id) else None
    if feed is None:
        return HookTestResult(await _send(connection, account, message, url))
    async with feed:
        try:
            watch = await CaptureWatch.start(feed, account.id, clock=clock)
        except (Unauthenticated, PermissionDenied):
            hint = connection.inspector_key_hint or "check its access key"
            note = f"the inspector feed refused its access key, so no verdict: {hint}"
            return HookTestResult(await _send(connection, account, message, url), feed_note=note)
        delivery = await _send(connection, account, message, url)
        try:
            capture = await watch.find(delivery, wait=wait)
        except VoipbinError as exc:  # the message went: say why there is no verdict, not fail
            return HookTestResult(delivery, feed_note=f"the inspector feed failed, so no verdict: {exc}")
    note = "" if capture else f"the feed did not show this request within {wait:g} s, so no verdict"
    return HookTestResult(delivery, capture, note)


async def _send(connection: Connection, account: Account, message: HookTest, url: str) -> HookDelivery:
    async with connection.hook_sender() as sender:
        return await sender.send_test_message(
            url, account, text=message.text, sender=message.sender, line_channel_secret=message.line_channel_secret
        )
