"""Walk-forward retraining inside a replay (``[ml] replay_walk_forward``): the ML source
votes with models retrained on the simulated clock, each from bars that closed before its
cut-off, so a long replay never votes with a model trained on its future; a planted leak
(a model that saw later bars) is refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tradefleet.ai.ensemble.sources.external import MLModelSource, RegistryPredictor
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay
from tradefleet.ml_models.errors import FutureLeak
from tradefleet.ml_models.training.spec import TrainSpec
from tradefleet.ml_models.walkforward import DAY_NS, WalkForwardModels, WalkForwardPredictor
from tradefleet.orchestrator.clock import SimClock
from tradefleet.scrapers.bundled import load_dataset

SPEC = TrainSpec(n_estimators=10, n_splits=2)


def test_every_ml_vote_in_a_replay_comes_from_a_model_cut_off_before_its_bar(tmp_path: Path) -> None:
    cfg = AppConfig.model_validate({"ml": {"replay_walk_forward": True, "replay_retrain_days": 365,
                                           "n_estimators": 10}})
    run_replay(cfg, bots=["spx-rsi2", "spx-sma-trend"], start="2009-06-01", end="2010-06-30",
               store_url=f"sqlite:///{tmp_path}/s.db")
    con = sqlite3.connect(tmp_path / "s.db")
    rows = con.execute("select s.ts_init, d.data from signals s join gate_decisions d on d.signal_id = s.signal_id "
                       "and d.gate = 'ensemble'").fetchall()
    con.close()
    votes = [(ts, v) for ts, data in rows for v in json.loads(data).get("votes", []) if v["source"] == "ml"]
    voted = [(ts, v["detail"]) for ts, v in votes if "abstain" not in v]
    assert len(voted) >= 5, votes
    for ts, d in voted:
        assert d["model"] == "walk-forward"
        assert d["model_data_end_ns"] < d["model_cutoff_ns"] <= ts  # trained only on bars before the vote
        assert ts - d["model_cutoff_ns"] < 365 * DAY_NS  # the model in force: the latest cut-off
    assert len({d["model_cutoff_ns"] for _, d in voted}) >= 2  # it retrained during the replay


class _Data:
    """A market view: the bars closed up to the clock (what a replay hands the sources)."""

    def __init__(self, frame: pd.DataFrame, clock: SimClock) -> None:
        self.full, self.clock = frame, clock

    def frame(self, _symbol: str) -> pd.DataFrame:
        return self.full.loc[self.full.index.as_unit("ns").asi8 <= self.clock.now_ns()]


def test_a_planted_future_leak_is_refused_and_the_source_abstains(monkeypatch: pytest.MonkeyPatch) -> None:
    spx = load_dataset("sp500")
    now = pd.Timestamp("2010-03-01 21:00", tz="UTC").value
    clock = SimClock(now)
    data = _Data(spx, clock)
    honest = WalkForwardModels(data.frame, SPEC, 365)
    pit = honest.model_at("SPX", now)
    assert pit.data_end_ns < pit.cutoff_ns <= now
    # planted: the history hands over every bundled bar (the future too) and the cut is skipped
    leaky = WalkForwardModels(lambda _s: spx, SPEC, 365)
    monkeypatch.setattr(leaky, "cut", lambda frame, _cutoff: frame)
    with pytest.raises(FutureLeak, match="refused"):
        leaky.model_at("SPX", now)
    source = MLModelSource(WalkForwardPredictor(leaky, data, clock))

    class _Ctx:
        class signal:  # noqa: N801 - the attribute the source reads
            instrument = "SPX"
        frame = data.frame("SPX")

    vote = source.vote(_Ctx())  # type: ignore[arg-type]
    assert vote.abstain and "refused" in vote.abstain
    ok = MLModelSource(WalkForwardPredictor(honest, data, clock)).vote(_Ctx())  # type: ignore[arg-type]
    assert not ok.abstain and ok.detail["model_cutoff_ns"] == pit.cutoff_ns


def test_registry_model_is_refused_until_the_last_bar_its_labels_read() -> None:
    from tradefleet.ml_models.training.trainer import train_asset

    spx = load_dataset("sp500")
    frame = spx.loc[spx.index < pd.Timestamp("2009-01-01", tz=spx.index.tz)]
    model = train_asset(frame, "SPX", SPEC, report=False).model
    last_bar = int(frame.index[-1].value)
    assert pd.Timestamp(model.card.train_end).value < last_bar == model.card.params["data_end_ns"]

    class _Reg:
        def load_promoted(self, _asset: str) -> object:
            return model

    clock = SimClock(last_bar - 1)  # after the last labelled row, before the bar its label read
    pred = RegistryPredictor(_Reg(), _Data(spx, clock), clock)
    assert pred.predict("SPX", frame) is None and "after now" in pred.last_reason
    clock.set_ns(last_bar + DAY_NS)
    assert pred.predict("SPX", frame) is not None
