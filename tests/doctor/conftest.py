"""The doctor under test: a seeded sandbox on loopback (its emulated Meta and LINE included),
and a connection to it like the one the CLI and the TUI open."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

import pytest

from tests.helpers import sandbox_connection
from voipbin_tui.api import VoipbinClient
from voipbin_tui.api.models import Account
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.backend.server import EmbeddedBackend, start_embedded
from voipbin_tui.connection import Connection
from voipbin_tui.doctor import CheckResult, DoctorSecrets, run_checks

ACCESSKEY = "doctor-test-accesskey"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    backend = start_embedded(tmp_path_factory.mktemp("doctor-sandbox"), accesskey=ACCESSKEY)
    yield backend
    backend.stop()


@pytest.fixture
async def connection(sandbox: EmbeddedBackend) -> AsyncIterator[Connection]:
    async with VoipbinClient(sandbox.api_url, accesskey=sandbox.accesskey) as client:
        yield sandbox_connection(sandbox, client)


@pytest.fixture
async def providers(connection: Connection) -> AsyncIterator[SandboxProviders]:
    """The emulated providers' control, put back to the seed before and after the test."""
    control = SandboxProviders(connection.client)
    await control.reset()
    yield control
    await control.reset()


async def seeded(connection: Connection, kind: str) -> Account:
    """The seeded account of a type (``whatsapp``, ``line``, ``sms``): the oldest (tests add newer ones)."""
    return [account for account in await connection.client.list_accounts() if str(account.type) == kind][-1]


async def report(
    connection: Connection, subject: UUID | Account, secrets: DoctorSecrets | None = None, **options: Any
) -> dict[str, CheckResult]:
    """Every result of one run, by check id (and in the order they finished)."""
    return {
        result.id: result async for result in run_checks(connection, subject, secrets or DoctorSecrets(), **options)
    }
