"""Fixtures of the API tests: a chDB read store of the test's own and the app built on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_analytics.projections.store import ReadStore
from tests.api_stack import ApiHarness


@pytest.fixture
def read_store(tmp_path: Path) -> Iterator[ReadStore]:
    """A migrated chDB read store of this test's own (chDB: one directory at a time)."""
    store = ReadStore.connect(f"chdb://{tmp_path / 'chdb'}")
    try:
        store.migrate()
        yield store
    finally:
        store.close()


@pytest.fixture
def api(tmp_path: Path, read_store: ReadStore) -> Iterator[ApiHarness]:
    harness = ApiHarness(tmp_path, read_store)
    yield harness
    harness.close()
