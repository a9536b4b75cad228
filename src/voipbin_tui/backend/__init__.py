"""The embedded backend: a sandbox VoIPBIN, the provider hook, and the captured-traffic feed.

One Starlette app on uvicorn, stored in SQLite under the data dir. Start it with
``start_embedded`` (in-process, for the TUI and tests) or ``run_server`` (``voipbin-tui
serve``); then talk to it over HTTP like any VoIPBIN. Never imports Textual.
"""

from voipbin_tui.backend.app import create_app
from voipbin_tui.backend.config import BackendConfig, RelayConfig
from voipbin_tui.backend.seed import SEED_PHONE_NUMBER_ID, SEED_WHATSAPP_VERIFY_TOKEN
from voipbin_tui.backend.server import (
    BackendStartError,
    EmbeddedBackend,
    load_or_create_accesskey,
    run_server,
    start_embedded,
)

__all__ = [
    "SEED_PHONE_NUMBER_ID",
    "SEED_WHATSAPP_VERIFY_TOKEN",
    "BackendConfig",
    "BackendStartError",
    "EmbeddedBackend",
    "RelayConfig",
    "create_app",
    "load_or_create_accesskey",
    "run_server",
    "start_embedded",
]
