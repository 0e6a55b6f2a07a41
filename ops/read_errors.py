"""Read-store failures as the front door's ports name them (shared by the API adapters).

Must not: swallow a read-store error; each becomes the port's error with its cause.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from interview_analytics.http.ports import DependencyUnavailableError, InvalidCursorError
from interview_analytics.projections import queries as read_queries
from interview_analytics.projections.store import ReadStoreError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def read_errors() -> Iterator[None]:
    try:
        yield
    except read_queries.InvalidCursorError as error:
        raise InvalidCursorError(str(error)) from None
    except ReadStoreError as error:
        log.warning("read store failed: %s", error)
        raise DependencyUnavailableError("clickhouse", "the read store failed") from error
