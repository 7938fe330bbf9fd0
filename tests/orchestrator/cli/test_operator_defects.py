"""Issue #18 command defects: ``bots list`` shows a bot that faulted in the last run as
faulted (with its error); tables are not cut at 80 columns when piped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tradefleet.orchestrator.store import Store

ROOT = Path(__file__).resolve().parents[3]


def test_bots_list_shows_a_faulted_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tradefleet.app.cli.bots import bot_rows

    url = f"sqlite:///{tmp_path}/tf.db"
    with Store.open(url) as store:
        store.upsert_bot("spx-rsi2", strategy="x", family="equities", asset_class="equity", status="faulted",
                         error="ZeroDivisionError: division by zero", updated_ns=1)
        store.upsert_bot("goog-rsi2", strategy="x", family="equities", asset_class="equity", status="ok",
                         error=None, updated_ns=1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEFLEET__ENGINE__STORE_URL", url)
    rows = {r["name"]: r for r in bot_rows(None)}
    assert rows["spx-rsi2"]["status"] == "faulted" and "ZeroDivisionError" in rows["spx-rsi2"]["error"]
    assert rows["goog-rsi2"]["status"] == "ok"


def test_piped_tables_are_not_cut_at_80_columns(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-m", "tradefleet.app.cli.main", "bots", "list"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, check=True).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) > 80
    assert "…" not in out  # no cell was truncated
    assert any(line.lstrip("│ ").startswith("spx-rsi2") for line in lines)
