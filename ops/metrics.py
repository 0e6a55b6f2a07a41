"""Prometheus metrics of the long-lived processes (scraped from each process's port).

Names follow ``ia_<subsystem>_<what>_<unit>``; counters end in ``_total``. The relay's
figures are read from its ``RelayStats`` at scrape time, so the hot path only updates
plain attributes.

Must not: do work at scrape time beyond reading counters, or name metrics outside
``ia_<subsystem>_<what>_<unit>`` (the older dashboards' ``agent_queue_*`` names are kept on
purpose).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from interview_analytics.streams.contract.groups import group_of
from interview_analytics.streams.contract.topics import MEETING_EVENTS
from interview_analytics.streams.dead_letters import FAILED, REJECTED
from interview_analytics.streams.idle_finisher import IdleFinisher
from interview_analytics.streams.pipeline import FAILED_OUTCOME, REJECTED_OUTCOME
from interview_analytics.streams.relay import Relay


class RelayCollector(Collector):
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def collect(self) -> Iterator[Metric]:
        stats = self.relay.stats
        topic = self.relay.config.topic
        labels = ["topic"]

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(name, doc, labels=labels)
            family.add_metric([topic], value)
            return family

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            family = CounterMetricFamily(name, doc, labels=labels)
            family.add_metric([topic], value)
            return family

        yield gauge(
            "ia_relay_position", "Last notification id the broker acknowledged.", stats.position
        )
        yield gauge(
            "ia_relay_store_head", "Highest notification id in the event store.", stats.head
        )
        yield gauge("ia_relay_backlog_events", "Events stored but not yet relayed.", stats.backlog)
        yield counter("ia_relay_published_events", "Events published.", stats.published_total)
        yield counter("ia_relay_batches", "Batches published.", stats.batches_total)
        yield counter(
            "ia_relay_batch_seconds", "Time spent publishing batches.", stats.batch_seconds_total
        )
        yield counter("ia_relay_errors", "Publish errors (retried).", stats.errors_total)
        yield counter(
            "ia_relay_broker_resets", "Times the broker was found replaced.", stats.broker_resets
        )


def serve_relay_metrics(relay: Relay, port: int, host: str = "0.0.0.0") -> CollectorRegistry:  # noqa: S104
    """Expose the relay's metrics on ``host:port`` (a daemon thread); returns the registry."""
    registry = CollectorRegistry()
    registry.register(RelayCollector(relay))
    start_http_server(port, addr=host, registry=registry)
    return registry


class LifecycleCollector(Collector):
    """The lifecycle worker's idle finisher, read from its ``IdleFinisherStats``."""

    def __init__(self, finisher: IdleFinisher) -> None:
        self.finisher = finisher

    def collect(self) -> Iterator[Metric]:
        stats = self.finisher.stats
        yield GaugeMetricFamily(
            "ia_lifecycle_position", "Last notification id the lifecycle worker read.",
            value=stats.position,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "ia_lifecycle_open_meetings", "Meetings with an idle deadline still ahead.",
            value=stats.open_meetings,
        )  # fmt: skip
        yield CounterMetricFamily(
            "ia_lifecycle_idle_finishes", "Meetings finished for inactivity (reason idle).",
            value=stats.finished_total,
        )  # fmt: skip
        yield CounterMetricFamily(
            "ia_lifecycle_idle_checks", "Due deadlines checked against the stored meeting.",
            value=stats.checks_total,
        )  # fmt: skip
        yield CounterMetricFamily(
            "ia_lifecycle_errors", "Failed passes or checks (retried).", value=stats.errors_total
        )


def serve_lifecycle_metrics(
    finisher: IdleFinisher,
    port: int,
    host: str = "0.0.0.0",  # noqa: S104
) -> CollectorRegistry:
    """Expose the lifecycle worker's metrics on ``host:port`` (a daemon thread)."""
    registry = CollectorRegistry()
    registry.register(LifecycleCollector(finisher))
    start_http_server(port, addr=host, registry=registry)
    return registry


# Outcomes that always publish a dead letter, and the letter's kind.
DEAD_LETTERED = {REJECTED_OUTCOME: REJECTED, FAILED_OUTCOME: FAILED}


class WorkerMetrics:
    """Metrics of one pipeline worker process (names kept from the older service's
    dashboards: ``agent_*``; new ones follow ``ia_<subsystem>_<what>_<unit>``)."""

    def __init__(self, role: str, registry: CollectorRegistry | None = None) -> None:
        self.role = role
        self.registry = registry or CollectorRegistry()
        self.stage_latency = Histogram(
            "agent_pipeline_stage_latency_ms",
            "Time to process one message in a pipeline stage, milliseconds.",
            ["service", "stage"],
            buckets=(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000),
            registry=self.registry,
        )
        self.tasks = Counter(
            "agent_queue_tasks",
            "Messages a stage handled, by result.",
            ["service", "queue", "result"],
            registry=self.registry,
        )
        self.pending = Gauge(
            "agent_queue_pending",
            "Events stored but not yet processed by this consumer group (store positions).",
            ["queue", "group"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "ia_pipeline_dead_letters",
            "Messages dead-lettered, by stage and kind.",
            ["stage", "kind"],
            registry=self.registry,
        )
        self.real_time_factor = Histogram(
            "ia_speech_real_time_factor",
            "Speech recognition time / audio time, per decode.",
            buckets=(0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0),
            registry=self.registry,
        )
        self.audio_seconds = Counter(
            "ia_speech_audio_seconds", "Audio seconds recognised.", registry=self.registry
        )

    def observe_stage(self, stage: str, outcome: str, seconds: float) -> None:
        service = group_of(self.role)
        self.stage_latency.labels(service, stage).observe(seconds * 1000)
        self.tasks.labels(service, MEETING_EVENTS, outcome).inc()
        if outcome in DEAD_LETTERED:
            self.dead_letters.labels(stage, DEAD_LETTERED[outcome]).inc()

    def observe_lag(self, head: int, processed: int) -> None:
        self.pending.labels(MEETING_EVENTS, group_of(self.role)).set(max(head - processed, 0))

    def observe_speech(self, audio_sec: float, processing_sec: float) -> None:
        if audio_sec > 0:
            self.real_time_factor.observe(processing_sec / audio_sec)
            self.audio_seconds.inc(audio_sec)

    def serve(self, port: int, host: str = "0.0.0.0") -> None:  # noqa: S104
        start_http_server(port, addr=host, registry=self.registry)
