"""Snapshots are updated on one Python version only (tests/conftest.py refuses the others)."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import pytest

from tests import conftest


def _config(update: bool) -> Any:
    """A stand-in for pytest.Config: the guard reads only getoption."""
    options = {"update_snapshots": update}
    return SimpleNamespace(getoption=lambda name, default=None: options.get(name, default))


def test_updating_snapshots_on_another_python_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "SNAPSHOT_PYTHON", (3, 99))
    with pytest.raises(pytest.UsageError, match=r"Python 3\.99 only; this is \d+\.\d+"):
        conftest.pytest_configure(_config(update=True))


def test_comparing_snapshots_works_on_any_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "SNAPSHOT_PYTHON", (3, 99))
    conftest.pytest_configure(_config(update=False))


def test_updating_on_the_pinned_python_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "SNAPSHOT_PYTHON", sys.version_info[:2])
    conftest.pytest_configure(_config(update=True))
