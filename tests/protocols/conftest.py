"""Fixtures shared by the protocol tests: where the providers' example payloads live."""

from pathlib import Path

import pytest


@pytest.fixture
def fixtures_dir(fixtures_root: Path) -> Path:
    """The providers' own documentation payloads (``tests/fixtures``)."""
    return fixtures_root
