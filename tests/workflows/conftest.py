"""Workflows run against a real sandbox backend over loopback HTTP, through a real Connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from voipbin_tui.api import VoipbinClient
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
from voipbin_tui.config import SandboxTarget
from voipbin_tui.connection import Connection


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    started = start_embedded(tmp_path_factory.mktemp("sandbox"))
    yield started
    started.stop()


@pytest.fixture
async def connection(backend: EmbeddedBackend) -> AsyncIterator[Connection]:
    """What ``open_connection`` yields for a sandbox, aimed at the module's backend."""
    async with VoipbinClient(backend.api_url, accesskey=backend.accesskey) as client:
        yield Connection(
            client=client,
            target=SandboxTarget(Path("/sandbox")),
            hook_base_url=backend.hook_url,
            inspector_url=backend.inspector_url,
            feed_accesskey=backend.accesskey,
            local_hook_base_url=backend.local_hook_url,
        )
