"""A small circuit breaker: after ``failure_threshold`` consecutive failures it opens and
refuses calls for ``reset_timeout_sec``; then one trial call (half-open) decides.

Must not: sleep or do I/O; it only reads its clock (injectable, for tests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout_sec: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_timeout_sec = reset_timeout_sec
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False
        self._lock = asyncio.Lock()

    @property
    def state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.reset_timeout_sec
        ):
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def failures(self) -> int:
        return self._failures

    def snapshot(self) -> dict[str, str]:
        """The breaker as strings, for a health view's ``details``."""
        return {
            "circuit_state": self.state.value,
            "consecutive_failures": str(self._failures),
            "failure_threshold": str(self.failure_threshold),
        }

    async def allow(self) -> bool:
        """Whether a call may go now; in half-open only one trial call at a time."""
        async with self._lock:
            state = self.state
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.OPEN or self._trial_running:
                return False
            self._state = BreakerState.HALF_OPEN
            self._trial_running = True
            return True

    async def record_success(self) -> None:
        async with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._trial_running = False

    async def record_failure(self) -> None:
        async with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.failure_threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
            self._trial_running = False
