"""How verdicts read in the inspector and the CLI: an unchecked signature is its own mark,
neither among the problems nor among the accepted."""

from __future__ import annotations

from uuid import uuid4

from voipbin_tui.api.feed import CapturedRequest
from voipbin_tui.protocols import HookVerdict
from voipbin_tui.traffic import is_problem, row_from_capture, verdict_label


def _capture(verdict: HookVerdict) -> CapturedRequest:
    return CapturedRequest.model_validate(
        {
            "seq": 1,
            "id": str(uuid4()),
            "time": "2026-03-01T10:00:00Z",
            "method": "POST",
            "path": "/v1.0/conversation/accounts/x",
            "kind": "line",
            "verdict": verdict.value,
            "status": 200,
        }
    )


def test_an_unchecked_signature_is_neither_a_problem_nor_accepted() -> None:
    assert verdict_label(HookVerdict.UNCHECKED) == "○ unchecked"
    assert not is_problem(HookVerdict.UNCHECKED)
    row = row_from_capture(_capture(HookVerdict.UNCHECKED))
    assert not row.is_problem and not row.is_ok
    assert row_from_capture(_capture(HookVerdict.MISSING_SIGNATURE)).is_problem
