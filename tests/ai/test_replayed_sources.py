"""The ``news`` and ``derivatives`` sources vote in a replay from recorded files
(``[replay] news`` / ``[replay] funding``), point in time; without a file they abstain and
say so. The files here are GENERATED (seeded random scores and rates), named so.

The expected votes are computed independently from the files: the news score is the mean
of the headlines published in the day up to the signal (headlines planted one hour AFTER
each day's close must never count), the funding vote reads the latest record at or before
the signal."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradefleet.app.cli.main import main
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay

DAY = 86_400 * 10**9


def _generated_files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(17)
    days = pd.date_range("2014-01-01", "2016-12-31", freq="D", tz="UTC")
    rows = []
    for d in days:
        close = d + pd.Timedelta(hours=21)
        rows.append({"published": (close - pd.Timedelta(hours=3)).isoformat(), "instrument": "SPX",
                     "title": "generated headline", "score": round(float(rng.uniform(-1, 1)), 4)})
        # planted: published after the close; a vote at the close must not see it
        rows.append({"published": (close + pd.Timedelta(hours=1)).isoformat(), "instrument": "SPX",
                     "title": "generated future headline", "score": 1.0})
    news = tmp_path / "generated_headlines.csv"
    pd.DataFrame(rows).to_csv(news, index=False)
    stamps = pd.date_range("2013-01-01", "2016-12-31", freq="8h", tz="UTC")
    funding = tmp_path / "generated_funding.csv"
    pd.DataFrame({"ts": stamps.as_unit("ns").asi8, "instrument": "BTC/USD",
                  "funding_rate": rng.normal(0, 0.0005, len(stamps)).round(7),
                  "open_interest": rng.uniform(1e4, 2e4, len(stamps)).round(1)}).to_csv(funding, index=False)
    return news, funding


def _votes(db: Path, source: str) -> list[tuple[int, str, dict]]:
    con = sqlite3.connect(db)
    rows = con.execute("select s.ts_init, s.instrument, d.data from signals s join gate_decisions d "
                       "on d.signal_id = s.signal_id and d.gate = 'ensemble'").fetchall()
    con.close()
    return [(ts, inst, v) for ts, inst, data in rows for v in json.loads(data).get("votes", []) if v["source"] == source]


def test_news_and_derivatives_vote_in_replay_from_recorded_files_point_in_time(tmp_path: Path) -> None:
    news, funding = _generated_files(tmp_path)
    cfg = AppConfig.model_validate({"replay": {"news": str(news), "funding": str(funding)}})
    db = tmp_path / "s.db"
    s = run_replay(cfg, bots=["spx-rsi2", "spx-sma-trend", "btc-monthly-momentum", "btc-fast-momentum"],
                   start="2015-01-01", end="2016-12-31", store_url=f"sqlite:///{db}")
    assert s.ensemble["news"]["voted"] > 0 and s.ensemble["derivatives"]["voted"] > 0  # run --json says so
    heads = pd.read_csv(news)
    h_ts = pd.to_datetime(heads["published"], utc=True, format="ISO8601").dt.as_unit("ns").astype("int64").to_numpy()
    h_score = heads["score"].to_numpy()
    news_votes = [(ts, v) for ts, inst, v in _votes(db, "news") if inst == "SPX"]
    voted = [(ts, v) for ts, v in news_votes if "abstain" not in v]
    assert len(voted) >= 5
    for ts, v in voted:
        seen = (h_ts >= ts - DAY) & (h_ts <= ts)
        assert v["detail"]["headlines"] == int(seen.sum())
        assert v["score"] == pytest.approx(float(h_score[seen].mean()), abs=1e-6)  # never a later headline
    fund = pd.read_csv(funding)
    f_ts, f_rate = fund["ts"].to_numpy(), fund["funding_rate"].to_numpy()
    d_votes = [(ts, v) for ts, inst, v in _votes(db, "derivatives") if inst == "BTC/USD"]
    d_voted = [(ts, v) for ts, v in d_votes if "abstain" not in v]
    assert d_voted, d_votes
    for ts, v in d_voted:
        k = int(np.searchsorted(f_ts, ts, side="right")) - 1
        assert v["detail"]["recorded_ns"] == int(f_ts[k]) <= ts
        assert v["score"] == pytest.approx(-math.tanh(f_rate[k] / 0.0005), abs=1e-6)


def test_without_recorded_files_they_abstain_and_say_why(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    s = run_replay(AppConfig(), bots=["spx-rsi2", "btc-fast-momentum"], start="2016-01-01", end="2016-12-31",
                   store_url=f"sqlite:///{db}")
    # the run summary (run --json "ensemble") says which sources never voted, and why
    assert s.ensemble["news"]["voted"] == 0 and s.ensemble["news"]["abstained"] > 0
    assert "unavailable: headlines are not recorded for replay" in s.ensemble["news"]["reasons"]
    assert "unavailable: funding history is not recorded for replay" in s.ensemble["derivatives"]["reasons"]
    assert s.ensemble["technical"]["voted"] > 0
    news = {v.get("abstain") for _, inst, v in _votes(db, "news") if inst == "SPX"}
    deriv = {v.get("abstain") for _, inst, v in _votes(db, "derivatives") if inst == "BTC/USD"}
    assert news == {"unavailable: headlines are not recorded for replay"}
    assert deriv == {"unavailable: funding history is not recorded for replay"}


def test_a_recorded_file_without_its_column_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "generated_headlines.csv"
    bad.write_text("published,instrument\n2016-01-04T18:00:00Z,SPX\n", encoding="utf-8")
    cfg = tmp_path / "tf.toml"
    cfg.write_text(f'[replay]\nnews = "{bad}"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["run", "--config", str(cfg), "--bot", "spx-rsi2", "--from", "2016-01-01", "--to", "2016-02-01",
              "--store", f"sqlite:///{tmp_path / 's.db'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "missing column(s) title" in err[0], err
