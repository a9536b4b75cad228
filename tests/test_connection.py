"""The TUI's opener: a retry (R) after a failed sandbox start looks again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voipbin_tui.backend.server import start_embedded
from voipbin_tui.backend.service import RuntimeRecord, write_record
from voipbin_tui.config import SandboxTarget
from voipbin_tui.connection import SandboxUnavailable, connection_opener


@pytest.mark.slow
async def test_a_retry_after_a_failed_start_looks_for_the_backend_again(tmp_path: Path) -> None:
    in_the_way = start_embedded(tmp_path, seed=False)
    write_record(tmp_path, RuntimeRecord(pid=os.getpid(), port=in_the_way.port, nonce="relay", relay=True))
    opener = connection_opener(SandboxTarget(tmp_path, port=0))
    with pytest.raises(SandboxUnavailable, match="used by a relay"):
        async with opener():
            pass
    in_the_way.stop()  # the user stops the relay, then presses R
    async with opener() as connection:
        assert connection.owns_sandbox
        assert len(await connection.client.list_flows()) == 0
