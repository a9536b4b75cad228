"""Workflows run against a real sandbox backend over loopback HTTP, through a real Connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.helpers import sandbox_connection
from voipbin_tui.api import VoipbinClient
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
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
        yield sandbox_connection(backend, client)
