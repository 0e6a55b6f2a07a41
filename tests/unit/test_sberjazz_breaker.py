"""The circuit breaker: closed → open after N failures → half-open after the timeout."""

from __future__ import annotations

from interview_analytics.connectors.sberjazz.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_opens_after_threshold_and_refuses_calls() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_sec=10, clock=clock)
    for _ in range(2):
        assert await breaker.allow()
        await breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    await breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not await breaker.allow()
    assert breaker.snapshot()["circuit_state"] == "open"


async def test_success_resets_the_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=Clock())
    await breaker.record_failure()
    await breaker.record_success()
    await breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


async def test_half_open_allows_one_trial_and_success_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_sec=5, clock=clock)
    await breaker.record_failure()
    clock.now = 5
    assert breaker.state is BreakerState.HALF_OPEN
    assert await breaker.allow()
    assert not await breaker.allow()  # one trial at a time
    await breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert await breaker.allow()


async def test_failed_trial_reopens() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_sec=5, clock=clock)
    await breaker.record_failure()
    clock.now = 6
    assert await breaker.allow()
    await breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now = 10
    assert breaker.state is BreakerState.OPEN
    clock.now = 11
    assert breaker.state is BreakerState.HALF_OPEN
