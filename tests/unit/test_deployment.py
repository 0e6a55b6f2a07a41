"""The production deployment files agree with the code and with their specifications.

No Docker engine runs here, so everything the compose stack, the observability profile,
the image and the CI workflow rely on is checked statically:

- docker-compose.yml follows the Compose Specification (its JSON schema, committed in
  tests/schemas/) and Debian's ``docker-compose`` 1.29 accepts it (``config`` needs no
  engine), with and without the observability profile;
- every application service runs a real ``ia`` subcommand, sets only real settings, and
  the settings it ends up with (.env.example + its ``environment:``) pass
  ``Settings.from_env`` in production; third-party images get only their documented
  variables;
- .env.example is what tools/gen_env_example.py writes from ``describe()``;
- Prometheus scrapes every process on the port its settings give it; every metric an
  alert rule or a dashboard uses is exported by some process (a static scan of the
  metric constructors); every rule has a severity Alertmanager routes and a runbook
  section in docs/runbooks.md;
- the Dockerfile's final stage runs as a non-root user and has no build tools;
- the CI workflow follows the GitHub workflow schema and has the required jobs.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from prometheus_client import CollectorRegistry

from interview_analytics.ops import cli
from interview_analytics.ops.settings import Secret, Settings, describe, load_dotenv

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
PROMETHEUS = REPO / "ops" / "prometheus" / "prometheus.yml"
ALERTS = REPO / "ops" / "prometheus" / "alerts.yml"
ALERTMANAGER = REPO / "ops" / "alertmanager" / "alertmanager.yml"
GRAFANA = REPO / "ops" / "grafana"
RUNBOOKS = REPO / "docs" / "runbooks.md"
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
SCHEMAS = REPO / "tests" / "schemas"
METRIC_LAYERS = ("http", "streams", "ops", "projections", "connectors")
OBSERVABILITY = "observability"

SETTINGS = {info.env for info in describe()}

# The variables each third-party image documents (and we set), by image repository.
IMAGE_VARIABLES: dict[str, set[str]] = {
    # https://github.com/apache/kafka/blob/trunk/docker/examples/README.md: every KAFKA_*
    # variable becomes a server property; these are the ones a KRaft single node needs.
    "apache/kafka": {
        "KAFKA_NODE_ID",
        "KAFKA_PROCESS_ROLES",
        "KAFKA_LISTENERS",
        "KAFKA_ADVERTISED_LISTENERS",
        "KAFKA_INTER_BROKER_LISTENER_NAME",
        "KAFKA_CONTROLLER_LISTENER_NAMES",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
        "KAFKA_CONTROLLER_QUORUM_VOTERS",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE",
        "KAFKA_LOG_DIRS",
        "CLUSTER_ID",
    },
    # https://hub.docker.com/_/postgres, "Environment Variables".
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGDATA"},
    # https://hub.docker.com/r/clickhouse/clickhouse-server, "How to create default
    # database and user".
    "clickhouse/clickhouse-server": {
        "CLICKHOUSE_DB",
        "CLICKHOUSE_USER",
        "CLICKHOUSE_PASSWORD",
        "CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT",
    },
    # https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/: GF_<SECTION>_<KEY>.
    "grafana/grafana": {
        "GF_SECURITY_ADMIN_USER",
        "GF_SECURITY_ADMIN_PASSWORD",
        "GF_USERS_ALLOW_SIGN_UP",
        "GF_AUTH_ANONYMOUS_ENABLED",
    },
    "prom/prometheus": set(),
    "prom/alertmanager": set(),
}
# Set by the Dockerfile for Python, pip and huggingface_hub rather than for the application.
IMAGE_RUNTIME_VARIABLES = {
    "PATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_CACHE_DIR",
    "HF_HUB_OFFLINE",
}
# Series Prometheus makes itself rather than scraping them.
PROMETHEUS_SERIES = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}
SEVERITIES = {"critical", "warning"}
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|cc|clang|make|cmake|build-essential|python3?-dev|libc6?-dev|"
    r"apt-get\s+install|pip3?\s+install|git)\b"
)


# ---------------------------------------------------------------------- loading


@functools.cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def application_services() -> dict[str, dict[str, Any]]:
    """The services that run our image: they take their settings from .env."""
    return {name: s for name, s in services().items() if s.get("env_file")}


def third_party_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services().items() if not s.get("env_file")}


def long_running_application_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in application_services().items() if s.get("restart", "") != "no"}


def default_services() -> set[str]:
    """What `docker compose up` starts without --profile."""
    return {name for name, s in services().items() if not s.get("profiles")}


def env_example() -> dict[str, str]:
    """The active (uncommented) assignments of .env.example, as `load_dotenv` reads them."""
    return load_dotenv(ENV_EXAMPLE, environ={})


def env_example_keys() -> set[str]:
    """Every variable .env.example names, active or commented out."""
    pattern = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=", flags=re.MULTILINE)
    return set(pattern.findall(ENV_EXAMPLE.read_text()))


def effective_environment(service: dict[str, Any]) -> dict[str, str]:
    """What the container sees: env_file first, then `environment:` (which wins)."""
    return {**env_example(), **{k: str(v) for k, v in (service.get("environment") or {}).items()}}


def compose_variables() -> set[str]:
    """`${NAME}`, `${NAME:-x}`, `${NAME:?x}` interpolated by compose itself."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))


