"""One sandbox backend per data dir: found through its runtime file, shared, never doubled.

Ports are always ones the test picked (a free one, or 0): never the fixed 8631.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import free_port
from voipbin_tui.backend.server import BackendStartError, start_embedded
from voipbin_tui.backend.service import (
    RUNTIME_FILENAME,
    RuntimeRecord,
    SandboxLease,
    acquire_sandbox,
    read_record,
    write_record,
)


@pytest.fixture
def leases() -> Iterator[list[SandboxLease]]:
    taken: list[SandboxLease] = []
    yield taken
    for lease in reversed(taken):
        lease.release()


def customer_answers(lease: SandboxLease) -> int:
    return httpx.get(f"{lease.api_url}/customer", cookies={"accesskey": lease.accesskey.get_secret_value()}).status_code


def test_a_second_user_shares_the_running_backend_and_leaves_it_running(
    tmp_path: Path, leases: list[SandboxLease]
) -> None:
    owner = acquire_sandbox(tmp_path, port=0)
    leases.append(owner)
    record_path = tmp_path / RUNTIME_FILENAME
    assert stat.S_IMODE(record_path.stat().st_mode) == 0o600
    assert read_record(tmp_path).port == owner.record.port

    user = acquire_sandbox(tmp_path, port=0)
    assert (owner.owned, user.owned) == (True, False)
    assert user.base_url == owner.base_url and user.hook_url == owner.hook_url
    user.release()
    assert customer_answers(owner) == 200  # the user's exit did not stop the owner's backend

    owner.release()
    assert not record_path.exists()  # removed on a clean stop
    with pytest.raises(httpx.ConnectError):
        customer_answers(owner)


def test_the_configured_port_is_used_and_a_taken_one_falls_back_with_a_notice(
    tmp_path: Path, leases: list[SandboxLease]
) -> None:
    port = free_port()
    first = acquire_sandbox(tmp_path / "a", port=port)
    assert first.base_url == f"http://127.0.0.1:{port}" and first.notice is None
    first.release()

    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", port))
        other_program.listen()
        second = acquire_sandbox(tmp_path / "b", port=port)
        leases.append(second)
        assert second.record.port != port
        assert f"port {port} is taken" in second.notice and second.base_url in second.notice
        assert customer_answers(second) == 200


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_runtime_files_are_ignored(tmp_path: Path, leases: list[SandboxLease]) -> None:
    port = free_port()
    write_record(tmp_path, RuntimeRecord(pid=dead_pid(), port=port, nonce="gone"))
    lease = acquire_sandbox(tmp_path, port=port)
    leases.append(lease)
    assert lease.owned and read_record(tmp_path).nonce == lease.record.nonce
    lease.release()

    # a live process, but nothing on its port any more
    write_record(tmp_path, RuntimeRecord(pid=os.getpid(), port=free_port(), nonce="x"))
    again = acquire_sandbox(tmp_path, port=0)
    leases.append(again)
    assert again.owned and read_record(tmp_path).nonce == again.record.nonce


def test_a_backend_of_another_data_dir_is_not_mistaken_for_ours(tmp_path: Path, leases: list[SandboxLease]) -> None:
    with start_embedded(tmp_path / "other", accesskey="someone-elses-key", seed=False) as other:
        (tmp_path / "ours").mkdir()
        write_record(tmp_path / "ours", RuntimeRecord(pid=os.getpid(), port=other.port, nonce="n"))
        lease = acquire_sandbox(tmp_path / "ours", port=0)
        leases.append(lease)
        assert lease.owned and lease.base_url != other.base_url


def test_a_corrupt_runtime_file_is_ignored(tmp_path: Path, leases: list[SandboxLease]) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / RUNTIME_FILENAME).write_text("{not json")
    lease = acquire_sandbox(tmp_path, port=0)
    leases.append(lease)
    assert lease.owned
    assert json.loads((tmp_path / RUNTIME_FILENAME).read_text())["port"] == lease.record.port


def test_processes_starting_at_once_start_one_backend(tmp_path: Path, leases: list[SandboxLease]) -> None:
    results: list[SandboxLease] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        results.append(acquire_sandbox(tmp_path, port=0))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    leases.extend(sorted(results, key=lambda lease: lease.owned))  # the owner is released last
    assert len(results) == 4
    assert sum(lease.owned for lease in results) == 1
    assert len({lease.base_url for lease in results}) == 1


def test_a_relay_on_the_data_dir_is_not_used_as_the_sandbox(tmp_path: Path) -> None:
    with start_embedded(tmp_path, seed=False) as relay_like:
        write_record(tmp_path, RuntimeRecord(pid=os.getpid(), port=relay_like.port, nonce="r", relay=True))
        with pytest.raises(BackendStartError, match="used by a relay"):
            acquire_sandbox(tmp_path, port=0)


def test_a_runtime_record_and_a_lease_never_show_the_key_they_carry(tmp_path: Path) -> None:
    record = RuntimeRecord(pid=1, port=8631, accesskey="given-serve-key")
    lease = SandboxLease(tmp_path, record.base_url, SecretStr("given-serve-key"), record)
    assert "given-serve-key" not in repr(record) + repr(lease) + str(lease)
    write_record(tmp_path, record)
    assert read_record(tmp_path) == record  # still kept for the next process on the data dir
