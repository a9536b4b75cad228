"""Fixtures shared by the protocol tests: where the providers' example payloads live."""

from pathlib import Path

import pytest


@pytest.fixture
def fixtures_dir(shared_fixtures: Path) -> Path:
    """The providers' own documentation payloads (``../shared/fixtures``)."""
    return shared_fixtures
