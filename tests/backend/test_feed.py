"""The inspector feed: long-poll, cross-process visibility, filters, one request, replay,
VoIPBIN events, and the feed client on its own."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from uuid import uuid4

import httpx
import pytest

from tests.backend.conftest import (
    ACCESSKEY,
    captured_since,
    compact,
    create_whatsapp_account,
    latest_seq,
    post_whatsapp,
)
from voipbin_tui.api import BadRequest, Unauthenticated, VoipbinClient
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.backend.store import CaptureRecord, Store
from voipbin_tui.protocols import (
    HookVerdict,
    RequestKind,
    build_text_message_payload,
    sign_voipbin_signature,
)


def text_payload(text: str = "hello") -> bytes:
    return build_text_message_payload(phone_number_id="106540352242922", text=text)


async def test_a_long_poll_returns_as_soon_as_a_request_arrives(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account, app_secret = await create_whatsapp_account(client)
    cursor = await latest_seq(feed)
    poll = asyncio.create_task(feed.poll(cursor, wait=10, account_id=account.id))
    await asyncio.sleep(0.3)
    assert not poll.done()  # held open while nothing arrives
    posted = time.monotonic()
    await post_whatsapp(http, account.id, text_payload("wake up"), app_secret)
    batch = await asyncio.wait_for(poll, timeout=5)
    assert time.monotonic() - posted < 1.0
    assert [r.summary.text for r in batch.requests] == ["wake up"]
    assert batch.next == batch.requests[0].seq


async def test_a_long_poll_ends_empty_when_the_wait_is_over(feed: FeedClient) -> None:
    cursor = await latest_seq(feed)
    started = time.monotonic()
    batch = await feed.poll(cursor, wait=0.4, account_id=uuid4())
    assert batch.requests == [] and batch.next >= cursor
    assert 0.35 < time.monotonic() - started < 3


async def test_requests_written_by_another_process_wake_the_long_poll(
    sandbox: EmbeddedBackend, feed: FeedClient
) -> None:
    """A second writer on the same database file (another connection, as another process
    would have) is seen without any announcement, through the cross-process check."""
    account_ref = str(uuid4())
    cursor = await latest_seq(feed)
    poll = asyncio.create_task(feed.poll(cursor, wait=10, account_id=account_ref))
    await asyncio.sleep(0.3)
    other_writer = Store.open(sandbox.config.database_path)
    try:
        with other_writer.transaction():
            written = other_writer.record_capture(
                CaptureRecord(
                    id=uuid4(),
                    time=sandbox.config.clock(),
                    method="POST",
                    path=f"/v1.0/conversation/accounts/{account_ref}",
                    query="",
                    headers=(("content-type", "application/json"),),
                    body=b"{}",
                    body_size=2,
                    body_complete=True,
                    account_id=account_ref,
                    kind=RequestKind.UNKNOWN,
                    verdict=HookVerdict.UNKNOWN_ACCOUNT,
                    status=200,
                    answer=b"",
                    summary={},
                    explanation="elsewhere",
                )
            )
        written_at = time.monotonic()
    finally:
        other_writer.close()
    batch = await asyncio.wait_for(poll, timeout=5)
    assert time.monotonic() - written_at < 1.0
    assert [r.id for r in batch.requests] == [written.id]


async def test_the_account_filter_and_the_cursor(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    first, first_secret = await create_whatsapp_account(client)
    second, second_secret = await create_whatsapp_account(client)
    cursor = await latest_seq(feed)
    for n in range(3):
        await post_whatsapp(http, first.id, text_payload(f"first {n}"), first_secret)
        await post_whatsapp(http, second.id, text_payload(f"second {n}"), second_secret)
    everything = await captured_since(feed, cursor)
    assert [r.summary.text for r in everything] == ["first 0", "second 0", "first 1", "second 1", "first 2", "second 2"]
    assert [r.seq for r in everything] == sorted(r.seq for r in everything)

    only_first = await feed.poll(cursor, account_id=first.id)
    assert [r.summary.text for r in only_first.requests] == ["first 0", "first 1", "first 2"]
    assert only_first.next == everything[-1].seq  # the second account's requests are skipped too

    page = await feed.poll(cursor, limit=2)
    assert [r.summary.text for r in page.requests] == ["first 0", "second 0"] and page.next == page.requests[-1].seq
    uppercase = await feed.poll(cursor, account_id=str(first.id).upper())
    assert len(uppercase.requests) == 3


async def test_one_request_in_full_keeps_the_exact_bytes_and_adds_no_secret(
    http: httpx.AsyncClient, rest: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account, app_secret = await create_whatsapp_account(client, verify_token="never-in-the-feed")
    body = build_text_message_payload(phone_number_id=account.phone_number_id, text="caf\u00e9")
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, body, app_secret)
    (listed,) = await captured_since(feed, cursor, account_id=account.id)
    assert listed.body is None and listed.body_size == len(body)

    full = await feed.get(listed.id)
    assert full.body == body
    assert full.header("x-hub-signature-256") is not None and full.header("Content-Type") == "application/json"
    assert "app secret" in full.explanation and full.method == "POST" and full.path.endswith(str(account.id))

    raw = await rest.get(f"/inspector/v1/requests/{listed.id}")
    assert base64.b64decode(raw.json()["body"]) == body
    for secret in (app_secret, "never-in-the-feed", ACCESSKEY):
        assert secret not in raw.text


async def test_unknown_and_malformed_request_ids(rest: httpx.AsyncClient) -> None:
    missing = await rest.get(f"/inspector/v1/requests/{uuid4()}")
    assert (missing.status_code, missing.json()["error"]["reason"]) == (404, "CAPTURED_REQUEST_NOT_FOUND")
    assert (await rest.get("/inspector/v1/requests/nope")).status_code == 400


async def test_replay_delivers_again_and_records_a_new_request(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account, app_secret = await create_whatsapp_account(client)
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, text_payload("replay me"), app_secret)
    await post_whatsapp(http, account.id, text_payload("unsigned"), None)
    original, unsigned = await captured_since(feed, cursor, account_id=account.id)

    replayed = await feed.replay(original.id)
    assert (replayed.replay_of, replayed.verdict) == (original.id, HookVerdict.DUPLICATE)
    assert replayed.body == (await feed.get(original.id)).body and replayed.seq > unsigned.seq
    assert (await feed.replay(unsigned.id)).verdict == HookVerdict.MISSING_SIGNATURE
    verdicts = [(r.verdict, r.replay_of) for r in await captured_since(feed, cursor, account_id=account.id)]
    assert verdicts[2:] == [(HookVerdict.DUPLICATE, original.id), (HookVerdict.MISSING_SIGNATURE, unsigned.id)]


async def test_a_truncated_request_cannot_be_replayed(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account, app_secret = await create_whatsapp_account(client)
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, b"[" + b" " * (3 * 1024 * 1024) + b"]", app_secret)
    (too_large,) = await captured_since(feed, cursor, account_id=account.id)
    with pytest.raises(BadRequest):
        await feed.replay(too_large.id)


async def test_voipbin_events_are_checked_with_the_webhook_secret(
    http: httpx.AsyncClient, rest: httpx.AsyncClient, feed: FeedClient
) -> None:
    webhook_secret = (await rest.get("/v1.0/customer")).json()["webhook_secret"]
    event = compact({"type": "account_updated", "data": {"id": str(uuid4()), "name": "x"}})
    cursor = await latest_seq(feed)
    signed = await http.post(
        "/inspector/v1/voipbin-events",
        content=event,
        headers={"X-VoIPBIN-Signature": sign_voipbin_signature(webhook_secret, event)},
    )
    forged = await http.post(
        "/inspector/v1/voipbin-events",
        content=event,
        headers={"X-VoIPBIN-Signature": sign_voipbin_signature("guess", event)},
    )
    assert (signed.status_code, forged.status_code) == (200, 200)  # no access key needed
    captures = [r for r in await captured_since(feed, cursor) if r.kind == RequestKind.VOIPBIN_EVENT]
    assert [(r.verdict, r.summary.event_types) for r in captures] == [
        (HookVerdict.OK, ("account_updated",)),
        (HookVerdict.BAD_SIGNATURE, ("account_updated",)),
    ]
    assert (await feed.replay(captures[0].id)).verdict == HookVerdict.OK


async def test_the_feed_needs_the_access_key_and_valid_parameters(
    sandbox: EmbeddedBackend, rest: httpx.AsyncClient
) -> None:
    async with FeedClient(sandbox.inspector_url) as anonymous:
        with pytest.raises(Unauthenticated):
            await anonymous.poll(0)
    for params in ({"after": "x"}, {"limit": "many"}, {"wait": "soon"}, {"wait": "nan"}):
        response = await rest.get("/inspector/v1/requests", params=params)
        assert (response.status_code, response.json()["error"]["reason"]) == (400, "INVALID_REQUEST_PARAMETER")
    clamped = await rest.get("/inspector/v1/requests", params={"limit": 0, "after": -5})
    assert clamped.status_code == 200


async def test_stopping_the_backend_releases_long_polls(fresh_backend: Callable[..., EmbeddedBackend]) -> None:
    backend = fresh_backend()
    async with FeedClient(backend.inspector_url, accesskey=ACCESSKEY) as feed:
        poll = asyncio.create_task(feed.poll(0, wait=30))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await asyncio.to_thread(backend.stop)
        assert time.monotonic() - started < 2
        assert (await asyncio.wait_for(poll, timeout=5)).requests == []
    assert not backend.is_running


async def test_the_feed_client_works_over_an_injected_transport() -> None:
    captured = {
        "seq": 7,
        "id": str(uuid4()),
        "time": "2026-03-01T10:00:00.5Z",
        "method": "POST",
        "path": "/v1.0/conversation/accounts/x",
        "headers": [["content-type", "application/json"]],
        "account_id": "x",
        "kind": "message",
        "verdict": "bad_signature",
        "status": 200,
        "summary": {"sender": "16505551234", "statuses": ["wamid.1:read"], "message_count": 1},
        "body": base64.b64encode(b"{}").decode(),
        "future_field": "ignored",
    }
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/requests"):
            return httpx.Response(200, json={"result": [captured], "next": 7})
        return httpx.Response(401, json={"error": {"status": "UNAUTHENTICATED", "reason": "INVALID_CREDENTIALS"}})

    async with FeedClient(
        "http://relay.example/inspector/v1", accesskey="k", transport=httpx.MockTransport(answer)
    ) as feed:
        batch = await feed.poll(3, wait=5, account_id="x")
        with pytest.raises(Unauthenticated) as caught:
            await feed.get(uuid4())
    (request,) = batch.requests
    assert (batch.next, request.verdict, request.summary.statuses, request.body) == (
        7,
        HookVerdict.BAD_SIGNATURE,
        ("wamid.1:read",),
        b"{}",
    )
    assert request.model_dump(mode="json")["summary"]["sender"] == "16505551234"
    assert seen[0].url.params["after"] == "3" and seen[0].url.params["wait"] == "5"
    assert seen[0].headers["Cookie"] == "accesskey=k" and "k" not in str(seen[0].url)
    assert caught.value.reason == "INVALID_CREDENTIALS"
    assert json.loads(request.model_dump_json())["time"] == "2026-03-01T10:00:00.5Z"
