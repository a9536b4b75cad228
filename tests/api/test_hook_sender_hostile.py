"""Test traffic to a hook that answers badly: the hook URL is the operator's (a test hook base,
a tunnel, a live VoIPBIN), and what answers there is not ours. A huge answer is read only as far
as a delivery keeps it, a trickling one ends at the deadline; neither holds the caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import StreamedBody
from voipbin_tui.api.errors import ConnectionFailed
from voipbin_tui.api.hooks import ANSWER_BYTES_KEPT, HookSender

GUARD_SECONDS = 10.0


def hook_answering(chunks: AsyncIterator[bytes], *, deadline: float = 20.0) -> HookSender:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=StreamedBody(chunks))

    return HookSender(transport=httpx.MockTransport(answer), deadline=deadline)


async def test_a_huge_answer_is_read_only_as_far_as_it_is_kept() -> None:
    sent = 0

    async def huge() -> AsyncIterator[bytes]:
        nonlocal sent
        while sent < 64 << 20:
            await asyncio.sleep(0)
            sent += 65536
            yield b"x" * 65536

    async with hook_answering(huge()) as sender:
        delivery = await asyncio.wait_for(
            sender.send_hub_challenge("https://hook.test/v1.0/hooks", verify_token="vt-0123"), GUARD_SECONDS
        )
    assert delivery.status_code == 200 and delivery.answer == "x" * 2000
    assert sent <= ANSWER_BYTES_KEPT + 65536


async def test_a_trickling_answer_ends_at_the_deadline() -> None:
    async def trickle() -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0.05)
            yield b"."

    async with hook_answering(trickle(), deadline=0.5) as sender:
        with pytest.raises(ConnectionFailed, match=r"hook.test did not finish answering within 0.5 s"):
            await asyncio.wait_for(
                sender.send_hub_challenge("https://hook.test/v1.0/hooks", verify_token="vt-0123"), GUARD_SECONDS
            )