def load_tool(name: str) -> ModuleType:
    """A script of tools/ (not a package) as a module."""
    qualified = f"tools_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, REPO / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def image_repository(image: str) -> str:
    return image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def worker_roles() -> set[str]:
    """The roles `ia worker ROLE` accepts, from the CLI's own parser."""
    parser = cli._parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    worker = commands.choices["worker"]  # type: ignore[index]
    role = next(a for a in worker._actions if a.dest == "role")
    return set(role.choices or ())


# ---------------------------------------------------------------------- compose spec


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    validator = Draft202012Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, errors
    # The schema is strict: a misspelt key is refused (so the check above can fail).
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    broken["services"]["api"]["helthcheck"] = broken["services"]["api"].pop("healthcheck")
    assert not validator.is_valid(broken)


@functools.cache
def _docker_compose() -> str:
    executable = shutil.which("docker-compose")
    if executable is None:
        pytest.fail("docker-compose is not installed; `make system-deps` installs Debian's package")
    return executable


@pytest.fixture
def compose_project(tmp_path: Path) -> Path:
    """A project directory with .env made from .env.example, as the README says."""
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text())
    return tmp_path


def _compose_config(project: Path, *profiles: str) -> dict[str, Any]:
    argv = [_docker_compose(), "--project-directory", str(project), "-f", str(COMPOSE_FILE)]
    for profile in profiles:
        argv += ["--profile", profile]
    result = subprocess.run(
        [*argv, "config"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


@pytest.mark.parametrize("profiles", [(), (OBSERVABILITY,)], ids=["default", OBSERVABILITY])
def test_docker_compose_accepts_the_file(compose_project: Path, profiles: tuple[str, ...]) -> None:
    config = _compose_config(compose_project, *profiles)
    expected = set(services()) if profiles else default_services()
    assert expected <= set(config["services"])
    # Interpolation resolved every variable from .env (none left empty by accident).
    for name in application_services():
        resolved = config["services"][name]
        assert resolved["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name


def test_default_services_never_wait_for_an_optional_profile() -> None:
    active = default_services()
    assert {"prometheus", "alertmanager", "grafana"}.isdisjoint(active)
    for name in active:
        needs = set(services()[name].get("depends_on") or {})
        assert needs <= active, f"{name} depends on {needs - active}, not started by default"
    for name, service in services().items():
        assert set(service.get("depends_on") or {}) <= set(services()), name


# ---------------------------------------------------------------------- services


def test_every_application_service_runs_a_real_ia_command() -> None:
    entrypoint = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert entrypoint is not None
    assert json.loads(entrypoint.group(1)) == ["ia"]
    assert 'ia = "interview_analytics.ops.cli:main"' in (REPO / "pyproject.toml").read_text()
    parser = cli._parser()
    for name, service in application_services().items():
        command = service["command"]
        assert isinstance(command, list), f"{name}: write the command as a list"
        try:
            parser.parse_args(command)
        except SystemExit:
            pytest.fail(f"{name}: `ia {' '.join(command)}` is not an ia command")


def test_every_worker_role_has_its_own_service() -> None:
    commands = {
        service["command"][1]
        for service in application_services().values()
        if service["command"][0] == "worker"
    }
    assert commands == worker_roles()
    assert {"setup", "api", "relay"} <= {s["command"][0] for s in application_services().values()}


def test_every_service_has_a_health_check_and_waits_for_what_it_needs() -> None:
    for name, service in services().items():
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        if check.get("disable"):
            # Only a one-shot may go without: its exit status is its health.
            assert service.get("restart") == "no", name
            continue
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
    for name, service in services().items():
        for needed, how in (service.get("depends_on") or {}).items():
            condition = how["condition"]
            target = services()[needed]
            if condition == "service_healthy":
                assert not target["healthcheck"].get("disable"), f"{name} -> {needed}"
            else:
                assert condition == "service_completed_successfully", f"{name} -> {needed}"
                assert target.get("restart") == "no", f"{name} -> {needed} is no one-shot"
    for name in application_services():
        if name != "setup":
            needs = services()[name]["depends_on"]
            assert needs["setup"]["condition"] == "service_completed_successfully", name


def test_volumes_are_named_or_repository_files_mounted_read_only() -> None:
    named = set(compose()["volumes"])
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name}: {source} is not in the repository"
                assert volume.endswith(":ro"), f"{name}: mount configuration read-only"
            else:
                assert source in named, f"{name}: {volume}"
    assert {"kafka-data", "postgres-data", "clickhouse-data", "app-data"} <= named


def test_workers_can_be_scaled() -> None:
    for name, service in services().items():
        assert "container_name" not in service, f"{name}: a fixed name prevents --scale"
    for name, service in application_services().items():
        if name != "api":
            assert "ports" not in service, f"{name}: a host port prevents --scale"
    assert "ports" not in services()["transcriber"]


def test_kafka_runs_in_kraft_mode_and_never_creates_topics_itself() -> None:
    kafka = services()["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # `ia setup` creates them
    assert "kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]  # reachable from containers


# ---------------------------------------------------------------------- settings


def test_services_set_only_real_settings_or_documented_image_variables() -> None:
    for name, service in application_services().items():
        unknown = set(service.get("environment") or {}) - SETTINGS
        assert not unknown, f"{name} sets {unknown}, which are not settings (ops/settings.py)"
    for name, service in third_party_services().items():
        documented = IMAGE_VARIABLES[image_repository(service["image"])]
        unknown = set(service.get("environment") or {}) - documented
        assert not unknown, f"{name} sets {unknown}, not documented variables of its image"
    dockerfile_env = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*)=", DOCKERFILE.read_text(), re.M))
    dockerfile_env |= set(re.findall(r"^ENV\s+([A-Z][A-Z0-9_]*)=", DOCKERFILE.read_text(), re.M))
    assert {"DATA_DIR", "API_HOST"} <= dockerfile_env
    assert dockerfile_env <= SETTINGS | IMAGE_RUNTIME_VARIABLES


def test_env_example_is_generated_from_the_settings() -> None:
    generator = load_tool("gen_env_example")
    assert ENV_EXAMPLE.read_text() == generator.render(), (
        ".env.example is out of date: run .venv/bin/python tools/gen_env_example.py"
    )


def test_env_example_names_every_setting_and_only_known_variables() -> None:
    keys = env_example_keys()
    assert keys >= SETTINGS
    infrastructure = keys - SETTINGS
    # The rest are read by docker-compose.yml itself: interpolated, or its project name.
    assert infrastructure <= compose_variables() | {"COMPOSE_PROJECT_NAME"}
    assert compose_variables() <= keys, "every ${VAR} in docker-compose.yml is documented"


def test_env_example_secrets_are_placeholders() -> None:
    secrets = {info.env for info in describe() if _is_secret(info.field)}
    secrets |= {key for key in env_example_keys() if key.endswith("_PASSWORD")}
    for key, value in env_example().items():
        if key in secrets and value:
            assert "change-me" in value, f"{key}: a real secret must never be committed"


def _is_secret(field_name: str) -> bool:
    from dataclasses import fields

    return any(f.name == field_name and f.metadata["cast"] is Secret for f in fields(Settings))


def test_application_services_pass_the_production_settings_check() -> None:
    for name, service in application_services().items():
        settings = Settings.from_env(effective_environment(service))  # raises if unsafe
        assert settings.is_production, name
        assert str(settings.data_dir) == "/data", name
    api = Settings.from_env(effective_environment(services()["api"]))
    assert api.api_host == "0.0.0.0"  # noqa: S104 - reachable through the published port
    assert services()["api"]["ports"] == [f"{api.api_port}:{api.api_port}"]


def test_connection_settings_name_the_compose_services_and_their_credentials() -> None:
    env = env_example()
    postgres = services()["postgres"]["environment"]
    clickhouse = services()["clickhouse"]["environment"]
    store = urlsplit(env["EVENT_STORE_URL"])
    assert (store.hostname, store.username) == ("postgres", postgres["POSTGRES_USER"])
    assert store.password == env["POSTGRES_PASSWORD"]
    assert store.path == f"/{postgres['POSTGRES_DB']}"
    read = urlsplit(env["CLICKHOUSE_URL"])
    assert (read.hostname, read.username) == ("clickhouse", clickhouse["CLICKHOUSE_USER"])
    assert read.password == env["CLICKHOUSE_PASSWORD"]
    assert read.path == f"/{clickhouse['CLICKHOUSE_DB']}"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert "${POSTGRES_PASSWORD" in postgres["POSTGRES_PASSWORD"]
    assert "${CLICKHOUSE_PASSWORD" in clickhouse["CLICKHOUSE_PASSWORD"]


# ---------------------------------------------------------------------- scraping


def _metrics_port(name: str, service: dict[str, Any]) -> int:
    settings = Settings.from_env(effective_environment(service))
    field = "api_port" if name == "api" else f"{name}_metrics_port"
    port: int = getattr(settings, field)
    return port


def scrape_targets() -> dict[str, tuple[str, int]]:
    """Prometheus job -> (host, port) of its static target or DNS name."""
    targets: dict[str, tuple[str, int]] = {}
    for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                targets[job["job_name"]] = (host, int(port))
        for dns in job.get("dns_sd_configs", []):
            for host in dns["names"]:
                targets[job["job_name"]] = (host, int(dns["port"]))
    return targets


def test_prometheus_scrapes_every_process_on_its_metrics_port() -> None:
    targets = scrape_targets()
    for name, service in long_running_application_services().items():
        port = _metrics_port(name, service)
        assert port, f"{name}: its metrics endpoint is switched off"
        assert targets.get(name) == (name, port), f"Prometheus does not scrape {name}:{port}"
        # The health check probes the same endpoint.
        assert f"127.0.0.1:{port}/" in " ".join(service["healthcheck"]["test"]), name
    for job, (host, _) in targets.items():
        assert host in services() or host == "localhost", f"job {job}: no service {host}"
    prometheus = yaml.safe_load(PROMETHEUS.read_text())
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager:9093"
    ]
    assert prometheus["rule_files"] == [ALERTS.name]


def test_observability_ports_and_configuration_mounts() -> None:
    expected = {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000}
    for name, port in expected.items():
        service = services()[name]
        assert service["profiles"] == [OBSERVABILITY], name
        assert f"{port}:{port}" in service["ports"], name
    mounts = " ".join(services()["prometheus"]["volumes"])
    assert "./ops/prometheus:/etc/prometheus:ro" in mounts
    assert "./ops/alertmanager:/etc/alertmanager:ro" in " ".join(
        services()["alertmanager"]["volumes"]
    )


# ---------------------------------------------------------------------- metrics

CONSTRUCTORS = {
    "Counter": "counter",
    "CounterMetricFamily": "counter",
    "Gauge": "gauge",
    "GaugeMetricFamily": "gauge",
    "Histogram": "histogram",
    "HistogramMetricFamily": "histogram",
    "Summary": "summary",
    "SummaryMetricFamily": "summary",
    "Info": "info",
}


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _families_in(tree: ast.AST) -> Iterator[tuple[str, str]]:
    """(name, type) of every metric family a module constructs with a literal name.

    A helper such as ``def gauge(name, doc, value): GaugeMetricFamily(name, …)`` counts as
    a constructor of its own, so its calls with literal names are found too.
    """
    kinds = dict(CONSTRUCTORS)
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.args.args:
            first = function.args.args[0].arg
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and _called_name(call) in CONSTRUCTORS
                    and call.args
                    and isinstance(call.args[0], ast.Name)
                    and call.args[0].id == first
                ):
                    kinds[function.name] = CONSTRUCTORS[_called_name(call)]
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and _called_name(call) in kinds and call.args:
            name = call.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                yield name.value, kinds[_called_name(call)]


