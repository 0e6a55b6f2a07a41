"""Fixtures of the API tests: a chDB read store of the test's own and the app built on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_analytics.projections.store import ReadStore
from tests.api_stack import ApiHarness


@pytest.fixture
def read_store(chdb_read_store: ReadStore) -> ReadStore:
    """A migrated chDB read store of this test's own."""
    return chdb_read_store


@pytest.fixture
def api(tmp_path: Path, read_store: ReadStore) -> Iterator[ApiHarness]:
    harness = ApiHarness(tmp_path, read_store)
    yield harness
    harness.close()
