"""Static checks of cloud/ (there is no Docker engine or cluster here): every file parses,
and compose, the manifests and the monitoring config refer only to images, commands,
ports, environment variables, files and metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tradefleet.app.config import AppConfig, check_config, load_config

CLOUD = Path(__file__).resolve().parents[2] / "cloud"
IMAGE = "tradefleet:0.1.0"
THIRD_PARTY = {  # image prefix -> (ports it listens on, environment variables it reads)
    "postgres:": ({5432}, {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}),
    "redis:": ({6379}, set()),
    "prom/prometheus:": ({9090}, set()),
    "grafana/grafana:": ({3000}, {"GF_SECURITY_ADMIN_PASSWORD"}),
}


def _yaml(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _compose() -> dict[str, Any]:
    return _yaml(CLOUD / "docker-compose.yml")[0]


def _manifests() -> list[dict[str, Any]]:
    return [d for p in sorted((CLOUD / "k8s").glob("*.yaml")) for d in _yaml(p)]


def _cli_commands() -> set[str]:
    from tradefleet.app.cli.main import build_app

    app = build_app()
    names = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
    return names | {g.name for g in app.registered_groups if g.name}


def _check_env(env: dict[str, str], where: str) -> AppConfig:
    """Every TRADEFLEET__ key is a config key (the config validates with extra='forbid');
    every other variable is read through an 'env:NAME' reference the config holds."""
    env = {k: re.sub(r"\$\{(\w+)\}", "x", str(v)) for k, v in env.items()}
    refs = {v.removeprefix("env:") for v in env.values() if v.startswith("env:")}
    for key in env:
        if not key.startswith("TRADEFLEET__"):
            assert key in refs, f"{where}: {key} is set but nothing reads it"
    for ref in refs:
        assert ref in env, f"{where}: a config value refers to env:{ref}, which is not set"
    cfg, errors = check_config(None, env)
    assert not errors, f"{where}: {errors}"
    assert cfg is not None
    return cfg


def _listening(args: list[str], cfg: AppConfig | None, entry: list[str]) -> set[int]:
    """The ports a tradefleet-image process listens on, from its command line and config."""
    if entry[:1] == ["dask"]:
        ports = {8786} if entry[1] == "scheduler" else set()
        for flag in ("--port", "--dashboard-address"):
            if flag in args:
                ports.add(int(args[args.index(flag) + 1].rsplit(":", 1)[-1]))
        return ports
    assert cfg is not None
    if args[0] == "dashboard":
        return {int(args[args.index("--port") + 1])} if "--port" in args else {cfg.dashboard.port}
    if args[0] in ("worker", "leader"):
        return {cfg.scale.health.port}
    return set()


def test_every_yaml_and_json_file_parses() -> None:
    files = [p for p in CLOUD.rglob("*") if p.suffix in (".yml", ".yaml")]
    assert len(files) >= 7
    for p in files:
        assert _yaml(p), p
    dash = json.loads((CLOUD / "grafana" / "tradefleet.json").read_text())
    assert dash["panels"]


def test_dockerfile_is_multi_stage_non_root_and_copies_what_exists() -> None:
    text = (CLOUD / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    root = CLOUD.parent
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M):
        *sources, _dest = line.split()
        for src in sources:
            assert (root / src).exists(), f"Dockerfile copies {src}, which does not exist"
    exposed = {int(p) for line in re.findall(r"^EXPOSE (.+)$", text, re.M) for p in line.split()}
    assert {8765, 9200, 8786, 8787, 8789} <= exposed
    assert re.search(r'^ENTRYPOINT \["tradefleet"\]', text, re.M)


def test_compose_refers_only_to_things_that_exist() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "redis", "orchestrator", "worker", "dask-scheduler", "dask-worker", "dashboard",
            "telegram", "prometheus", "grafana"} <= set(services)
    commands = _cli_commands()
    built = [s for s in services.values() if "build" in s]
    assert built and all((CLOUD.parent / s["build"]["context"].replace("..", ".") /
                          s["build"]["dockerfile"]).exists() for s in built)
    for name, svc in services.items():
        image = svc["image"]
        ports = {int(str(p).split(":")[-1]) for p in svc.get("ports", [])} | {int(p) for p in svc.get("expose", [])}
        for dep in svc.get("depends_on", []):
            assert dep in services, f"{name} depends on unknown service {dep}"
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("./"):
                assert (CLOUD / src).exists(), f"{name} mounts {src}, which does not exist"
        env = svc.get("environment", {})
        if image == IMAGE:
            entry = svc.get("entrypoint", ["tradefleet"])
            args = svc["command"]
            if entry == ["tradefleet"]:
                assert args[0] in commands, f"{name}: 'tradefleet {args[0]}' is not a command"
                cfg = _check_env(env, f"compose {name}")
            else:
                assert entry[0] == "dask" and entry[1] in ("scheduler", "worker")
                cfg = None
            listening = _listening(args, cfg, entry)
        else:
            prefix = next((p for p in THIRD_PARTY if image.startswith(p)), None)
            assert prefix is not None, f"{name}: unknown image {image}"
            listening, known_env = THIRD_PARTY[prefix]
            for key in env:
                assert key in known_env, f"{name}: {image} does not read {key}"
        assert ports <= listening, f"{name}: publishes {ports - listening}, nothing listens there"


def test_compose_dask_address_and_bus_url_name_services() -> None:
    services = _compose()["services"]
    env = services["worker"]["environment"]
    host, port = env["TRADEFLEET__SCALE__EXECUTOR__ADDRESS"].removeprefix("tcp://").split(":")
    assert host in services and int(port) in _listening(services[host]["command"], None, services[host]["entrypoint"])
    assert env["TRADEFLEET__SCALE__BUS__URL"].split("//")[1].split(":")[0] in services
    assert "postgres:5432" in env["TRADEFLEET__ENGINE__STORE_URL"]
    worker_cmd = services["dask-worker"]["command"]
    assert worker_cmd[0] == env["TRADEFLEET__SCALE__EXECUTOR__ADDRESS"]


def test_kubernetes_manifests_refer_only_to_things_that_exist() -> None:
    docs = _manifests()
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service"} <= kinds
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    secrets = {d["metadata"]["name"]: d.get("stringData", {}) for d in docs if d["kind"] == "Secret"}
    commands = _cli_commands()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    ports_of: dict[str, dict[Any, int]] = {}
    for name, dep in deployments.items():
        spec = dep["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
        [c] = spec["template"]["spec"]["containers"]
        assert c["image"] == IMAGE and c["securityContext"]["runAsNonRoot"]
        env: dict[str, str] = {}
        for src in c.get("envFrom", []):
            if "configMapRef" in src:
                env |= maps[src["configMapRef"]["name"]]
            else:
                env |= secrets[src["secretRef"]["name"]]
        entry = c.get("command", ["tradefleet"])
        cfg = None
        if entry == ["tradefleet"]:
            assert c["args"][0] in commands, f"{name}: 'tradefleet {c['args'][0]}' is not a command"
            cfg = _check_env(env, f"k8s {name}")
        listening = _listening(c["args"], cfg, entry)
        declared = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        assert set(declared.values()) <= listening, f"{name}: declares ports nothing listens on"
        ports_of[name] = declared | {v: v for v in declared.values()}
        for probe in ("livenessProbe", "readinessProbe"):
            http = c.get(probe, {}).get("httpGet")
            if http:
                assert http["port"] in ports_of[name], f"{name}: {probe} on unknown port {http['port']}"
                if entry == ["tradefleet"]:
                    assert http["path"] == {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}[probe]
        if c.get("ports") and entry == ["tradefleet"]:
            assert "livenessProbe" in c and "readinessProbe" in c, f"{name}: no probes"
    for svc in (d for d in docs if d["kind"] == "Service"):
        target = svc["spec"]["selector"]["app"]
        assert target in deployments, f"service {svc['metadata']['name']} selects nothing"
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in ports_of[target]


def _known_metrics() -> set[str]:
    from tradefleet.orchestrator.distributed.health import HealthServer
    from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus

    text = (CLOUD.parent / "dashboard" / "metrics.py").read_text()
    names = set(re.findall(r'"(tradefleet_[a-z_]+)"', text))
    bus = RedisStreamsBus(None, group="g", consumer="c")  # type: ignore[arg-type]  # never touches Redis
    server = HealthServer.metrics(type("S", (), {"bus": bus, "role": "x"})())  # type: ignore[arg-type]
    names |= set(re.findall(r"^(tradefleet_[a-z_]+)", server, re.M))
    return names | {"up"}


def _metrics_in(expr: str) -> set[str]:
    words = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b(?=\s*(?:\{|\[|==|>|<|\)|$))", expr))
    return {w for w in words if w.startswith("tradefleet_") or w == "up"}


def test_prometheus_targets_rules_and_grafana_refer_to_real_services_and_metrics() -> None:
    services = _compose()["services"]
    prom = _yaml(CLOUD / "prometheus" / "prometheus.yml")[0]
    mounted = {v.split(":")[1] for v in services["prometheus"]["volumes"]}
    assert set(prom["rule_files"]) <= mounted
    for job in prom["scrape_configs"]:
        targets = [t for sc in job.get("static_configs", []) for t in sc["targets"]]
        targets += [f"{n}:{sd['port']}" for sd in job.get("dns_sd_configs", []) for n in sd["names"]]
        for target in targets:
            host, port = target.split(":")
            svc = services[host]
            env = svc.get("environment", {})
            cfg = _check_env(env, f"compose {host}")
            assert int(port) in _listening(svc["command"], cfg, svc.get("entrypoint", ["tradefleet"]))
    known = _known_metrics()
    rules = _yaml(CLOUD / "prometheus" / "alerts.yml")[0]
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dash = json.loads((CLOUD / "grafana" / "tradefleet.json").read_text())
    exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
    for expr in exprs:
        used = _metrics_in(expr)
        assert used, f"no metric found in {expr!r}"
        assert used <= known, f"{expr!r} uses unknown metrics {used - known}"


def test_terraform_parses_and_outputs_refer_to_declared_resources() -> None:
    import hcl2

    blocks: dict[str, list[Any]] = {}
    for path in sorted((CLOUD / "terraform").glob("*.tf")):
        with path.open() as fh:
            for key, value in hcl2.load(fh).items():
                blocks.setdefault(key, []).extend(value if isinstance(value, list) else [value])
    def bare(name: str) -> str:  # python-hcl2 keeps the quotes of block labels
        return name.strip('"')

    resources = {f"{bare(t)}.{bare(n)}" for r in blocks["resource"] for t, named in r.items() for n in named
                 if not t.startswith("__")}
    assert {"aws_db_instance.store", "aws_elasticache_replication_group.bus", "aws_eks_cluster.tradefleet"} <= resources
    variables = {bare(n) for v in blocks["variable"] for n in v}
    text = " ".join((CLOUD / "terraform" / f).read_text() for f in ("main.tf", "outputs.tf"))
    for ref in set(re.findall(r"\b(aws_[a-z_]+\.[a-z_]+)\b", text)):
        if not ref.startswith(("aws_iam_policy", )):
            assert ref in resources, f"terraform refers to undeclared {ref}"
    for var in set(re.findall(r"\bvar\.([a-z_]+)", text)):
        assert var in variables, f"terraform uses undeclared variable {var}"
    assert any("aws" in bare(name) for p in blocks["provider"] for name in p)


@pytest.mark.parametrize("key", ["TRADEFLEET__SCALE__BUS__NOPE", "TRADEFLEET__NOSECTION__X"])
def test_env_check_catches_an_unknown_variable(key: str) -> None:
    with pytest.raises(AssertionError):
        _check_env({key: "1"}, "probe")
    assert load_config(None, {}).scale.bus.kind == "inprocess"


def test_image_serves_the_dashboard_with_waitress_and_prometheus_sends_its_token() -> None:
    """The image installs the lock file, which pins waitress (the dashboard's WSGI server);
    the dashboard's /metrics scrape carries the bearer token the dashboard is given."""
    root = CLOUD.parent
    docker = (CLOUD / "Dockerfile").read_text()
    assert "pip install -r requirements-lock.txt" in docker
    lock = (root / "requirements-lock.txt").read_text().splitlines()
    assert any(re.fullmatch(r"waitress==\d+\.\d+\.\d+", line) for line in lock)
    assert re.search(r'"waitress==\d+\.\d+\.\d+"', (root / "pyproject.toml").read_text())
    serve = (root / "dashboard" / "serve.py").read_text()
    assert "waitress" in serve and "werkzeug.serving" not in serve
    assert "werkzeug.serving" not in (root / "app" / "cli" / "dashboard.py").read_text()
    services = _compose()["services"]
    assert services["dashboard"]["command"][0] == "dashboard"
    assert services["dashboard"]["environment"]["TRADEFLEET__METRICS__TOKEN"] == "env:METRICS_TOKEN"
    prom = _yaml(CLOUD / "prometheus" / "prometheus.yml")[0]
    job = next(j for j in prom["scrape_configs"] if j["job_name"] == "dashboard")
    secret = job["authorization"]["credentials_file"].rsplit("/", 1)[1]
    assert secret in services["prometheus"]["secrets"] and secret in _compose()["secrets"]