@functools.cache
def exported_families() -> dict[str, str]:
    families: dict[str, str] = {}
    for layer in METRIC_LAYERS:
        for path in sorted((REPO / layer).rglob("*.py")):
            for name, kind in _families_in(ast.parse(path.read_text(), str(path))):
                base = name.removesuffix("_total") if kind == "counter" else name
                families[base] = kind
    return families


def series_of(name: str, kind: str) -> set[str]:
    """The series names prometheus_client exposes for a family."""
    if kind == "counter":
        return {f"{name}_total", f"{name}_created"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    if kind == "summary":
        return {name, f"{name}_sum", f"{name}_count", f"{name}_created"}
    if kind == "info":
        return {f"{name}_info"}
    return {name}


@functools.cache
def exported_series() -> frozenset[str]:
    return frozenset(
        series for name, kind in exported_families().items() for series in series_of(name, kind)
    )


PROMQL_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
}


def promql_metrics(expr: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range and subquery windows
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\$\w+", "", expr)  # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", expr):
        if expr[match.end() :].lstrip().startswith("("):
            continue  # a function or an aggregation
        if match.group().lower() not in PROMQL_KEYWORDS:
            names.add(match.group())
    return names


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text())
        for path in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def dashboard_expressions() -> Iterator[tuple[str, str, str]]:
    for file, dashboard in dashboards().items():
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                yield file, panel["title"], target["expr"]


