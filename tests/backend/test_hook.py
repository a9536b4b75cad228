"""The provider hook, driven with the shared fixtures and real signatures over the bytes sent."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tests.backend.conftest import (
    captured_since,
    create_line_account,
    create_whatsapp_account,
    fixture_bytes,
    hook_path,
    latest_seq,
    post_line,
    post_whatsapp,
)
from voipbin_tui.api import AccountDraft, AccountType, VoipbinClient
from voipbin_tui.api.feed import CapturedRequest, FeedClient
from voipbin_tui.api.models import NIL_UUID, Account
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.delivery import parse_account_id
from voipbin_tui.backend.seed import (
    SEED_PHONE_NUMBER_ID,
    SEED_WHATSAPP_ACCESS_TOKEN,
    SEED_WHATSAPP_APP_SECRET,
    SEED_WHATSAPP_VERIFY_TOKEN,
)
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.backend.store import DATABASE_FILENAME, Store
from voipbin_tui.protocols import (
    HookVerdict,
    RequestKind,
    build_status_payload,
    build_text_message_payload,
    new_wamid,
    serialize_like_meta,
    sign_hub_signature,
)

MB = 1024 * 1024


async def only_capture(feed: FeedClient, cursor: int, account_id: UUID | str) -> CapturedRequest:
    captures = await captured_since(feed, cursor, account_id=account_id)
    assert len(captures) == 1, captures
    return captures[0]


async def texts_from(client: VoipbinClient, account_id: UUID, dialog_id: str) -> list[str]:
    """The incoming texts of the conversation of ``account_id`` (NIL_UUID for LINE) with ``dialog_id``."""
    conversations = [
        c async for c in client.iter_conversations() if c.account_id == account_id and c.dialog_id == dialog_id
    ]
    if not conversations:
        return []
    assert len(conversations) == 1
    return [m.text async for m in client.iter_messages(conversations[0].id) if m.direction == "incoming"]


def delivery_state(sandbox: EmbeddedBackend, transaction_id: str) -> tuple[str, str]:
    """(status, provider_status) of a message: the provider status is stored, not exposed."""
    with sqlite3.connect(sandbox.config.data_dir / DATABASE_FILENAME) as db:
        return db.execute(
            "SELECT status, provider_status FROM messages WHERE transaction_id = ?", (transaction_id,)
        ).fetchone()


def text_payload(text: str = "hello", *, sender: str = "16505551234", wamid: str | None = None) -> bytes:
    return build_text_message_payload(
        phone_number_id=SEED_PHONE_NUMBER_ID, text=text, sender_wa_id=sender, wamid=wamid or new_wamid()
    )


async def seeded_whatsapp_account(client: VoipbinClient) -> Account:
    """The seed's WhatsApp account: the oldest one (tests make their own)."""
    accounts = [a for a in await client.list_accounts() if a.type == AccountType.WHATSAPP]
    seeded = min(accounts, key=lambda account: account.tm_create)  # type: ignore[arg-type, return-value]
    assert seeded.phone_number_id == SEED_PHONE_NUMBER_ID
    return seeded


@pytest.fixture
async def whatsapp(client: VoipbinClient) -> tuple[Account, str]:
    return await create_whatsapp_account(client)


# -- WhatsApp notifications ----------------------------------------------------------------


