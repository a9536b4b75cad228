"""The relay workflow: the feed at a profile's inspector_url gets the relay's own key, never
the VoIPBIN access key, and a refused key is explained in the pane.

The "relay" is a stand-in feed on loopback that records every header it is sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from tests.tui.conftest import screen_text, toasts, wait_for_accounts, wait_until
from voipbin_tui.api.errors import Unauthenticated
from voipbin_tui.api.feed import FeedClient
from voipbin_tui.backend.server import EmbeddedBackend
from voipbin_tui.cli import main
from voipbin_tui.config import ConfigFile, Profile, resolve_target, save_config
from voipbin_tui.connection import open_connection
from voipbin_tui.tui.app import VoipbinApp

pytestmark = pytest.mark.slow  # each drives the app with Pilot against a relay

RELAY_KEY = "the-relays-own-key"


class StandInFeed:
    """A feed that accepts only ``RELAY_KEY`` and remembers what each request carried."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                seen.append(str(self.headers) + self.path)
                allowed = f"accesskey={RELAY_KEY}" in (self.headers.get("Cookie") or "")
                body = json.dumps({"result": [], "next": 0} if allowed else {"message": "unauthorized"}).encode()
                self.send_response(200 if allowed else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/inspector/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def relay_feed() -> Iterator[StandInFeed]:
    feed = StandInFeed()
    yield feed
    feed.close()


def profile_config(sandbox: EmbeddedBackend, relay_feed: StandInFeed, **profile: object) -> ConfigFile:
    fields = {"api_url": sandbox.api_url, "inspector_url": relay_feed.url, **profile}
    return ConfigFile(default_profile="ops", profiles={"ops": Profile.model_validate(fields)})


async def test_the_voipbin_key_is_never_sent_to_the_inspector(
    sandbox: EmbeddedBackend, relay_feed: StandInFeed
) -> None:
    voipbin_key = sandbox.accesskey.get_secret_value()
    with_relay_key = profile_config(
        sandbox, relay_feed, accesskey=voipbin_key, inspector_accesskey=SecretStr(RELAY_KEY)
    )
    async with open_connection(resolve_target(config=with_relay_key)) as connection:
        async with FeedClient(connection.inspector_url, accesskey=connection.feed_accesskey) as feed:
            assert await feed.latest_cursor() == 0
    without = profile_config(sandbox, relay_feed, accesskey=voipbin_key)
    async with open_connection(resolve_target(config=without)) as connection:
        async with FeedClient(connection.inspector_url, accesskey=connection.feed_accesskey) as feed:
            with pytest.raises(Unauthenticated):
                await feed.latest_cursor()
    assert len(relay_feed.seen) == 2
    assert all(voipbin_key not in request for request in relay_feed.seen)


async def test_a_refused_key_is_explained_in_the_pane(sandbox: EmbeddedBackend, relay_feed: StandInFeed) -> None:
    voipbin_key = sandbox.accesskey.get_secret_value()
    target = resolve_target(config=profile_config(sandbox, relay_feed, accesskey=voipbin_key))
    app = VoipbinApp(lambda: open_connection(target))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_accounts(pilot)
        await wait_until(pilot, lambda: "refused its access key" in screen_text(pilot))
        assert "config set-profile ops --inspector-accesskey -" in " ".join(toasts(app))
    assert relay_feed.seen and all(voipbin_key not in request for request in relay_feed.seen)


async def test_a_profile_that_logs_in_with_a_username_follows_a_relay(
    sandbox: EmbeddedBackend, relay_feed: StandInFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOIPBIN_PASSWORD", sandbox.accesskey.get_secret_value())
    config = profile_config(sandbox, relay_feed, username="sandbox", inspector_accesskey=SecretStr(RELAY_KEY))
    app = VoipbinApp(lambda: open_connection(resolve_target(config=config)))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_accounts(pilot)
        await wait_until(pilot, lambda: "nothing yet" in screen_text(pilot))
    assert relay_feed.seen and all(f"accesskey={RELAY_KEY}" in request for request in relay_feed.seen)


def test_send_test_through_a_relay_that_refuses_the_key_still_sends_and_says_how_to_fix_it(
    sandbox: EmbeddedBackend, relay_feed: StandInFeed, isolated_environment: Path
) -> None:
    voipbin_key = sandbox.accesskey.get_secret_value()
    save_config(
        profile_config(sandbox, relay_feed, accesskey=voipbin_key), isolated_environment / "config" / "config.toml"
    )
    whatsapp = json.loads(CliRunner().invoke(main, ["accounts", "list", "--type", "whatsapp", "--json"]).stdout)[0]
    result = CliRunner().invoke(main, ["hook", "send-test", whatsapp["id"], "--yes"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "(signed): 200" in result.stdout
    assert "refused its access key" in result.stderr and "--inspector-accesskey -" in result.stderr
    assert all(voipbin_key not in request for request in relay_feed.seen)
