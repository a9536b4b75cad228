"""A served backend answers a hook POST once the request is on disk and judges it right behind,
in a worker process: the request is durable before its answer, the feed shows it only with its
verdict, a restart judges what was left, and a worker that dies is replaced."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

import voipbin_tui.backend.judging_behind as judging_behind
from tests.backend.conftest import ACCESSKEY, hook_path
from voipbin_tui.api.feed import CapturedRequest
from voipbin_tui.backend.delivery import Delivery
from voipbin_tui.backend.seed import SEED_PHONE_NUMBER_ID, SEED_WHATSAPP_APP_SECRET
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
from voipbin_tui.backend.store import DATABASE_FILENAME, QUEUE_FILENAME, StoreError
from voipbin_tui.protocols import HookVerdict, build_text_message_payload, sign_hub_signature

pytestmark = pytest.mark.slow  # each test starts worker processes


def _whatsapp_account(backend: EmbeddedBackend) -> str:
    accounts = httpx.get(f"{backend.api_url}/conversation_accounts", cookies={"accesskey": ACCESSKEY}).json()
    return str(next(a["id"] for a in accounts["result"] if a["type"] == "whatsapp"))


def _post(backend: EmbeddedBackend, account_id: str, wamid: str, *, secret: str = SEED_WHATSAPP_APP_SECRET) -> int:
    body = build_text_message_payload(phone_number_id=SEED_PHONE_NUMBER_ID, text=f"text of {wamid}", wamid=wamid)
    headers = {"X-Hub-Signature-256": sign_hub_signature(secret, body)}
    return httpx.post(f"{backend.base_url}{hook_path(account_id)}", content=body, headers=headers).status_code


def _captured(backend: EmbeddedBackend) -> list[CapturedRequest]:
    with httpx.Client(base_url=backend.inspector_url, cookies={"accesskey": ACCESSKEY}, timeout=30) as http:
        page = http.get("/requests", params={"after": 0, "limit": 1000}).json()["result"]
    return [CapturedRequest.model_validate(item) for item in page]


def _verdicts(backend: EmbeddedBackend) -> dict[str, HookVerdict]:
    return {r.summary.wamid: r.verdict for r in _captured(backend) if r.summary.wamid}


def _messages_with(backend: EmbeddedBackend, text: str) -> list[str]:
    with httpx.Client(base_url=backend.api_url, cookies={"accesskey": ACCESSKEY}, timeout=30) as http:
        conversations = http.get("/conversations").json()["result"]
        texts = [
            message["text"]
            for conversation in conversations
            for message in http.get(f"/conversations/{conversation['id']}/messages").json()["result"]
        ]
    return [found for found in texts if found == text]


def _queued(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / QUEUE_FILENAME) as db:
        count = int(db.execute("SELECT count(*) FROM unjudged").fetchone()[0])
    db.close()
    return count


@contextmanager
def _paused(pid: int) -> Iterator[None]:
    """The worker process stopped (SIGSTOP) until the block ends."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _worker_pid(backend: EmbeddedBackend) -> int:
    assert backend.judging is not None
    deadline = time.monotonic() + 10
    while backend.judging.worker_pid is None:
        assert time.monotonic() < deadline, "no judging worker"
        time.sleep(0.01)
    return backend.judging.worker_pid


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.05)


@pytest.fixture
def behind(tmp_path: Path) -> Iterator[Callable[..., EmbeddedBackend]]:
    """Backends on one data dir that judge behind the answer (as ``serve`` does), stopped after."""
    started: list[EmbeddedBackend] = []

    def start(**overrides: object) -> EmbeddedBackend:
        settings: dict[str, object] = {"judge_behind": True}
        settings.update(overrides)
        backend = start_embedded(tmp_path, accesskey=ACCESSKEY, **settings)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