async def test_the_text_message_fixture_becomes_an_incoming_message(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    cursor = await latest_seq(feed)
    response = await post_whatsapp(http, account.id, fixture_bytes("whatsapp/text-message.json"), app_secret)
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["X-Request-Id"]

    capture = await only_capture(feed, cursor, account.id)
    assert (capture.kind, capture.verdict, capture.status) == (RequestKind.MESSAGE, HookVerdict.OK, 200)
    assert capture.summary.sender == "16505551234" and capture.summary.sender_name == "Sheena Nelson"
    assert capture.summary.text == "Does it come in another color?"
    assert capture.summary.wamid is not None and capture.summary.wamid.startswith("wamid.")
    assert await texts_from(client, account.id, "16505551234") == ["Does it come in another color?"]


async def test_an_escaped_unicode_body_is_checked_over_the_bytes_sent(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    escaped = text_payload("caf\u00e9 \u2615", sender="33612345678")
    assert b"caf\\u00e9 \\u2615" in escaped  # Meta escapes non-ASCII: the signature covers that
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, escaped, app_secret)
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.OK
    assert await texts_from(client, account.id, "33612345678") == ["caf\u00e9 \u2615"]

    # The same JSON value re-encoded as UTF-8 no longer matches the signature of the original.
    reencoded = json.dumps(json.loads(text_payload("caf\u00e9", sender="33600000000")), ensure_ascii=False).encode()
    cursor = await latest_seq(feed)
    response = await http.post(
        hook_path(account.id),
        content=reencoded,
        headers={"X-Hub-Signature-256": sign_hub_signature(app_secret, escaped)},
    )
    assert response.status_code == 200
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.BAD_SIGNATURE
    assert await texts_from(client, account.id, "33600000000") == []


def _batch(phone_number_id: str) -> tuple[bytes, list[tuple[str, str]]]:
    """Two entries of two changes each, every change with its own sender and message."""
    sent: list[tuple[str, str]] = []
    entries = []
    for entry_number in range(2):
        changes = []
        for change_number in range(2):
            sender, text = f"4477009{entry_number}{change_number}000", f"batch {entry_number}.{change_number}"
            sent.append((sender, text))
            value: dict[str, Any] = {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
                "contacts": [{"profile": {"name": f"Sender {sender}"}, "wa_id": sender}],
                "messages": [
                    {
                        "from": sender,
                        "id": new_wamid(),
                        "timestamp": "1750000000",
                        "type": "text",
                        "text": {"body": text},
                    }
                ],
            }
            changes.append({"value": value, "field": "messages"})
        entries.append({"id": f"10229012934039{entry_number}", "changes": changes})
    return serialize_like_meta({"object": "whatsapp_business_account", "entry": entries}), sent


async def test_a_batch_across_entries_and_changes_is_read_whole(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    body, sent = _batch(SEED_PHONE_NUMBER_ID)
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, body, app_secret)
    capture = await only_capture(feed, cursor, account.id)
    assert (capture.verdict, capture.summary.message_count) == (HookVerdict.OK, 4)
    for sender, text in sent:
        assert await texts_from(client, account.id, sender) == [text]


@pytest.mark.parametrize(
    ("signature", "verdict"),
    [
        (None, HookVerdict.MISSING_SIGNATURE),
        ("sha256=" + "0" * 64, HookVerdict.BAD_SIGNATURE),
        ("garbage", HookVerdict.BAD_SIGNATURE),
    ],
)
async def test_bad_or_missing_signatures_are_answered_200_and_drop_the_data(
    http: httpx.AsyncClient,
    feed: FeedClient,
    client: VoipbinClient,
    whatsapp: tuple[Account, str],
    signature: str | None,
    verdict: HookVerdict,
) -> None:
    account, _ = whatsapp
    body = text_payload("should not land", sender="16500000001")
    cursor = await latest_seq(feed)
    headers = {} if signature is None else {"X-Hub-Signature-256": signature}
    response = await http.post(hook_path(account.id), content=body, headers=headers)
    assert response.status_code == 200
    capture = await only_capture(feed, cursor, account.id)
    assert capture.verdict == verdict
    assert capture.summary.text == "should not land"  # who sent a refused message is shown
    assert await texts_from(client, account.id, "16500000001") == []


async def test_the_dashboard_test_is_recognised_and_not_stored(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, fixture_bytes("whatsapp/dashboard-test.json"), app_secret)
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.DASHBOARD_TEST
    assert await texts_from(client, account.id, "16315551181") == []


async def test_duplicates_by_wamid_are_skipped(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    body = text_payload("only once", sender="16500000002")
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, body, app_secret)
    await post_whatsapp(http, account.id, body, app_secret)
    verdicts = [c.verdict for c in await captured_since(feed, cursor, account_id=account.id)]
    assert verdicts == [HookVerdict.OK, HookVerdict.DUPLICATE]
    assert await texts_from(client, account.id, "16500000002") == ["only once"]


async def test_a_username_only_sender_is_known_by_their_user_id(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    user_id = "US.13491208655302741918"
    document = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": SEED_PHONE_NUMBER_ID,
                            },
                            "contacts": [{"profile": {"name": "No Number"}, "user_id": user_id}],
                            "messages": [
                                {
                                    "id": new_wamid(),
                                    "timestamp": "1750000000",
                                    "type": "text",
                                    "text": {"body": "hi, no number"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, serialize_like_meta(document), app_secret)
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.OK
    assert await texts_from(client, account.id, user_id) == ["hi, no number"]


async def test_other_message_types_are_recorded_but_not_stored(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    document = json.loads(text_payload(sender="16500000003"))
    message = document["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="image", image={"id": "1479537139650973", "mime_type": "image/jpeg", "caption": "a photo"})
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, serialize_like_meta(document), app_secret)
    capture = await only_capture(feed, cursor, account.id)
    assert (capture.verdict, capture.summary.event_types) == (HookVerdict.OK, ("image",))
    assert await texts_from(client, account.id, "16500000003") == []


async def test_statuses_move_messages_forward_only(
    sandbox: EmbeddedBackend, http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    # Sends go through the emulated Meta, which takes only its own token and number; its own
    # status webhooks are switched off, so that only the statuses posted here move the messages.
    account, app_secret = await create_whatsapp_account(
        client, token=SEED_WHATSAPP_ACCESS_TOKEN, phone_number_id=SEED_PHONE_NUMBER_ID
    )
    providers = SandboxProviders(client)
    await providers.set({"meta.app_subscribed_to_waba": False})
    try:
        await post_whatsapp(http, account.id, text_payload("start", sender="16500000004"), app_secret)
        (conversation,) = [c async for c in client.iter_conversations(account_id=account.id)]
        read_later = await client.send_message(conversation.id, "first reply")
        fails = await client.send_message(conversation.id, "second reply")
    finally:
        await providers.reset()
    with sqlite3.connect(sandbox.config.data_dir / DATABASE_FILENAME) as db:
        wamids = dict(
            db.execute("SELECT id, transaction_id FROM messages WHERE conversation_id = ?", (str(conversation.id),))
        )

    def status(message_id: UUID, state: str, **error: Any) -> bytes:
        return build_status_payload(
            phone_number_id=SEED_PHONE_NUMBER_ID,
            wamid=wamids[str(message_id)],
            status=state,
            recipient_id="16500000004",
            **error,
        )

    cursor = await latest_seq(feed)
    for body in (status(read_later.id, "read"), status(read_later.id, "delivered"), status(read_later.id, "delivered")):
        await post_whatsapp(http, account.id, body, app_secret)
    assert delivery_state(sandbox, wamids[str(read_later.id)]) == ("done", "read")  # a late delivered never wins
    verdicts = [c.verdict for c in await captured_since(feed, cursor, account_id=account.id)]
    assert verdicts == [HookVerdict.OK, HookVerdict.OK, HookVerdict.DUPLICATE]  # (wamid, status) seen twice

    await post_whatsapp(http, account.id, status(fails.id, "sent"), app_secret)
    await post_whatsapp(http, account.id, status(fails.id, "failed", error_code=131047), app_secret)
    assert delivery_state(sandbox, wamids[str(fails.id)]) == ("failed", "failed")
    statuses = {m.id: m.status async for m in client.iter_messages(conversation.id)}
    assert (statuses[read_later.id], statuses[fails.id]) == ("done", "failed")


async def test_the_status_fixtures_update_the_seeded_messages(
    sandbox: EmbeddedBackend, http: httpx.AsyncClient, client: VoipbinClient
) -> None:
    seeded = await seeded_whatsapp_account(client)
    sent_wamid = json.loads(fixture_bytes("whatsapp/status-sent.json"))["entry"][0]["changes"][0]["value"]["statuses"][
        0
    ]["id"]
    failed_wamid = json.loads(fixture_bytes("whatsapp/status-failed.json"))["entry"][0]["changes"][0]["value"][
        "statuses"
    ][0]["id"]
    await post_whatsapp(http, seeded.id, fixture_bytes("whatsapp/status-sent.json"), SEED_WHATSAPP_APP_SECRET)
    await post_whatsapp(http, seeded.id, fixture_bytes("whatsapp/status-failed.json"), SEED_WHATSAPP_APP_SECRET)
    assert delivery_state(sandbox, sent_wamid) == ("done", "read")  # seeded as read: "sent" is older news
    assert delivery_state(sandbox, failed_wamid) == ("failed", "failed")


async def test_an_account_without_app_secret_drops_everything(
    sandbox: EmbeddedBackend, http: httpx.AsyncClient, feed: FeedClient, whatsapp: tuple[Account, str]
) -> None:
    """Such accounts exist on VoIPBIN (the sandbox refuses to make one), so one is written
    straight into the database, by another connection, as another process would."""
    account, app_secret = whatsapp
    other_writer = Store.open(sandbox.config.database_path)
    try:
        with other_writer.transaction():
            stored = other_writer.get_account(account.id)
            assert stored is not None
            without_secret = {"phone_number_id": account.phone_number_id}
            other_writer.save_account(replace(stored, provider_data=without_secret))
    finally:
        other_writer.close()
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, text_payload(), app_secret)
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.NO_APP_SECRET


async def test_a_deleted_account_is_still_processed(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    await client.delete_account(account.id)
    cursor = await latest_seq(feed)
    await post_whatsapp(http, account.id, text_payload(sender="16500000005"), app_secret)
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.OK


async def test_a_signed_body_that_is_not_a_notification_is_malformed(
    http: httpx.AsyncClient, feed: FeedClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    cursor = await latest_seq(feed)
    for body in (b"{not json", b'{"object": "page", "entry": []}', "\u00e9".encode("latin-1")):
        assert (await post_whatsapp(http, account.id, body, app_secret)).status_code == 200
    captures = await captured_since(feed, cursor, account_id=account.id)
    assert [c.verdict for c in captures] == [HookVerdict.MALFORMED] * 3


# -- accounts the hook cannot serve ------------------------------------------------------------


@pytest.mark.parametrize("account_ref", ["6f1c2a9e-0b7d-4c55-9a3e-2d8f41b7c6e0", "not-a-uuid", str(NIL_UUID)])
async def test_unknown_accounts_are_recorded_and_answered_200(
    http: httpx.AsyncClient, feed: FeedClient, account_ref: str
) -> None:
    cursor = await latest_seq(feed)
    response = await post_whatsapp(http, account_ref, text_payload("to nobody"), "0" * 32)
    assert response.status_code == 200
    capture = await only_capture(feed, cursor, account_ref)
    assert (capture.verdict, capture.kind, capture.account_id) == (
        HookVerdict.UNKNOWN_ACCOUNT,
        RequestKind.MESSAGE,
        account_ref,
    )
    assert capture.summary.text == "to nobody"


async def test_an_sms_account_is_unsupported_on_the_hook(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account = await client.create_account(AccountDraft(type=AccountType.SMS, name="sms"))
    cursor = await latest_seq(feed)
    assert (await post_whatsapp(http, account.id, text_payload(), "0" * 32)).status_code == 200
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.UNSUPPORTED_ACCOUNT


# -- LINE ----------------------------------------------------------------------------------------


async def test_line_text_message_fixture_signed_and_deduplicated(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account, channel_secret = await create_line_account(client)
    body = fixture_bytes("line/text-message.json")
    cursor = await latest_seq(feed)
    await post_line(http, account.id, body, channel_secret)
    await post_line(http, account.id, body, channel_secret)  # a redelivery: same webhookEventId
    captures = await captured_since(feed, cursor, account_id=account.id)
    assert [(c.kind, c.verdict) for c in captures] == [
        (RequestKind.LINE, HookVerdict.OK),
        (RequestKind.LINE, HookVerdict.DUPLICATE),
    ]
    assert captures[0].summary.sender == "Ud871bcaf7c3ad13d2a0b0d78a42a287f"
    # As on VoIPBIN, LINE conversations do not carry the account id.
    texts = await texts_from(client, NIL_UUID, "Ud871bcaf7c3ad13d2a0b0d78a42a287f")
    assert "Hello" in texts


async def test_line_verify_follow_and_signature_failures(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account, channel_secret = await create_line_account(client)
    cursor = await latest_seq(feed)
    await post_line(http, account.id, fixture_bytes("line/verify.json"), channel_secret)
    await post_line(http, account.id, fixture_bytes("line/follow.json"), channel_secret)
    await post_line(http, account.id, fixture_bytes("line/follow.json"), None)
    await post_line(http, account.id, fixture_bytes("line/follow.json"), "another-channel-secret")
    captures = await captured_since(feed, cursor, account_id=account.id)
    assert [(c.kind, c.verdict) for c in captures] == [
        (RequestKind.LINE_VERIFY, HookVerdict.OK),
        (RequestKind.LINE, HookVerdict.OK),
        (RequestKind.LINE, HookVerdict.MISSING_SIGNATURE),
        (RequestKind.LINE, HookVerdict.BAD_SIGNATURE),
    ]
    assert all(c.status == 200 for c in captures)


# -- the GET hub challenge ---------------------------------------------------------------------


@pytest.mark.parametrize("challenge", ["1158201444", "any string/with+symbols é"])
async def test_a_good_hub_challenge_is_echoed_as_plain_text(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, challenge: str
) -> None:
    account, _ = await create_whatsapp_account(client, verify_token="the-verify-token")
    cursor = await latest_seq(feed)
    params = {"hub.mode": "subscribe", "hub.verify_token": "the-verify-token", "hub.challenge": challenge}
    response = await http.get(hook_path(account.id), params=params)
    assert (response.status_code, response.text) == (200, challenge)
    assert response.headers["content-type"].startswith("text/plain")
    capture = await only_capture(feed, cursor, account.id)
    assert (capture.kind, capture.verdict, capture.answer) == (RequestKind.VERIFY, HookVerdict.OK, challenge)


async def test_the_seeded_account_answers_its_documented_verify_token(
    http: httpx.AsyncClient, client: VoipbinClient
) -> None:
    seeded = await seeded_whatsapp_account(client)
    params = {"hub.mode": "subscribe", "hub.verify_token": SEED_WHATSAPP_VERIFY_TOKEN, "hub.challenge": "42"}
    assert (await http.get(hook_path(seeded.id), params=params)).text == "42"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "the-verify-token", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "the-verify-token"},
        {},
    ],
)
@pytest.mark.slow
async def test_a_bad_hub_challenge_is_403_not_500(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient, params: dict[str, str]
) -> None:
    account, _ = await create_whatsapp_account(client, verify_token="the-verify-token")
    cursor = await latest_seq(feed)
    response = await http.get(hook_path(account.id), params=params)
    assert (response.status_code, response.content) == (403, b"")
    capture = await only_capture(feed, cursor, account.id)
    assert (capture.kind, capture.verdict) == (RequestKind.VERIFY, HookVerdict.BAD_VERIFY_TOKEN)


async def test_challenges_for_line_and_unknown_accounts_are_refused(
    http: httpx.AsyncClient, feed: FeedClient, client: VoipbinClient
) -> None:
    account, _ = await create_line_account(client)
    params = {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
    cursor = await latest_seq(feed)
    assert (await http.get(hook_path(account.id), params=params)).status_code == 403
    assert (await only_capture(feed, cursor, account.id)).verdict == HookVerdict.UNSUPPORTED_ACCOUNT
    unknown = uuid4()
    assert (await http.get(hook_path(unknown), params=params)).status_code == 403
    assert (await only_capture(feed, cursor, unknown)).verdict == HookVerdict.UNKNOWN_ACCOUNT


# -- bodies over 3 MB ------------------------------------------------------------------------------


async def test_a_declared_body_over_3_mb_is_refused_with_413_and_recorded(
    http: httpx.AsyncClient, feed: FeedClient, whatsapp: tuple[Account, str]
) -> None:
    account, app_secret = whatsapp
    body = b'{"object":"whatsapp_business_account","entry":[' + b" " * (3 * MB) + b"]}"
    cursor = await latest_seq(feed)
    response = await post_whatsapp(http, account.id, body, app_secret)
    assert response.status_code == 413
    capture = await only_capture(feed, cursor, account.id)
    assert (capture.verdict, capture.status, capture.body_size, capture.body_complete) == (
        HookVerdict.TOO_LARGE,
        413,
        len(body),
        False,
    )
    assert (await feed.get(capture.id)).body == b""  # refused before reading: nothing of it kept


async def test_a_streamed_body_is_refused_as_soon_as_it_passes_3_mb(
    sandbox: EmbeddedBackend, feed: FeedClient, whatsapp: tuple[Account, str]
) -> None:
    """No Content-Length: the hook must stop at the limit, not wait for the end of the body
    (which never comes here: the final chunk is not sent)."""
    account, _ = whatsapp
    cursor = await latest_seq(feed)
    reader, writer = await asyncio.open_connection("127.0.0.1", sandbox.port)
    writer.write(
        f"POST {hook_path(account.id)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode("ascii")
    )
    chunk = b"x" * (256 * 1024)
    for _ in range(13):  # 3.25 MB
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    writer.close()
    assert status_line.split()[1] == b"413"
    capture = await only_capture(feed, cursor, account.id)
    assert capture.verdict == HookVerdict.TOO_LARGE and capture.body_size > 3 * MB


@pytest.mark.parametrize(
    "spelling",
    [
        "5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11",
        "5F0B4B62-7A8A-4A5E-9D53-6A3B7F3E8D11",
        "{5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11}",
        "urn:uuid:5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11",
        "5f0b4b627a8a4a5e9d536a3b7f3e8d11",
    ],
)
def test_an_account_id_is_read_in_the_spellings_voipbin_takes(spelling: str) -> None:
    assert parse_account_id(spelling) == UUID("5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d11")


@pytest.mark.parametrize(
    "ref",
    [" 5f0b4b627a8a4a5e9d536a3b7f3e8d1", "1_" * 15 + "11", "\u0661" * 32, "5f0b4b62-7a8a-4a5e-9d53-6a3b7f3e8d1\n"],
)
def test_what_only_python_reads_as_a_uuid_is_no_account_id(ref: str) -> None:
    assert parse_account_id(ref) is None
