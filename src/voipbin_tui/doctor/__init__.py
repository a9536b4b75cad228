"""The account doctor: named checks that prove an account can receive, from VoIPBIN through
Meta or LINE and back. Textual-free; the CLI and the TUI are thin callers of ``run_checks``.

Public API (kept stable for the report screen): ``CheckStatus``, ``CheckResult``,
``PlannedCheck``, ``DoctorSecrets``, ``EndToEnd``, ``planned_checks``, ``secrets_needed``,
``run_checks``, ``report_json`` and ``tally``.
"""

from voipbin_tui.doctor.catalogue import CHECK_TITLES, planned_checks, secret_prompt, secrets_needed
from voipbin_tui.doctor.report import CheckResult, CheckStatus, PlannedCheck, report_json, tally
from voipbin_tui.doctor.runner import EndToEnd, run_checks
from voipbin_tui.doctor.secrets import DoctorSecrets

__all__ = [
    "CHECK_TITLES",
    "CheckResult",
    "CheckStatus",
    "DoctorSecrets",
    "EndToEnd",
    "PlannedCheck",
    "planned_checks",
    "report_json",
    "run_checks",
    "secret_prompt",
    "secrets_needed",
    "tally",
]
