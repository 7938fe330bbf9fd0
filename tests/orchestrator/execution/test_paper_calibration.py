"""The paper broker prices slippage with the newest stored calibration (its fills record the
version, in the store too), and the scheduled recalibration job of paper and live runs.

Bars are generated (synthetic) minute bars, named so. Calibration rows for a live account
are written as ``tradefleet tca-calibrate`` writes them; where fills must be measured, the
harness's own account is named as the live one (real configs never calibrate on paper).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefleet.orchestrator.execution.calibrate import CalibrationJob
from tradefleet.orchestrator.execution.exec_store import ExecStore
from tradefleet.orchestrator.execution.paper import PaperBroker
from tradefleet.orchestrator.store import Store
from tests.orchestrator.execution.test_exec_engine import TWAP, children, harness


def _paper(h) -> PaperBroker:  # type: ignore[no-untyped-def]
    broker = h.engine.oms.broker("paper")
    assert isinstance(broker, PaperBroker)
    return broker


def _expected(h, fill) -> float:  # type: ignore[no-untyped-def]
    """The fill model's taker price of a market buy at its bar's open, with the paper costs."""
    frame = h.frames["XYZ"]
    bar = frame.loc[frame.index[frame.index.asi8 <= fill.ts_event][-1]]
    cfg = _paper(h)._calibrated.get("XYZ", _paper(h).fill_config)
    impact = min(cfg.impact_bps_per_pct_volume * float(fill.quantity) / bar["volume"] * 100.0, cfg.max_impact_bps)
    return bar["open"] * (1 + (cfg.spread_bps / 2 + cfg.slippage_bps + impact) / 1e4)


def test_the_paper_broker_uses_the_newest_calibration_and_its_fills_record_it(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/intents.db")
    es = ExecStore(store)
    es.save_calibration("alpaca-live:XYZ:1", "alpaca-live", "XYZ", 1.0, 1.0, 5.0, 40, 1)
    es.save_calibration("alpaca-live:XYZ:2", "alpaca-live", "XYZ", 1.2, 1.0, 25.0, 60, 2)  # the newest
    es.save_calibration("alpaca-live:ABC:2", "alpaca-live", "ABC", 1.0, 1.0, 99.0, 60, 2)  # not traded here
    h = harness(tmp_path, TWAP)
    h.store.close()
    h = harness(tmp_path, TWAP)  # a kernel assembled on the store holding the calibrations
    assert _paper(h).calibrations["XYZ"] == ("alpaca-live:XYZ:2", 25.0)
    h.run(12)
    fills = h.store.fills()  # read back from the store
    assert fills and all(f.model == "alpaca-live:XYZ:2" for f in fills)
    for f in fills:
        assert float(f.price) == pytest.approx(_expected(h, f), rel=1e-12)
    assert _paper(h)._calibrated["XYZ"].slippage_bps == 25.0 != _paper(h).fill_config.slippage_bps
    h.close()
    store.close()


def test_without_a_calibration_or_with_it_off_fills_use_the_configured_slippage(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/intents.db")
    ExecStore(store).save_calibration("alpaca-live:XYZ:2", "alpaca-live", "XYZ", 1.2, 1.0, 25.0, 60, 2)
    store.close()
    h = harness(tmp_path, {**TWAP, "paper_calibration": False})
    assert _paper(h).calibrations == {}
    h.run(12)
    fills = h.store.fills()
    assert fills and all(f.model == "" for f in fills)
    assert all(float(f.price) == pytest.approx(_expected(h, f), rel=1e-12) for f in fills)
    h.close()


def test_the_scheduled_job_recalibrates_from_live_fills_and_the_paper_broker_follows(tmp_path: Path) -> None:
    h = harness(tmp_path, TWAP)
    h.run(20)
    assert len(children(h)) >= 5
    # the job with the harness's own account named as the live one (see the module doc)
    job = CalibrationJob(h.engine, h.store, "paper", ["paper"], h.clock, min_samples=5)
    done = job()
    assert len(done) == 1 and done[0].instrument == "XYZ"
    version = done[0].version
    assert ExecStore(h.store).calibrations()[-1]["version"] == version
    assert _paper(h).calibrations["XYZ"] == (version, done[0].slippage_bps)
    assert h.engine.desk.scales["XYZ"].version == version  # type: ignore[union-attr]
    before = len(h.store.fills())
    h.run(10)
    new = h.store.fills()[before:]
    assert new and all(f.model == version for f in new)
    # a live account with too few fills is left alone: no new version
    assert CalibrationJob(h.engine, h.store, "paper", ["alpaca-live"], h.clock)() == []
    h.close()


def test_calibration_is_scheduled_in_paper_and_live_runs_only_with_a_live_account(tmp_path: Path) -> None:
    from tradefleet.app.config import AppConfig
    from tradefleet.app.live import calibration_job

    h = harness(tmp_path, TWAP)
    assert calibration_job(AppConfig(), h.kernel, h.store, h.clock) is None  # no live account: nothing to learn from
    live = AppConfig.model_validate({"accounts": {"alpaca": {"venue": "alpaca", "live": True}},
                                     "execution": {"calibrate_every": "12h"}})
    job, schedule = calibration_job(live, h.kernel, h.store, h.clock)  # type: ignore[misc]
    assert isinstance(job, CalibrationJob) and job.live_accounts == ("alpaca",)
    assert schedule.kind == "interval" and schedule.every == "12h"
    off = AppConfig.model_validate({"accounts": {"alpaca": {"venue": "alpaca", "live": True}},
                                    "execution": {"calibrate_every": None}})
    assert calibration_job(off, h.kernel, h.store, h.clock) is None
    from tradefleet.orchestrator.errors import ConfigError

    paper = AppConfig.model_validate({"accounts": {"alpaca": {"venue": "alpaca", "live": True}},
                                      "execution": {"calibrate_accounts": ["paper"]}})
    with pytest.raises(ConfigError, match="'paper' is not a live account") as bad:
        calibration_job(paper, h.kernel, h.store, h.clock)
    assert "\n" not in str(bad.value)
    with pytest.raises(Exception, match="calibrate_every") as err:
        AppConfig.model_validate({"execution": {"calibrate_every": "often"}})
    assert "often" in str(err.value)
    h.close()
