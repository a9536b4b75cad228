"""VoIPBIN's predicted bare 500 to a correct hub challenge (the sandbox's switch plays it): the
doctor warns that it is a known server issue instead of calling the verify token wrong."""

from __future__ import annotations

from tests.doctor.conftest import report, seeded
from tests.doctor.test_doctor_meta import SEED_SECRETS, WARN
from voipbin_tui.api.sandbox_providers import SandboxProviders
from voipbin_tui.connection import Connection


async def test_the_hub_challenge_500_is_called_a_known_server_issue(
    connection: Connection, providers: SandboxProviders
) -> None:
    await providers.set({"hook.hub_challenge_500": True})
    account = await seeded(connection, "whatsapp")
    verify = (await report(connection, account.id, SEED_SECRETS))["hook.verify_token"]
    assert verify.status is WARN and "known server issue" in verify.summary
