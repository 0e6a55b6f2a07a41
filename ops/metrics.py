"""Prometheus metrics of the long-lived processes (scraped from each process's port).

Names follow ``ia_<subsystem>_<what>_<unit>``; counters end in ``_total``. The relay's
figures are read from its ``RelayStats`` at scrape time, so the hot path only updates
plain attributes.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

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
