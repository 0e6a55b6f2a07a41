"""The read-store conformance suite runs on every backend: chDB and a ClickHouse server.

``read_store`` is parametrised over the backends named by ``--backends`` (when it names
``chdb`` or ``server``; both otherwise). chDB always runs: each test gets its own directory
(``chdb_read_store``, closed after the test).
The server runs when ``CLICKHOUSE_TEST_URL`` (``http://user:password@host:8123``) is set,
each test in a database of its own, dropped afterwards; without it those tests skip and
say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.projections.store import ReadStore

READ_BACKENDS = ("chdb", "server")
CLICKHOUSE_TEST_URL = os.environ.get("CLICKHOUSE_TEST_URL", "")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "read_store" in metafunc.fixturenames:
        named = [b for b in str(metafunc.config.getoption("--backends")).split(",") if b]
        chosen = [b for b in named if b in READ_BACKENDS] or list(READ_BACKENDS)
        metafunc.parametrize("read_store", chosen, indirect=True)


@pytest.fixture
def read_store(request: pytest.FixtureRequest) -> Iterator[ReadStore]:
    """A migrated, empty read store on the backend this test instance runs on."""
    if request.param == "chdb":
        yield request.getfixturevalue("chdb_read_store")
        return
    if not CLICKHOUSE_TEST_URL:
        pytest.skip("ClickHouse server backend: CLICKHOUSE_TEST_URL is not set")
    store = ReadStore.connect(CLICKHOUSE_TEST_URL, database=f"t_{uuid.uuid4().hex[:12]}")
    try:
        store.migrate()
        yield store
    finally:
        store.drop_database()
        store.close()


@pytest.fixture
def app(memory_meetings: Meetings) -> Meetings:
    return memory_meetings
