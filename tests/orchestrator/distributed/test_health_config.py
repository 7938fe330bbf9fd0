"""The [scale] config section, the executor it selects, the health endpoint and the CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradefleet.app.config import check_config, load_config
from tradefleet.orchestrator.distributed.config import ExecutorConfig
from tradefleet.backtest.executor import open_configured_executor
from tradefleet.orchestrator.distributed.health import HealthServer
from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus, connect
from tests.orchestrator.distributed.conftest import REDIS_URL


def test_scale_config_defaults_env_overlay_and_errors() -> None:
    cfg = load_config(None, {})
    assert (cfg.scale.bus.kind, cfg.scale.executor.kind) == ("inprocess", "local")
    cfg = load_config(None, {"TRADEFLEET__SCALE__BUS__KIND": "redis", "TRADEFLEET__SCALE__BUS__URL": "redis://r:6379/1",
                             "TRADEFLEET__SCALE__EXECUTOR__KIND": "dask",
                             "TRADEFLEET__SCALE__EXECUTOR__ADDRESS": "tcp://s:8786",
                             "TRADEFLEET__SCALE__LEASE__TTL_SECONDS": "20"})
    assert cfg.scale.bus.url == "redis://r:6379/1" and cfg.scale.executor.address == "tcp://s:8786"
    assert cfg.scale.lease.ttl_seconds == 20
    _, errors = check_config(None, {"TRADEFLEET__SCALE__EXECUTOR__KIND": "dask"})
    assert any("needs an address" in e for e in errors)
    _, errors = check_config(None, {"TRADEFLEET__SCALE__LEASE__RENEW_SECONDS": "30"})
    assert any("renew_seconds must be shorter" in e for e in errors)
    _, errors = check_config(None, {"TRADEFLEET__SCALE__BUS__KIND": "kafka"})
    assert errors and "scale.bus.kind" in errors[0]


def _square(x: int) -> int:
    return x * x


def test_configured_executor_local_and_dask() -> None:
    with open_configured_executor(ExecutorConfig(kind="local", workers=1)) as ex:
        assert ex.submit(_square, 7).result() == 49
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with open_configured_executor(ExecutorConfig(kind="dask", address=cluster.scheduler_address)) as ex:
            assert [f.result() for f in [ex.submit(_square, i) for i in range(4)]] == [0, 1, 4, 9]


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_health_endpoints(prefix: str) -> None:
    bus = RedisStreamsBus(connect(REDIS_URL), group="g", consumer="c", prefix=prefix)
    state = {"live": True, "ready": True}
    server = HealthServer("127.0.0.1", 0, bus, "worker", live=lambda: state["live"], ready=lambda: state["ready"])
    try:
        assert _get(server.port, "/healthz") == (200, "ok\n")
        assert _get(server.port, "/readyz") == (200, "ready\n")
        state.update(live=False, ready=False)  # e.g. the lease is lost
        assert _get(server.port, "/healthz")[0] == 503 and _get(server.port, "/readyz")[0] == 503
        bus.publish("x", 1)
        code, text = _get(server.port, "/metrics")
        assert code == 200 and 'tradefleet_bus_published_total{role="worker"} 1' in text
        assert _get(server.port, "/nope")[0] == 404
    finally:
        server.close()
    down = RedisStreamsBus(connect("redis://127.0.0.1:1/0"), group="g", consumer="c", prefix=prefix)
    server = HealthServer("127.0.0.1", 0, down, "worker", live=lambda: True)
    try:
        assert _get(server.port, "/readyz")[0] == 503  # Redis unreachable: not ready
    finally:
        server.close()


def test_cli_lease_status_and_take(tmp_path: Path) -> None:
    from tradefleet.app.cli.main import build_app

    url = f"sqlite:///{tmp_path / 'tf.db'}"
    app = build_app()
    runner = CliRunner()
    res = runner.invoke(app, ["lease", "status", "--store", url])
    assert res.exit_code == 1 and not (tmp_path / "tf.db").exists()  # a read-only command creates no store
    from tradefleet.orchestrator.store import Store

    Store.open(url).close()
    res = runner.invoke(app, ["lease", "status", "--store", url])
    assert res.exit_code == 0 and "no lease" in res.output
    res = runner.invoke(app, ["lease", "take", "--store", url, "--holder", "ops"])
    assert res.exit_code == 0 and "token 1" in res.output
    res = runner.invoke(app, ["lease", "take", "--store", url, "--holder", "ops2"])
    assert "token 2" in res.output
    res = runner.invoke(app, ["lease", "status", "--store", url, "--json"])
    [row] = json.loads(res.output)
    assert (row["holder"], row["token"], row["live"]) == ("ops2", 2, True)


def test_worker_command_refuses_the_inprocess_bus() -> None:
    from tradefleet.app.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["worker"])
    assert info.value.code == 2
