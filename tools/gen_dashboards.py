"""Writes the Grafana dashboards of the observability profile (ops/grafana/dashboards/).

    .venv/bin/python tools/gen_dashboards.py          # rewrite the JSON files
    .venv/bin/python tools/gen_dashboards.py --check  # exit 1 when they are out of date
    .venv/bin/python tools/gen_dashboards.py --promql-rules > rules.yml
        # every panel query as a recording rule, for `promtool check rules` (CI)

The dashboards are data here (title, unit, PromQL per panel) rather than hand-edited JSON,
so every panel has the same datasource, layout and legend conventions, and
tests/unit/test_deployment.py can check each expression's metrics against the code.
Grafana loads the files read-only (ops/grafana/provisioning/dashboards/).

Must not: be edited around: the JSON files are its output.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "ops" / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # provisioning/datasources
RATE = "$__rate_interval"
WIDTH, HEIGHT = 12, 8


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    description: str = ""
    mappings: tuple[dict[str, Any], ...] = ()
    thresholds: tuple[tuple[float | None, str], ...] = ((None, "green"),)


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)


def q(expr: str, legend: str = "") -> Query:
    return Query(" ".join(expr.split()), legend)


def quantiles(metric: str, by: str, legend: str, *levels: float) -> tuple[Query, ...]:
    """histogram_quantile of a histogram for each level, grouped by ``by`` (plus le)."""
    group = f"le, {by}" if by else "le"
    return tuple(
        q(
            f"histogram_quantile({level}, sum by ({group}) (rate({metric}_bucket[{RATE}])))",
            f"p{round(level * 100)} {legend}".strip(),
        )
        for level in levels
    )


API = Dashboard(
    "ia-api",
    "Interview Analytics — API traffic and latency",
    "HTTP and WebSocket traffic of the API processes (agent_* names kept from the older "
    "service's dashboards). Alerts: ApiDown, ApiHighLatency, ApiErrorRate.",
    (
        Panel(
            "Requests per second by route",
            (q(f"sum by (route) (rate(agent_requests_total[{RATE}]))", "{{route}}"),),
            "reqps",
        ),
        Panel(
            "Responses per second by status",
            (q(f"sum by (status) (rate(agent_requests_total[{RATE}]))", "{{status}}"),),
            "reqps",
        ),
        Panel(
            "Latency (all routes)",
            quantiles("agent_http_request_latency_ms", "", "", 0.5, 0.95, 0.99),
            "ms",
        ),
        Panel(
            "p95 latency by route",
            quantiles("agent_http_request_latency_ms", "route", "{{route}}", 0.95),
            "ms",
            description="GET /v1/meetings/{meeting_id}?min_version= waits for the read model "
            "by design (READ_YOUR_WRITES_MAX_WAIT_MS).",
        ),
        Panel(
            "Server errors (5xx share of requests)",
            (
                q(
                    f'sum(rate(agent_requests_total{{status=~"5.."}}[{RATE}])) '
                    f"/ sum(rate(agent_requests_total[{RATE}]))",
                    "5xx",
                ),
            ),
            "percentunit",
        ),
        Panel(
            "API processes up",
            (q('sum(up{job="api"})', "up"),),
            kind="stat",
            thresholds=((None, "red"), (1, "green")),
        ),
        Panel(
            "Open WebSocket connections",
            (q("sum by (route) (ia_api_websocket_connections)", "{{route}}"),),
        ),
        Panel(
            "WebSocket frames per second",
            (
                q(
                    f"sum by (route, direction) (rate(ia_api_websocket_frames_total[{RATE}]))",
                    "{{route}} {{direction}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Live feed: events decoded and slow subscribers dropped",
            (
                q(
                    f"sum by (event_type) (rate(ia_api_live_events_total[{RATE}]))",
                    "{{event_type}}",
                ),
                q(f"sum(rate(ia_api_live_subscribers_dropped_total[{RATE}]))", "dropped"),
            ),
            "ops",
        ),
    ),
)

PIPELINE = Dashboard(
    "ia-pipeline",
    "Interview Analytics — pipeline stages and speech",
    "Per-stage processing time and outcomes of the transcriber, enhancer and reporter, and "
    "how fast speech recognition runs against real time. Alert: SpeechSlowerThanRealTime.",
    (
        Panel(
            "Stage latency p95",
            quantiles("agent_pipeline_stage_latency_ms", "stage", "{{stage}}", 0.95),
            "ms",
        ),
        Panel(
            "Stage latency p50",
            quantiles("agent_pipeline_stage_latency_ms", "stage", "{{stage}}", 0.5),
            "ms",
        ),
        Panel(
            "Messages handled per second by result",
            (
                q(
                    f"sum by (service, result) (rate(agent_queue_tasks_total[{RATE}]))",
                    "{{service}} {{result}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Dead letters per second by stage",
            (
                q(
                    f"sum by (stage, kind) (rate(ia_pipeline_dead_letters_total[{RATE}]))",
                    "{{stage}} {{kind}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Speech real-time factor (recognition time / audio time)",
            quantiles("ia_speech_real_time_factor", "", "", 0.5, 0.95),
            "short",
            description="Above 1 the transcriber falls behind live audio: add replicas "
            "(--scale transcriber=N) or a faster model/device.",
            thresholds=((None, "green"), (0.8, "orange"), (1, "red")),
        ),
        Panel(
            "Audio recognised (seconds of audio per second)",
            (q(f"sum(rate(ia_speech_audio_seconds_total[{RATE}]))", "audio s/s"),),
            "short",
        ),
        Panel(
            "Worker replicas up",
            (
                q(
                    'count by (job) (up{job=~"transcriber|enhancer|reporter|projector"} == 1)',
                    "{{job}}",
                ),
            ),
        ),
    ),
)

QUEUES = Dashboard(
    "ia-queues",
    "Interview Analytics — consumer lag, relay backlog, dead letters",
    "Lag is counted in event-store positions (head of the notification log minus the "
    "position each consumer group recorded). Alerts: ConsumerLagGrowing, RelayBacklog, "
    "RelayStalled, DeadLettersPresent, TargetDown.",
    (
        Panel(
            "Consumer lag by group (events)",
            (q("max by (group) (agent_queue_pending)", "{{group}}"),),
        ),
        Panel(
            "Relay backlog (events stored, not yet published)",
            (
                q("max(ia_relay_backlog_events)", "relay"),
                q("max(agent_queue_depth)", "sampled by the projector"),
            ),
        ),
        Panel(
            "Relay: published events per second",
            (q(f"sum(rate(ia_relay_published_events_total[{RATE}]))", "published"),),
            "ops",
        ),
        Panel(
            "Relay: position and store head",
            (
                q("max(ia_relay_store_head)", "store head"),
                q("max(ia_relay_position)", "relay position"),
            ),
        ),
        Panel(
            "Relay: errors and broker resets",
            (
                q(f"sum(increase(ia_relay_errors_total[{RATE}]))", "publish errors"),
                q(f"sum(increase(ia_relay_broker_resets_total[{RATE}]))", "broker resets"),
            ),
        ),
        Panel(
            "Relay: average batch time",
            (
                q(
                    f"sum(rate(ia_relay_batch_seconds_total[{RATE}])) "
                    f"/ sum(rate(ia_relay_batches_total[{RATE}]))",
                    "seconds per batch",
                ),
            ),
            "s",
        ),
        Panel(
            "Open dead letters by queue",
            (q("max by (queue) (agent_dlq_depth)", "{{queue}}"),),
            thresholds=((None, "green"), (1, "red")),
        ),
        Panel(
            "Open dead letters",
            (q("sum(max by (queue) (agent_dlq_depth))", "open"),),
            kind="stat",
            thresholds=((None, "green"), (1, "red")),
        ),
        Panel(
            "Projector: rows inserted per second",
            (
                q(
                    f"sum by (projection) (rate(ia_projector_rows_total[{RATE}]))",
                    "{{projection}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Projector: batch time p95",
            quantiles("ia_projector_batch_seconds", "projection", "{{projection}}", 0.95),
            "s",
        ),
        Panel(
            "Firing alerts",
            (
                q(
                    'sum by (alertname, severity) (ALERTS{alertstate="firing"})',
                    "{{alertname}} ({{severity}})",
                ),
            ),
        ),
    ),
)

CIRCUIT_STATES = (
    {
        "type": "value",
        "options": {
            "0": {"text": "closed", "color": "green"},
            "1": {"text": "half-open", "color": "orange"},
            "2": {"text": "open", "color": "red"},
        },
    },
)
HEALTH_STATES = (
    {
        "type": "value",
        "options": {
            "0": {"text": "unhealthy", "color": "red"},
            "1": {"text": "healthy", "color": "green"},
        },
    },
)

CONNECTOR = Dashboard(
    "ia-connector",
    "Interview Analytics — SberJazz connector and reconciliation",
    "Connector sessions, platform health and circuit breaker, live audio pulls and the "
    "reconciliation worker. Alerts: ConnectorUnhealthy, ConnectorCircuitOpen, "
    "ReconcileFailures, ConnectorStaleSessions.",
    (
        Panel(
            "Sessions by state",
            (q("max by (state) (sberjazz_sessions)", "{{state}}"),),
        ),
        Panel(
            "Platform health",
            (q("max(sberjazz_connector_healthy)", "health"),),
            kind="stat",
            mappings=HEALTH_STATES,
            thresholds=((None, "red"), (1, "green")),
        ),
        Panel(
            "Circuit breaker",
            (q("max(sberjazz_circuit_state)", "breaker"),),
            kind="stat",
            mappings=CIRCUIT_STATES,
            thresholds=((None, "green"), (1, "orange"), (2, "red")),
        ),
        Panel(
            "Platform calls per second by operation and result",
            (
                q(
                    f"sum by (operation, result) (rate(sberjazz_calls_total[{RATE}]))",
                    "{{operation}} {{result}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Reconnects by result",
            (
                q(
                    f"sum by (result) (increase(sberjazz_reconnects_total[{RATE}]))",
                    "{{result}}",
                ),
            ),
        ),
        Panel(
            "Live pulls per second by result",
            (
                q(
                    f"sum by (result) (rate(sberjazz_live_pulls_total[{RATE}]))",
                    "{{result}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Live chunks per second by outcome",
            (
                q(
                    f"sum by (outcome) (rate(sberjazz_live_chunks_total[{RATE}]))",
                    "{{outcome}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Reconciliation passes by result",
            (
                q(
                    f"sum by (result) (increase(sberjazz_reconcile_runs_total[{RATE}]))",
                    "{{result}}",
                ),
            ),
        ),
        Panel(
            "Stale sessions found by the last pass",
            (q("max(sberjazz_reconcile_stale_sessions)", "stale"),),
            thresholds=((None, "green"), (1, "orange")),
        ),
    ),
)

DASHBOARDS = (API, PIPELINE, QUEUES, CONNECTOR)


def panel_json(panel: Panel, panel_id: int) -> dict[str, Any]:
    column, row = (panel_id - 1) % 2, (panel_id - 1) // 2
    steps = [{"color": color, "value": value} for value, color in panel.thresholds]
    body: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": HEIGHT, "w": WIDTH, "x": column * WIDTH, "y": row * HEIGHT},
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "datasource": DATASOURCE,
                "expr": query.expr,
                "legendFormat": query.legend or "__auto",
                "range": True,
            }
            for index, query in enumerate(panel.queries)
        ],
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                "mappings": list(panel.mappings),
                "thresholds": {"mode": "absolute", "steps": steps},
            },
            "overrides": [],
        },
    }
    if panel.kind == "timeseries":
        body["fieldConfig"]["defaults"]["custom"] = {"drawStyle": "line", "fillOpacity": 10}
        body["options"] = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    else:
        body["options"] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "auto",
        }
    return body


def dashboard_json(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["interview-analytics"],
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "annotations": {"list": []},
        "templating": {"list": []},
        "links": [
            {
                "type": "dashboards",
                "tags": ["interview-analytics"],
                "title": "Interview Analytics",
                "asDropdown": True,
            }
        ],
        "panels": [panel_json(panel, i) for i, panel in enumerate(dashboard.panels, start=1)],
    }


def render(dashboard: Dashboard) -> str:
    return json.dumps(dashboard_json(dashboard), indent=2, ensure_ascii=False) + "\n"


def rendered() -> dict[Path, str]:
    """Every dashboard file and its content."""
    return {OUT_DIR / f"{d.uid}.json": render(d) for d in DASHBOARDS}


def promql_rules() -> str:
    """Every panel's query as a recording rule: promtool then parses each one."""
    rules = [
        {"record": f"dashboard:{d.uid.replace('-', '_')}:{i}", "expr": expr}
        for d in DASHBOARDS
        for i, expr in enumerate(
            query.expr.replace(RATE, "5m") for panel in d.panels for query in panel.queries
        )
    ]
    return json.dumps({"groups": [{"name": "dashboards", "rules": rules}]}, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    parser.add_argument(
        "--promql-rules", action="store_true", help="print the queries as a rule file"
    )
    args = parser.parse_args(argv)
    if args.promql_rules:
        print(promql_rules(), end="")
        return 0
    files = rendered()
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
    extra = sorted(set(OUT_DIR.glob("*.json")) - set(files))
    if args.check:
        for path in [*stale, *extra]:
            print(f"out of date: {path.relative_to(REPO)}", file=sys.stderr)
        return 1 if stale or extra else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text)
    for path in extra:
        path.unlink()
    print(f"wrote {len(files)} dashboards to {OUT_DIR.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