def test_promql_metric_extraction() -> None:
    assert promql_metrics(
        'histogram_quantile(0.95, sum by (le, route) (rate(x_bucket{route!="/m"}[5m]))) > 1e3'
    ) == {"x_bucket"}
    assert promql_metrics("a > 0 and on () sum(b{s=~\"x|y\"}) or absent(up{job='r'})") == {
        "a",
        "b",
        "up",
    }
    assert promql_metrics("rate(c_total[$__rate_interval]) / ignoring(x) d") == {"c_total", "d"}


def test_the_scan_finds_what_the_processes_register() -> None:
    """The static scan against the real registries (its naming rules included)."""
    from interview_analytics.connectors.sberjazz.metrics import ConnectorMetrics
    from interview_analytics.http.metrics import ApiMetrics
    from interview_analytics.ops.metrics import WorkerMetrics
    from interview_analytics.ops.projector import ProjectorMetrics

    registry = CollectorRegistry()
    ApiMetrics(registry, "ia-api")
    ProjectorMetrics(registry)
    ConnectorMetrics(registry)
    registered = {(m.name, m.type) for m in registry.collect()}
    registered |= {(m.name, m.type) for m in WorkerMetrics("transcriber").registry.collect()}
    assert registered <= set(exported_families().items())
    # Collector-made families (the relay's, read at scrape time) are found too.
    assert exported_families()["ia_relay_backlog_events"] == "gauge"
    assert "ia_relay_published_events_total" in exported_series()


