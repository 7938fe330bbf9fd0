"""`tradefleet new-bot` builds a separate package that installs, lists, backtests and replays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tradefleet.orchestrator.errors import ConfigError
from tradefleet.app.scaffold import scaffold

TF = [sys.executable, "-m", "tradefleet.app.cli.main"]


def run(args: list[str], cwd: Path, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFLEET__")}
    if site is not None:  # the scaffolded package lives in the test's own folder, never in the project's venv
        env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, f"{' '.join(args)}: {proc.stderr[-3000:]}"
    return proc


def test_scaffolded_bot_installs_lists_backtests_and_replays(tmp_path: Path) -> None:
    run([*TF, "new-bot", "demo-trend", "--dir", str(tmp_path)], tmp_path)
    pkg = tmp_path / "tradefleet-demo-trend"
    assert (pkg / "pyproject.toml").exists() and (pkg / "src" / "tradefleet_demo_trend" / "bot.py").exists()
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile",
           "--target", str(site), str(pkg)]
    run(pip, tmp_path)
    listed = json.loads(run([*TF, "bots", "list", "--json"], tmp_path, site).stdout)
    row = next(r for r in listed if r["name"] == "demo-trend")
    assert row["status"] == "ok" and row["strategy"].startswith("tradefleet_demo_trend.bot.")
    run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg / "tests")], tmp_path, site)
    bt = json.loads(run([*TF, "backtest", "demo-trend", "--json"], tmp_path, site).stdout)
    assert bt  # the vectorized engine ran the third-party bot
    s = json.loads(run([*TF, "run", "--json", "--bot", "demo-trend", "--from", "2015-01-01", "--to", "2016-12-31"],
                       tmp_path, site).stdout)
    assert s["bots"][0]["name"] == "demo-trend" and s["bots"][0]["evaluations"] > 400
    # nothing was installed into the project's environment
    assert "demo-trend" not in run([*TF, "bots", "list", "--json"], tmp_path).stdout


def test_scaffold_rejects_bad_names_and_existing_folders(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lower-case"):
        scaffold("Bad_Name", tmp_path)
    scaffold("ok-bot", tmp_path)
    with pytest.raises(ConfigError, match="already exists"):
        scaffold("ok-bot", tmp_path)
    with pytest.raises(ConfigError, match="not in the bundled data"):
        scaffold("other", tmp_path, instrument="TSLA")


@pytest.mark.parametrize("kind,expect", [("portfolio", "target"), ("orders", "order"), ("quotes", "quote")])
def test_scaffolded_intent_bots_pass_their_tests_and_trade_in_a_replay(tmp_path: Path, kind: str, expect: str) -> None:
    import importlib

    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.app.replay import Replay

    name = f"demo-{kind}"
    run([*TF, "new-bot", name, "--kind", kind, "--dir", str(tmp_path)], tmp_path)
    src = tmp_path / f"tradefleet-{name}" / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(src.parent / "tests")], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env=env)
    assert proc.returncode == 0, proc.stdout[-2000:]
    sys.path.insert(0, str(src))
    try:
        module = importlib.import_module(f"tradefleet_demo_{kind}.bot")
        reg = Registry.discover(["bots", "gates", "sources", "vetoes", "providers", "brokers"])
        reg.add_entry("bots", name, f"tradefleet_demo_{kind}.bot:DEMO_{kind.upper()}",
                      lambda: getattr(module, f"DEMO_{kind.upper()}"))
        s = Replay(AppConfig.model_validate({"pipeline": {"stages": ["risk"]}}), bots=[name], start="2008-01-01",
                   end="2009-12-31", store_url=f"sqlite:///{tmp_path}/r.db", registry=reg).run()
    finally:
        sys.path.remove(str(src))
    assert s.bots[0].evaluations > 400 and s.signals > 0 and s.orders > 0
    from tradefleet.orchestrator.store import Store

    store = Store.open(f"sqlite:///{tmp_path}/r.db")
    kinds = {sig.meta.get("kind") for sig in store.signals(bot=name)}
    store.close()
    assert kinds == {expect}


def test_scaffold_rejects_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bot kind"):
        scaffold("ok-bot", tmp_path, kind="spread")
    assert not (tmp_path / "tradefleet-ok-bot").exists()
