"""A replay with a promoted point-in-time model (``train --until``): the ensemble's ML
source votes only at times after the model's training data ended, and says why it
abstains before."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tradefleet.app.cli.main import main
from tradefleet.app.config import load_config
from tradefleet.app.replay import run_replay

BOTS = ["goog-adx-trend", "goog-aroon-trend", "goog-bollinger-reversion", "goog-donchian-breakout",
        "goog-double-sevens", "goog-ema-trend"]


def test_ml_votes_only_with_models_trained_before_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "tradefleet.toml"
    cfg.write_text(f'[ml]\nroot = "{tmp_path / "models"}"\nn_estimators = 10\nn_splits = 2\nauto_promote = false\n')
    main(["train", "goog", "--until", "2008-12-31", "--promote", "--config", str(cfg), "--json"])
    capsys.readouterr()
    main(["models", "list", "--config", str(cfg), "--json"])
    train_end = pd.Timestamp(json.loads(capsys.readouterr().out)[0]["train_end"]).value
    run_replay(load_config(cfg), bots=BOTS, start="2008-06-01", end="2009-12-31",
               store_url=f"sqlite:///{tmp_path}/s.db")
    con = sqlite3.connect(tmp_path / "s.db")
    rows = con.execute("select s.ts_init, d.data from signals s join gate_decisions d on d.signal_id = s.signal_id "
                       "and d.gate = 'ensemble'").fetchall()
    con.close()
    voted, abstained = [], []
    for ts, data in rows:
        for v in json.loads(data).get("votes", []):
            if v["source"] == "ml":
                (abstained if "abstain" in v else voted).append((ts, v))
    assert voted and abstained
    assert all(ts > train_end for ts, _ in voted)  # never a model trained on its own future
    # refused until the last bar it read (its labels read one bar past train_end): 2008-12-31
    data_end = pd.Timestamp("2009-01-01", tz="UTC").value
    assert all(ts >= data_end for ts, _ in voted)
    assert all(ts < data_end and "after now" in v["abstain"] for ts, v in abstained)