def test_every_metric_an_alert_or_a_dashboard_uses_is_exported() -> None:
    known = exported_series() | PROMETHEUS_SERIES
    for rule in alert_rules():
        unknown = promql_metrics(rule["expr"]) - known
        assert not unknown, f"alert {rule['alert']} uses {unknown}, which no process exports"
    for file, title, expr in dashboard_expressions():
        unknown = promql_metrics(expr) - known
        assert not unknown, f"{file} panel {title!r} uses {unknown}, which no process exports"


def test_the_dashboards_cover_each_area_of_the_issue() -> None:
    used = {m for _, _, expr in dashboard_expressions() for m in promql_metrics(expr)}
    assert {
        "agent_requests_total",  # API traffic
        "agent_http_request_latency_ms_bucket",  # API latency
        "agent_pipeline_stage_latency_ms_bucket",  # stage latency
        "ia_speech_real_time_factor_bucket",  # speech real-time factor
        "agent_queue_pending",  # consumer lag
        "ia_relay_backlog_events",  # relay backlog
        "agent_dlq_depth",  # dead letters
        "sberjazz_sessions",  # connector sessions
        "sberjazz_reconcile_runs_total",  # reconciliation
    } <= used


# ---------------------------------------------------------------------- alerts


def _github_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def runbook_anchors() -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", RUNBOOKS.read_text(), flags=re.MULTILINE)
    return {_github_anchor(h) for h in headings}


