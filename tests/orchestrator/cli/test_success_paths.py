"""Success paths of commands that had none (issue 25): each runs as the user runs it (a
fresh process of the real CLI) and its output is checked against an independent reading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store


def _cli(cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tradefleet.app.cli.main", *args], cwd=cwd, env=dict(os.environ),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def test_api_token_create_list_revoke(tmp_path: Path) -> None:
    from tradefleet.dashboard.tokens import TokenStore

    url = f"sqlite:///{tmp_path}/t.db"
    made = _cli(tmp_path, "api-token", "create", "ops", "-s", "control", "--store", url)
    assert made.returncode == 0, made.stderr
    token = next(w for w in made.stdout.split() if w.startswith("tfk_"))
    with Store.open(url) as store:
        info = TokenStore(store, SimClock(1)).check(token)
        assert info is not None and info.name == "ops" and set(info.scopes) == {"read", "control"}
        assert token not in json.dumps([list(r) for r in store.engine.connect().exec_driver_sql(
            "select * from api_tokens").fetchall()], default=str)  # only its hash is stored
    listed = json.loads(_cli(tmp_path, "api-token", "list", "--store", url, "--json").stdout)
    assert [(r["name"], r["scopes"], r["revoked"]) for r in listed] == [("ops", "read,control", "-")]
    assert token not in json.dumps(listed)
    gone = _cli(tmp_path, "api-token", "revoke", "ops", "--store", url)
    assert gone.returncode == 0, gone.stderr
    with Store.open(url) as store:
        assert TokenStore(store, SimClock(1)).check(token) is None  # refused at once
    listed = json.loads(_cli(tmp_path, "api-token", "list", "--store", url, "--json").stdout)
    assert listed[0]["revoked"] != "-"
    again = _cli(tmp_path, "api-token", "revoke", "nobody", "--store", url)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1


def test_stress_json_matches_the_backtest_of_each_window(tmp_path: Path) -> None:
    from tradefleet.backtest.engine import SimSettings, run_backtest
    from tradefleet.backtest.history import load_with_warmup
    from tradefleet.orchestrator.registry import Registry

    out = _cli(tmp_path, "stress", "spx-rsi2", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["bot"] == "spx-rsi2"
    crises = {s["scenario"]: s for s in report["scenarios"] if s["kind"] == "crisis" and s["metrics"]}
    assert {"dotcom-2000", "gfc-2008", "q4-2018"} <= set(crises), sorted(crises)
    missing = [s for s in report["scenarios"] if s["kind"] == "crisis" and not s["metrics"]]
    assert all("not in the bundled data" in s["note"] for s in missing)  # said, never silently dropped
    shocks = [s for s in report["scenarios"] if s["kind"] != "crisis"]
    assert shocks  # the synthetic shocks are reported beside the crisis windows
    spec = Registry.discover(["bots"]).bot("spx-rsi2")
    for s in crises.values():  # each crisis row is the plain backtest of its window
        _, history, first = load_with_warmup(spec, None, s["start"], s["end"])
        ref = run_backtest(spec, history, SimSettings(fee=0.001, slippage=0.0005), start=first).metrics_json()
        assert abs(s["metrics"]["total_return"] - ref["total_return"]) < 1e-9, s["scenario"]
        assert s["metrics"]["trades"] == ref["trades"]
    assert not list(tmp_path.iterdir())  # a report command creates nothing
