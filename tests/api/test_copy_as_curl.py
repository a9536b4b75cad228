"""Copy as curl: the command, run by bash, sends exactly the captured bytes, whatever they are.

Each generated command is run through bash against a local receiver that records what
arrived; curl is a system package (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from uuid import uuid4

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from voipbin_tui.api.feed import CapturedRequest
from voipbin_tui.protocols import HookVerdict, RequestKind
from voipbin_tui.terminal_text import unsafe_characters

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict[str, bytes], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        raw = {name.lower(): value.encode("latin-1") for name, value in self.headers.items()}
        self.received.append((self.command, self.path, raw, body))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def captured(body: bytes, signature: str = "sha256=abc") -> CapturedRequest:
    return CapturedRequest(
        seq=1,
        id=uuid4(),
        time=datetime(2026, 11, 2, tzinfo=UTC),
        method="POST",
        path="/v1.0/conversation/accounts/0f6a",
        headers=[("content-type", "application/json"), ("x-hub-signature-256", signature), ("cookie", "a=b")],
        kind=RequestKind.MESSAGE,
        verdict=HookVerdict.OK,
        status=200,
        body=base64.b64encode(body),  # the wire form: the field is Base64Bytes
        body_size=len(body),
    )


def run_copy(command: str, cwd: Path) -> tuple[str, str, dict[str, bytes], bytes]:
    _Receiver.received.clear()
    done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert len(_Receiver.received) == 1
    return _Receiver.received[0]


def check_command(command: str) -> None:
    """One printable line: nothing in it can act on the terminal it is pasted into."""
    assert unsafe_characters(command) == [], command


@pytest.mark.slow
@settings(max_examples=60)
@given(st.binary(max_size=300) | st.text(max_size=100).map(str.encode))
def test_any_body_arrives_byte_for_byte(receiver: str, tmp_path_factory: pytest.TempPathFactory, body: bytes) -> None:
    command = captured(body).to_curl(receiver)
    check_command(command)
    method, path, headers, arrived = run_copy(command, tmp_path_factory.mktemp("cwd"))
    assert (method, path, arrived) == ("POST", "/v1.0/conversation/accounts/0f6a", body)
    assert headers["x-hub-signature-256"] == b"sha256=abc"  # the signature is what is being tested
    assert "cookie" not in headers or headers["cookie"] == b"REDACTED"


def test_a_body_naming_a_local_file_sends_the_name_not_the_file(receiver: str, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("the operator's file")
    for body in (b"@secret.txt", b"@" + str(tmp_path / "secret.txt").encode(), b"@-"):
        command = captured(body).to_curl(receiver)
        assert run_copy(command, tmp_path)[3] == body


def test_nul_bytes_and_control_characters_still_run(receiver: str, tmp_path: Path) -> None:
    body = b'{"text":"a\x00b\x1b]0;PWNED\x07\xff"}'
    command = captured(body).to_curl(receiver)
    check_command(command)
    assert run_copy(command, tmp_path)[3] == body


@pytest.mark.slow
@settings(max_examples=30)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40))
@example("\xa0")  # not HTTP white space: a value of its own, not an empty header
def test_header_values_arrive_as_captured(receiver: str, tmp_path_factory: pytest.TempPathFactory, value: str) -> None:
    """Captured headers are Latin-1 decoded bytes; the copy sends those bytes back."""
    command = captured(b"{}", signature=value).to_curl(receiver)
    check_command(command)
    headers = run_copy(command, tmp_path_factory.mktemp("cwd"))[2]
    # Space and tab around a field value are not part of it (RFC 9110 5.5): receivers differ in
    # whether they keep them, and the hook (h11) never captures them.
    assert headers["x-hub-signature-256"].strip(b" \t") == value.strip(" \t").encode("latin-1")
