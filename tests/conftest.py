"""Fixtures shared by every test folder: stores, blobs, the broker, speech model and audio."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.speech import SpeechRecognizer, WhisperSettings
from tests.speech import Interview, espeak_available, make_interview

POSTGRES_TEST_URL = os.environ.get("POSTGRES_TEST_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgres")


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Put the root logger back as it was after each test.

    A test that runs the CLI in-process gets ``ops.logging.configure``'s handler, which writes
    to the ``sys.stderr`` of that moment: pytest's capture of that test, closed afterwards.
    Left installed, every later log record fails ("I/O operation on closed file") and the
    error report lands in the next test's captured stderr.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated event-store backends to run the conformance suite on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_url" in metafunc.fixturenames:
        # --backends may also name read-store backends (chdb, server): keep ours only.
        chosen = [b for b in metafunc.config.getoption("--backends").split(",") if b in BACKENDS]
        metafunc.parametrize("store_url", chosen, indirect=True)


_postgres_problem: str | None = None


def _postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can (checked once per session)."""
    global _postgres_problem
    if _postgres_problem is None:
        import psycopg

        try:
            with psycopg.connect(POSTGRES_TEST_URL, connect_timeout=3):
                _postgres_problem = ""
        except psycopg.OperationalError as error:
            _postgres_problem = f"PostgreSQL not reachable at {POSTGRES_TEST_URL}: {error}"
    return _postgres_problem or None


@pytest.fixture
def sqlite_store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'events.sqlite3'}"


@pytest.fixture
def postgres_store_url() -> Iterator[str]:
    problem = _postgres_unreachable()
    if problem:
        pytest.skip(problem)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_TEST_URL}?schema={schema}"
    event_store.prepare(url)
    yield url
    with psycopg.connect(POSTGRES_TEST_URL, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def store_url(request: pytest.FixtureRequest) -> str:
    """The event-store URL of the backend this test instance runs on."""
    url: str = request.getfixturevalue(f"{request.param}_store_url")
    return url


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


@pytest.fixture
def chdb_dir(tmp_path: Path) -> Path:
    """The directory of this test's chDB read store."""
    return tmp_path / "chdb"


@pytest.fixture
def chdb_read_store(chdb_dir: Path) -> Iterator[ReadStore]:
    """A migrated chDB read store of this test's own, closed after it (chDB hosts one
    directory per process at a time)."""
    store = ReadStore.connect(f"chdb://{chdb_dir}")
    try:
        store.migrate()
        yield store
    finally:
        store.close()


@pytest.fixture
def memory_meetings(blobs: FileBlobStore) -> Meetings:
    return Meetings(env=event_store.eventsourcing_env("memory://"), blobs=blobs)


@pytest.fixture
def meetings_on(blobs: FileBlobStore) -> Iterator[object]:
    """Factory: a Meetings application on a given store URL (closed at teardown)."""
    opened: list[Meetings] = []

    def open_app(url: str) -> Meetings:
        app = Meetings(env=event_store.eventsourcing_env(url), blobs=blobs)
        opened.append(app)
        return app

    yield open_app
    for app in opened:
        app.close()


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """One real Tansu broker for the session (tests use unique meeting ids)."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture
def own_broker() -> Iterator[EmbeddedBroker]:
    """A broker of this test's own, for tests that restart or kill it."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture(scope="session")
def recognizer() -> Iterator[SpeechRecognizer]:
    # English test speech, decoded fast: the bundled English-only model.
    recognizer = SpeechRecognizer(WhisperSettings(model="tiny.en"))
    recognizer.load()
    yield recognizer
    recognizer.close()


@pytest.fixture(scope="session")
def interview() -> Interview:
    if not espeak_available():
        pytest.fail(
            "espeak-ng is not installed; `make test` installs it (apt-get install espeak-ng)"
        )
    return make_interview()
