"""A crisis window replayed through the real kernel (tradefleet.app.replay), not our engine."""

from __future__ import annotations

from pathlib import Path

from tradefleet.app.stress import crisis_replays
from tradefleet.app.config import AppConfig


def test_crisis_replay_full_pipeline_q4_2018(tmp_path: Path) -> None:
    rows = crisis_replays(AppConfig(), "spx-rsi2", store_dir=tmp_path, only=["q4-2018", "covid-2020"])
    by = {r.scenario: r for r in rows}
    q4 = by["q4-2018"]
    assert q4.data == "sp500" and q4.summary is not None
    assert q4.summary["start"].startswith("2018-10-01")
    assert q4.summary["bots"][0]["name"] == "spx-rsi2"
    assert (tmp_path / "stress-spx-rsi2-q4-2018.db").exists()   # its own store, not the operator's
    assert by["covid-2020"].summary is None and "not in the bundled data" in by["covid-2020"].note


def test_crisis_replay_maps_uncovered_symbol_to_sp500(tmp_path: Path) -> None:
    rows = crisis_replays(AppConfig(), "goog-ema-trend", store_dir=tmp_path, only=["q4-2018"])
    assert rows[0].data == "sp500" and rows[0].summary is not None   # GOOG data ends in 2013