def test_every_rule_has_a_severity_a_summary_and_a_runbook_section() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), "alert names are unique"
    anchors = runbook_anchors()
    for rule in rules:
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"], rule["alert"]
        assert annotations["description"], rule["alert"]
        path, _, anchor = annotations["runbook_url"].partition("#")
        assert path == "docs/runbooks.md", rule["alert"]
        assert anchor in anchors, f"{rule['alert']}: docs/runbooks.md has no #{anchor}"
        assert anchor == _github_anchor(rule["alert"]), "one section per alert, named after it"


def test_the_issue_s_alerts_exist() -> None:
    by_metric = {rule["alert"]: promql_metrics(rule["expr"]) for rule in alert_rules()}

    def alerting_on(metric: str) -> set[str]:
        return {name for name, metrics in by_metric.items() if metric in metrics}

    assert "ApiDown" in alerting_on("up")
    assert alerting_on("agent_http_request_latency_ms_bucket")  # p95 latency
    assert alerting_on("agent_queue_pending")  # consumer lag growing
    assert alerting_on("agent_dlq_depth")  # dead letters present
    assert alerting_on("ia_relay_backlog_events")  # relay backlog
    assert alerting_on("sberjazz_connector_healthy")  # connector unhealthy
    assert alerting_on("sberjazz_reconcile_runs_total")  # reconcile failures


def test_alertmanager_routes_every_severity_to_a_receiver() -> None:
    config = yaml.safe_load(ALERTMANAGER.read_text())
    receivers = {receiver["name"] for receiver in config["receivers"]}
    routed = {}
    for route in config["route"]["routes"]:
        for matcher in route["matchers"]:
            match = re.fullmatch(r'severity="(\w+)"', matcher)
            if match:
                routed[match.group(1)] = route["receiver"]
    used = {rule["labels"]["severity"] for rule in alert_rules()}
    assert used <= set(routed), f"severities without a route: {used - set(routed)}"
    assert set(routed.values()) | {config["route"]["receiver"]} <= receivers


