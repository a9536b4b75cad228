"""Fitting a row of parts to a width: short forms first, then the least important parts leave."""

from voipbin_tui.tui.fitting import Part, fit_parts

PARTS = [
    Part("READ-ONLY"),
    Part("SANDBOX"),
    Part("hook http://127.0.0.1:43127/v1.0", short="hook 127.0.0.1:43127"),
    Part("scope: all accounts", short="all", priority=2),
]


def test_everything_fits() -> None:
    assert fit_parts(PARTS, 200) == "READ-ONLY · SANDBOX · hook http://127.0.0.1:43127/v1.0 · scope: all accounts"


def test_short_forms_before_anything_leaves_and_the_port_stays() -> None:
    assert fit_parts(PARTS, 50) == "READ-ONLY · SANDBOX · hook 127.0.0.1:43127 · all"


def test_droppable_parts_leave_first_what_must_stay_stays() -> None:
    assert fit_parts(PARTS, 42) == "READ-ONLY · SANDBOX · hook 127.0.0.1:43127"
    assert fit_parts(PARTS, 10) == "READ-ONLY · SANDBOX · hook 127.0.0.1:43127"  # the widget cuts, not this
