"""The weekly retrain job: its schedule fires on Saturdays; outcomes, promotion policy, isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from tradefleet.ml_models.config import MLConfig
from tradefleet.ml_models.registry import ModelRegistry
from tradefleet.ml_models.training.schedule import RetrainJob, spec_from_config
from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.scheduler import build_trigger, next_fire_ns
from tradefleet.scrapers.bundled import load_dataset


def test_retrain_schedule_fires_weekly_on_saturday() -> None:
    job = RetrainJob.from_config(MLConfig())
    trigger = build_trigger(job.schedule)
    now = dt_to_ns(datetime(2026, 11, 18, 12, tzinfo=UTC))  # a Wednesday
    first = next_fire_ns(trigger, None, now)
    second = next_fire_ns(trigger, first, first)
    assert first is not None and second is not None
    fire = datetime.fromtimestamp(first / 1e9, UTC)
    assert (fire.weekday(), fire.hour) == (5, 6)
    assert second - first == 7 * 86_400 * 10**9


def test_retrain_registers_promotes_by_policy_and_isolates_failures(tmp_path: Path, spx: pd.DataFrame) -> None:
    cfg = MLConfig(root=str(tmp_path), n_estimators=10, n_splits=2, assets=["SPX", "btcusd"])
    frames = {"SPX": spx, "btcusd": load_dataset("btcusd")}
    job = RetrainJob(cfg, spec_from_config(cfg), loader=frames.__getitem__)
    spx_out, btc_out = job()
    assert spx_out.version == 1 and spx_out.error is None
    assert spx_out.promoted == bool(spx_out.metrics["beats_baseline"])
    reg = ModelRegistry(tmp_path)
    assert reg.promoted_version("SPX") == (1 if spx_out.promoted else None)
    assert btc_out.asset == "BTC/USD" and btc_out.version is None and "timeframe" in (btc_out.error or "")