# ---------------------------------------------------------------------- grafana


def test_grafana_is_provisioned_with_the_dashboards_and_their_datasource() -> None:
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    (prometheus,) = datasources
    assert prometheus["url"] == "http://prometheus:9090"
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "interview-analytics.yml").read_text()
    )["providers"]
    mounted = {v.split(":")[1] for v in services()["grafana"]["volumes"]}
    assert {provider["options"]["path"] for provider in providers} <= mounted
    for file, dashboard in dashboards().items():
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == prometheus["uid"], (file, panel["title"])
    assert len({d["uid"] for d in dashboards().values()}) == len(dashboards())


def test_dashboards_are_generated() -> None:
    generator = load_tool("gen_dashboards")
    committed = {p.name: p.read_text() for p in (GRAFANA / "dashboards").glob("*.json")}
    generated = {p.name: text for p, text in generator.rendered().items()}
    assert committed == generated, "run .venv/bin/python tools/gen_dashboards.py"


# ---------------------------------------------------------------------- image


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split at each FROM."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    stages: list[list[str]] = []
    for instruction in instructions:
        if instruction.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_the_image_runs_as_a_non_root_user_without_build_tools() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage: a builder and a runtime stage"
    final = stages[-1]
    assert re.match(r"FROM \$\{PYTHON_IMAGE\}|FROM python:3\.11-slim", final[0])
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE.read_text()
    users = [i.split()[1] for i in final if i.upper().startswith("USER ")]
    assert users, "the final stage sets a USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    for instruction in final:
        if instruction.upper().startswith("RUN "):
            tools = BUILD_TOOLS.findall(instruction)
            assert not tools, f"build tools in the final stage: {tools}"
    assert any(i.startswith("COPY --from=builder /opt/venv") for i in final)
    assert any(i.upper().startswith("HEALTHCHECK ") for i in final)
    assert "pip install ." in " ".join(stages[0])


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".env", ".venv/", "data/", "*.pem", "*.key", ".git/", "build/"):
        assert needed in patterns, needed
    assert {".pytest_cache/", ".mypy_cache/", ".ruff_cache/", "**/__pycache__/"} <= patterns
    # ...while everything the build copies stays in.
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE.read_text(), flags=re.M)
    for sources in copied:
        for source in sources.split():
            top = source.rstrip("/")
            assert f"{top}/" not in patterns, source
            assert top not in patterns, source
            assert (REPO / top).exists(), source


# ---------------------------------------------------------------------- CI


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True; the schema knows it as "on".
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if "uses" in step]


def test_ci_workflow_follows_the_github_schema() -> None:
    schema = json.loads((SCHEMAS / "github-workflow.json").read_text())
    validator = Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(workflow())]
    assert not errors, errors


def test_ci_workflow_has_the_required_jobs() -> None:
    jobs = workflow()["jobs"]
    assert "make lint" in _runs(jobs["lint"])
    assert "make typecheck" in _runs(jobs["typecheck"])
    assert "make test" in _runs(jobs["test"])
    assert "pytest tests/e2e" in _runs(jobs["e2e"])
    assert "tests/unit/test_openapi.py" in _runs(jobs["openapi"])
    compose_run = _runs(jobs["compose"])
    for command in ("cp .env.example .env", "docker compose build", "--wait", "/health", "down"):
        assert command in compose_run, command
    security = jobs["security"]
    scanners = {step["uses"].split("@")[0]: step.get("with", {}) for step in _uses(security)}
    trivy = scanners["aquasecurity/trivy-action"]
    assert trivy["severity"] == "HIGH,CRITICAL"
    assert str(trivy["exit-code"]) == "1"
    grype = scanners["anchore/scan-action"]
    assert grype["severity-cutoff"] == "high"
    assert grype["fail-build"] is True
    assert "pip-audit" in _runs(security)
