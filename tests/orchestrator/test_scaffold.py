"""`tradefleet new-bot` builds a separate package that installs, lists, backtests and replays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.scaffold import scaffold

TF = [sys.executable, "-m", "orchestrator.cli.main"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if not k.startswith("TRADEFLEET__")})
    assert proc.returncode == 0, f"{' '.join(args)}: {proc.stderr[-3000:]}"
    return proc


def test_scaffolded_bot_installs_lists_backtests_and_replays(tmp_path: Path) -> None:
    run([*TF, "new-bot", "demo-trend", "--dir", str(tmp_path)], tmp_path)
    pkg = tmp_path / "tradefleet-demo-trend"
    assert (pkg / "pyproject.toml").exists() and (pkg / "src" / "tradefleet_demo_trend" / "bot.py").exists()
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(pkg)]
    run(pip, tmp_path)
    try:
        listed = json.loads(run([*TF, "bots", "list", "--json"], tmp_path).stdout)
        row = next(r for r in listed if r["name"] == "demo-trend")
        assert row["status"] == "ok" and row["strategy"].startswith("tradefleet_demo_trend.bot.")
        run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg / "tests")], tmp_path)
        bt = json.loads(run([*TF, "backtest", "demo-trend", "--json"], tmp_path).stdout)
        assert bt  # the vectorized engine ran the third-party bot
        s = json.loads(run([*TF, "run", "--json", "--bot", "demo-trend", "--from", "2015-01-01", "--to", "2016-12-31"],
                           tmp_path).stdout)
        assert s["bots"][0]["name"] == "demo-trend" and s["bots"][0]["evaluations"] > 400
    finally:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", "tradefleet-demo-trend"],
                       capture_output=True, timeout=300)


def test_scaffold_rejects_bad_names_and_existing_folders(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lower-case"):
        scaffold("Bad_Name", tmp_path)
    scaffold("ok-bot", tmp_path)
    with pytest.raises(ConfigError, match="already exists"):
        scaffold("ok-bot", tmp_path)
    with pytest.raises(ConfigError, match="not in the bundled data"):
        scaffold("other", tmp_path, instrument="TSLA")