def test_a_post_is_on_disk_when_answered_and_in_the_feed_only_with_its_verdict(
    behind: Callable[..., EmbeddedBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judging_behind, "CATCH_UP_TIMEOUT", 0.5)
    backend = behind()
    account_id = _whatsapp_account(backend)
    with _paused(_worker_pid(backend)):
        assert _post(backend, account_id, "wamid.held") == 200
        assert _queued(tmp_path) == 1  # committed before the answer
        assert "wamid.held" not in _verdicts(backend)  # not shown unjudged (the feed waited, then served)
    _wait_for(lambda: "wamid.held" in _verdicts(backend), "the verdict")
    assert _verdicts(backend)["wamid.held"] == HookVerdict.OK
    assert _messages_with(backend, "text of wamid.held") == ["text of wamid.held"]
    _wait_for(lambda: _queued(tmp_path) == 0, "the judged request to leave the queue")


def test_what_the_sandbox_shows_after_the_answer_is_as_if_judged_before_it(
    behind: Callable[..., EmbeddedBackend],
) -> None:
    """A reader right after the answer waits for the judging: the conversation and the verdict
    are there, a bad signature is judged so, and a second delivery is a duplicate."""
    backend = behind()
    account_id = _whatsapp_account(backend)
    assert _post(backend, account_id, "wamid.first") == 200
    assert _messages_with(backend, "text of wamid.first") == ["text of wamid.first"]
    assert _post(backend, account_id, "wamid.forged", secret="0" * 32) == 200
    assert _post(backend, account_id, "wamid.first") == 200
    captured = _captured(backend)
    assert [(r.summary.wamid, r.verdict) for r in captured] == [
        ("wamid.first", HookVerdict.OK),
        ("wamid.forged", HookVerdict.BAD_SIGNATURE),
        ("wamid.first", HookVerdict.DUPLICATE),
    ]
    assert [r.seq for r in captured] == sorted(r.seq for r in captured)


def test_a_browser_post_and_a_challenge_are_still_judged_before_their_answer(
    behind: Callable[..., EmbeddedBackend],
) -> None:
    backend = behind()
    account_id = _whatsapp_account(backend)
    body = build_text_message_payload(phone_number_id=SEED_PHONE_NUMBER_ID, text="from a page", wamid="wamid.page")
    with _paused(_worker_pid(backend)):
        refused = httpx.post(
            f"{backend.base_url}{hook_path(account_id)}", content=body, headers={"Origin": "https://evil.example"}
        )
        challenge = httpx.get(
            f"{backend.base_url}{hook_path(account_id)}",
            params={"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"},
        )
    assert refused.status_code == 403 and challenge.status_code == 403
    verdicts = [r.verdict for r in _captured(backend)]
    assert verdicts == [HookVerdict.CROSS_SITE, HookVerdict.BAD_VERIFY_TOKEN]


@pytest.mark.parametrize("next_judges_behind", [True, False], ids=["served", "embedded"])
def test_what_a_stopped_backend_left_unjudged_is_judged_at_the_next_start(
    behind: Callable[..., EmbeddedBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    next_judges_behind: bool,
) -> None:
    monkeypatch.setattr(judging_behind, "STOP_TIMEOUT", 0.1)
    backend = behind()
    account_id = _whatsapp_account(backend)
    worker = _worker_pid(backend)
    os.kill(worker, signal.SIGSTOP)  # never judges again: stopping kills it
    wamids = [f"wamid.left-{n}" for n in range(5)]
    assert [_post(backend, account_id, wamid) for wamid in wamids] == [200] * 5
    backend.stop()
    assert _queued(tmp_path) == 5

    restarted = behind(judge_behind=next_judges_behind)
    verdicts = _verdicts(restarted)
    assert [verdicts.get(wamid) for wamid in wamids] == [HookVerdict.OK] * 5
    assert _messages_with(restarted, "text of wamid.left-4") == ["text of wamid.left-4"]
    _wait_for(lambda: _queued(tmp_path) == 0, "the judged requests to leave the queue")
    assert _post(restarted, account_id, "wamid.after") == 200  # ids go on after the leftovers
    assert _verdicts(restarted)["wamid.after"] == HookVerdict.OK


def test_a_worker_that_dies_is_replaced_and_one_that_keeps_dying_is_done_without(
    behind: Callable[..., EmbeddedBackend], caplog: pytest.LogCaptureFixture
) -> None:
    backend = behind()
    assert backend.judging is not None
    account_id = _whatsapp_account(backend)
    for death in range(judging_behind.MAX_DEATHS):
        worker = _worker_pid(backend)
        with caplog.at_level(logging.WARNING, logger="voipbin_tui.backend.judging_behind"):
            os.kill(worker, signal.SIGKILL)
            _wait_for(lambda worker=worker: backend.judging.worker_pid != worker, "the server to notice")  # type: ignore[misc, union-attr]
        assert _post(backend, account_id, f"wamid.after-death-{death}") == 200
        assert _verdicts(backend)[f"wamid.after-death-{death}"] == HookVerdict.OK
    assert backend.judging.judging_here and backend.judging.worker_pid is None
    messages = [record.getMessage() for record in caplog.records]
    assert sum("starting another" in message for message in messages) == judging_behind.MAX_DEATHS - 1
    assert any("judging in the server's own process, and trying a worker again" in message for message in messages)


def test_after_judging_in_its_own_process_for_a_while_the_server_tries_a_worker_again(
    behind: Callable[..., EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judging_behind, "MAX_DEATHS", 1)
    monkeypatch.setattr(judging_behind, "DEATH_WINDOW", 0.5)
    backend = behind()
    assert backend.judging is not None
    account_id = _whatsapp_account(backend)
    first = _worker_pid(backend)
    os.kill(first, signal.SIGKILL)
    _wait_for(lambda: backend.judging.judging_here, "the server to judge itself")  # type: ignore[union-attr]
    assert _post(backend, account_id, "wamid.judged-here-meanwhile") == 200
    assert _verdicts(backend)["wamid.judged-here-meanwhile"] == HookVerdict.OK
    _wait_for(lambda: backend.judging.worker_pid not in (None, first), "a worker again")  # type: ignore[union-attr]
    assert not backend.judging.judging_here
    assert _post(backend, account_id, "wamid.judged-by-the-worker-again") == 200
    assert _verdicts(backend)["wamid.judged-by-the-worker-again"] == HookVerdict.OK
    wamids = [r.summary.wamid for r in _captured(backend)]
    assert wamids.count("wamid.judged-here-meanwhile") == 1  # judged once, by one of them


def test_a_flood_the_judging_cannot_keep_up_with_waits_for_room_then_is_refused_not_lost(
    behind: Callable[..., EmbeddedBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judging_behind, "MAX_BACKLOG", 3)
    monkeypatch.setattr(judging_behind, "CATCH_UP_TIMEOUT", 0.5)
    backend = behind()
    account_id = _whatsapp_account(backend)
    with _paused(_worker_pid(backend)):
        assert [_post(backend, account_id, f"wamid.flood-{n}") for n in range(3)] == [200] * 3
        body = build_text_message_payload(phone_number_id=SEED_PHONE_NUMBER_ID, text="one too many", wamid="wamid.x")
        refused = httpx.post(
            f"{backend.base_url}{hook_path(account_id)}",
            content=body,
            headers={"X-Hub-Signature-256": sign_hub_signature(SEED_WHATSAPP_APP_SECRET, body)},
        )
        assert (refused.status_code, refused.headers["retry-after"]) == (503, "1")
        assert _queued(tmp_path) == 3  # the queue stays within its bound: the refused one is not in it
    _wait_for(lambda: "wamid.flood-2" in _verdicts(backend), "the judging to catch up")
    assert _post(backend, account_id, "wamid.flood-3") == 200  # room again once judged
    verdicts = _verdicts(backend)
    assert [verdicts.get(f"wamid.flood-{n}") for n in range(4)] == [HookVerdict.OK] * 4
    assert "wamid.x" not in verdicts


def test_a_request_whose_judging_fails_is_recorded_unprocessed_and_the_rest_of_its_batch_as_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import voipbin_tui.backend.recording as recording
    from voipbin_tui.backend.judging import Judgement
    from voipbin_tui.backend.store import Store, UnjudgedRequest
    from voipbin_tui.protocols.inspection import RequestSummary
    from voipbin_tui.protocols.verdicts import RequestKind

    def judge(store: Store, delivery: Delivery, account_ref: str, **_: object) -> Judgement:
        store.claim_dedupe_key(f"test:{delivery.body.decode()}", now=datetime(2026, 3, 1, tzinfo=UTC))
        if delivery.body == b"bug":
            raise RuntimeError("a bug")
        return Judgement(RequestKind.MESSAGE, HookVerdict.OK, RequestSummary.empty(), "taken", 200)

    monkeypatch.setattr(recording, "judge_in_sandbox", judge)
    store = Store.open(tmp_path / "backend.sqlite3")
    requests = [
        UnjudgedRequest(
            id=n + 1,
            capture_id=uuid4(),
            time=datetime(2026, 3, 1, tzinfo=UTC),
            account_ref="x",
            method="POST",
            path=hook_path("x"),
            query="",
            headers=(),
            body=body,
            body_size=len(body),
            body_complete=True,
        )
        for n, body in enumerate([b"one", b"bug", b"three"])
    ]
    with store.transaction():
        batch = recording.judge_unjudged(store, requests, new_id=uuid4)
    captures = store.captures_after(0, limit=10).captures
    assert [c.verdict for c in captures] == [HookVerdict.OK, HookVerdict.MALFORMED, HookVerdict.OK]
    assert "RuntimeError" in (store.get_capture(captures[1].id) or captures[1]).explanation
    assert (batch.last_id, batch.first_seq, batch.last_seq) == (3, captures[0].seq, captures[2].seq)
    assert store.judged_up_to() == 3
    # the failed request's own changes were undone, the others' kept
    assert not store.claim_dedupe_key("test:one", now=datetime(2026, 3, 1, tzinfo=UTC))
    assert store.claim_dedupe_key("test:bug", now=datetime(2026, 3, 1, tzinfo=UTC))
    store.close()


def test_the_backend_serves_once_its_worker_is_ready_so_the_first_post_is_judged_at_once(
    behind: Callable[..., EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judging_behind, "CATCH_UP_TIMEOUT", 0.3)  # far less than a worker's start
    backend = behind()
    account_id = _whatsapp_account(backend)
    assert _post(backend, account_id, "wamid.first-after-start") == 200
    assert _verdicts(backend).get("wamid.first-after-start") == HookVerdict.OK


def test_a_worker_that_does_not_start_in_time_leaves_the_judging_to_the_server(
    behind: Callable[..., EmbeddedBackend], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(judging_behind, "START_TIMEOUT", 0.001)
    monkeypatch.setattr(judging_behind, "STOP_TIMEOUT", 0.1)
    with caplog.at_level(logging.ERROR, logger="voipbin_tui.backend.judging_behind"):
        backend = behind()
    assert backend.judging is not None and backend.judging.judging_here and backend.judging.worker_pid is None
    assert any("did not start within" in record.getMessage() for record in caplog.records)
    account_id = _whatsapp_account(backend)
    assert _post(backend, account_id, "wamid.judged-here") == 200
    assert _verdicts(backend)["wamid.judged-here"] == HookVerdict.OK


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _committed_without_report(data_dir: Path) -> None:
    """What a worker killed between its COMMIT and its report leaves: the database says one
    more request is judged than the server was told."""
    with sqlite3.connect(data_dir / DATABASE_FILENAME) as db:
        db.execute("UPDATE judged_up_to SET unjudged_id = unjudged_id + 1")
    db.close()


@pytest.mark.parametrize("deaths_left", [2, 0], ids=["replaced", "then-judged-here"])
def test_a_batch_committed_and_never_reported_leaves_the_server_neither_spinning_nor_stuck(
    behind: Callable[..., EmbeddedBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    deaths_left: int,
) -> None:
    monkeypatch.setattr(judging_behind, "MAX_DEATHS", deaths_left + 1)
    backend = behind()
    assert backend.judging is not None
    account_id = _whatsapp_account(backend)
    assert _post(backend, account_id, "wamid.one") == 200
    _wait_for(lambda: "wamid.one" in _verdicts(backend), "the first verdict")
    worker = _worker_pid(backend)
    os.kill(worker, signal.SIGSTOP)
    assert _post(backend, account_id, "wamid.lost-report") == 200
    _committed_without_report(tmp_path)
    with caplog.at_level(logging.ERROR):
        os.kill(worker, signal.SIGKILL)
        _wait_for(lambda: backend.judging.worker_pid != worker, "the server to notice")  # type: ignore[union-attr]
        time.sleep(2.0)  # a replacement is started and ready
        started = time.monotonic()
        httpx.get(f"{backend.api_url}/conversation_accounts", cookies={"accesskey": ACCESSKEY}, timeout=30)
        assert time.monotonic() - started < 1.0  # nothing left to wait for
        if deaths_left:
            replacement = _worker_pid(backend)
            before = _cpu_seconds(replacement)
            time.sleep(1.0)
            assert _cpu_seconds(replacement) - before < 0.2  # not woken again and again
        assert _post(backend, account_id, "wamid.after") == 200
        assert _verdicts(backend).get("wamid.after") == HookVerdict.OK
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and "stopped" not in r.getMessage()]


def test_a_post_judged_before_its_answer_comes_after_the_ones_answered_before_it(
    behind: Callable[..., EmbeddedBackend],
) -> None:
    backend = behind()
    account_id = _whatsapp_account(backend)
    worker = _worker_pid(backend)
    os.kill(worker, signal.SIGSTOP)
    try:
        assert _post(backend, account_id, "wamid.queued") == 200
        body = build_text_message_payload(phone_number_id=SEED_PHONE_NUMBER_ID, text="page", wamid="wamid.page")
        with httpx.Client(timeout=30) as http, concurrent.futures.ThreadPoolExecutor(1) as pool:
            refused = pool.submit(
                http.post,
                f"{backend.base_url}{hook_path(account_id)}",
                content=body,
                headers={"Origin": "https://x.example"},
            )
            time.sleep(0.3)
            assert not refused.done()  # it waits for the one answered before it
            os.kill(worker, signal.SIGCONT)
            assert refused.result().status_code == 403
    finally:
        os.kill(worker, signal.SIGCONT)
    assert [(r.summary.wamid, r.verdict) for r in _captured(backend)] == [
        ("wamid.queued", HookVerdict.OK),
        (None, HookVerdict.CROSS_SITE),  # a browser's POST is not read
    ]


def test_a_worker_that_hangs_is_replaced(
    behind: Callable[..., EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judging_behind, "WORKER_HANG_SECONDS", 0.5)
    backend = behind()
    account_id = _whatsapp_account(backend)
    hung = _worker_pid(backend)
    os.kill(hung, signal.SIGSTOP)  # alive, and silent
    assert _post(backend, account_id, "wamid.behind-a-hung-worker") == 200
    assert _verdicts(backend).get("wamid.behind-a-hung-worker") == HookVerdict.OK
    assert _worker_pid(backend) != hung


def test_a_queue_file_that_is_not_a_database_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / QUEUE_FILENAME).write_bytes(os.urandom(8192))
    for judge_behind in (True, False):  # served, or embedded with what a served one left
        with pytest.raises(StoreError) as refused:
            start_embedded(tmp_path, accesskey=ACCESSKEY, judge_behind=judge_behind)
        message = str(refused.value)
        assert "\n" not in message and str(tmp_path / QUEUE_FILENAME) in message
        assert "is not a voipbin-tui database" in message and "move it away" in message
