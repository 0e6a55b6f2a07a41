"""Prometheus metrics of the SberJazz connector (served by the reconciliation worker, or by
the API process that hosts it in the embedded layout, and by the API for admin calls).

Must not: register into the default registry (each process passes its own).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from interview_analytics.connectors.sberjazz.breaker import BreakerState

# Gauge values of the circuit breaker, in order of severity (alert: > 0 for long = unwell).
BREAKER_LEVEL = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class ConnectorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sessions = Gauge(
            "sberjazz_sessions",
            "Connector sessions by state (sampled by each reconciliation pass).",
            ["state"],
            registry=registry,
        )
        self.healthy = Gauge(
            "sberjazz_connector_healthy",
            "1 when the last platform health check succeeded, else 0.",
            registry=registry,
        )
        self.circuit_state = Gauge(
            "sberjazz_circuit_state",
            "Circuit breaker towards the platform: 0 closed, 1 half-open, 2 open.",
            registry=registry,
        )
        self.calls = Counter(
            "sberjazz_calls",
            "Connector operations (join, leave, reconnect) by result (ok, or an error kind).",
            ["operation", "result"],
            registry=registry,
        )
        self.reconnects = Counter(
            "sberjazz_reconnects",
            "Reconnect attempts of dropped or stale sessions, by result (ok, failed).",
            ["result"],
            registry=registry,
        )
        self.live_pulls = Counter(
            "sberjazz_live_pulls",
            "Live-chunks pulls by result (chunks, empty, or an error kind).",
            ["result"],
            registry=registry,
        )
        self.live_chunks = Counter(
            "sberjazz_live_chunks",
            "Live audio chunks pulled and handed to the chunk path, by outcome "
            "(accepted, duplicate, rejected).",
            ["outcome"],
            registry=registry,
        )
        self.reconcile_runs = Counter(
            "sberjazz_reconcile_runs",
            "Reconciliation passes by result (ok, failed).",
            ["result"],
            registry=registry,
        )
        self.reconcile_last_stale = Gauge(
            "sberjazz_reconcile_stale_sessions",
            "Stale sessions the last reconciliation pass found.",
            registry=registry,
        )

    def observe_breaker(self, state: BreakerState) -> None:
        self.circuit_state.set(BREAKER_LEVEL[state])
