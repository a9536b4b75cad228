"""What `accounts list` costs when the data dir's backend already runs (issue 13: within 2x a
bare httpx script): it finds that backend without loading the backend's own code (nor the
doctor's, the feed's, the test-message workflow's or pydantic-settings), builds the models it
uses and no others, and no client loads certificate authorities for plain http."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from voipbin_tui.api.client import tls_verification
from voipbin_tui.backend.service import acquire_sandbox

# Runs `accounts list` in a fresh interpreter, then says which modules it loaded.
LIST_AND_REPORT = """
import sys
from voipbin_tui.cli import main
try:
    main(["accounts", "list", "--data-dir", sys.argv[1]])
except SystemExit as done:
    assert not done.code, done.code
from voipbin_tui.api.models import Conversation
from voipbin_tui.api.drafts import AccountDraft
loaded = sorted(
    name for name in sys.modules if name.split(".")[0] in ("starlette", "uvicorn", "textual", "pydantic_settings")
)
ours = (
    "voipbin_tui.backend.server",
    "voipbin_tui.backend.store",
    "voipbin_tui.doctor",
    "voipbin_tui.api.feed",
    "voipbin_tui.api.sandbox_providers",
    "voipbin_tui.traffic",
    "voipbin_tui.workflows.hook_test",
    "voipbin_tui.api.provider_http",
)
loaded += [name for name in ours if name in sys.modules]
built = [model.__name__ for model in (Conversation, AccountDraft) if model.__pydantic_complete__]
print("LOADED", loaded, "BUILT", built, file=sys.stderr)
"""


@pytest.mark.slow
def test_listing_on_a_running_backend_loads_no_server_code(tmp_path: Path) -> None:
    lease = acquire_sandbox(tmp_path, port=0)
    try:
        done = subprocess.run(
            [sys.executable, "-c", LIST_AND_REPORT, str(tmp_path)], capture_output=True, text=True, timeout=60
        )
    finally:
        lease.release()
    assert done.returncode == 0, done.stderr
    assert "SMS alerts" in done.stdout
    assert "LOADED [] BUILT []" in done.stderr, done.stderr


def test_plain_http_clients_load_no_certificate_authorities() -> None:
    context = tls_verification("http://127.0.0.1:8631/v1.0")
    assert isinstance(context, ssl.SSLContext)
    assert context.cert_store_stats()["x509_ca"] == 0
    # still a verifying context: if TLS were ever spoken through it, no certificate would pass
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_https_clients_keep_verifying_with_the_default_authorities() -> None:
    assert tls_verification("https://api.voipbin.net/v1.0") is True
    assert tls_verification("HTTPS://api.voipbin.net/v1.0") is True
