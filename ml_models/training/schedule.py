"""The weekly retraining job: a Schedule plus a function the orchestrator's scheduler calls.

``RetrainJob.from_config(cfg).run()`` trains every configured asset, registers each new
version, and promotes it only when ``auto_promote`` is on and its walk-forward log-loss
beats the naive base-rate baseline (otherwise the current promotion stays). Each
asset's failure is recorded and the others still train.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.bot import Schedule
from tradefleet.orchestrator.errors import TradefleetError

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.ml_models.config import MLConfig
    from tradefleet.ml_models.training.trainer import Progress, TrainSpec
    from tradefleet.orchestrator.clock import Clock

JOB_ID = "ml.retrain"


def load_asset_frame(asset: str) -> pd.DataFrame:
    """Return the bar frame of ``asset``: a bundled dataset name or a bundled symbol."""
    from tradefleet.scrapers.bundled import DATASETS, dataset_for, load_dataset

    return load_dataset(asset if asset in DATASETS else dataset_for(asset).name)


def asset_symbol(asset: str) -> str:
    """Return the symbol of a bundled dataset name (other names unchanged)."""
    from tradefleet.scrapers.bundled import DATASETS

    return DATASETS[asset].symbol if asset in DATASETS else asset


def spec_from_config(cfg: MLConfig, kind: str | None = None, objective: str | None = None) -> TrainSpec:
    """Return the TrainSpec of the ``[ml]`` section (``kind``/``objective`` override it)."""
    from tradefleet.ml_models.training.trainer import TrainSpec

    return TrainSpec(kind=kind or cfg.model, objective=objective or cfg.objective, horizon=cfg.horizon,
                     n_splits=cfg.n_splits, embargo=cfg.embargo, calibration=cfg.calibration,
                     n_estimators=cfg.n_estimators)


@dataclass(frozen=True)
class AssetOutcome:
    """What retraining did for one asset."""

    asset: str
    version: int | None = None
    promoted: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RetrainJob:
    """Weekly retraining of the configured assets (register, maybe promote)."""

    cfg: MLConfig
    spec: TrainSpec
    clock: Clock | None = None
    loader: Callable[[str], pd.DataFrame] = load_asset_frame

    @classmethod
    def from_config(cls, cfg: MLConfig, clock: Clock | None = None) -> RetrainJob:
        """Build the job from the ``[ml]`` section."""
        return cls(cfg, spec_from_config(cfg), clock)

    @property
    def schedule(self) -> Schedule:
        """Return when the job fires (``[ml] retrain_cron``, UTC)."""
        return Schedule.crontab(self.cfg.retrain_cron, timezone="UTC")

    def run(self, assets: list[str] | None = None, progress: Progress | None = None) -> list[AssetOutcome]:
        """Retrain ``assets`` (default: ``[ml] assets``); return one outcome per asset."""
        return [self.retrain(a, progress) for a in (assets or self.cfg.assets)]

    def __call__(self) -> list[AssetOutcome]:
        """Scheduler entry point."""
        return self.run()

    def retrain(self, asset: str, progress: Progress | None = None) -> AssetOutcome:
        """Train, register and (per policy) promote one asset."""
        from tradefleet.ml_models.registry import ModelRegistry
        from tradefleet.ml_models.training.trainer import train_asset

        symbol = asset_symbol(asset)
        try:
            result = train_asset(self.loader(asset), symbol, self.spec, progress)
        except TradefleetError as exc:
            return AssetOutcome(symbol, error=str(exc))
        registry = ModelRegistry(self.cfg.root, self.clock)
        card = registry.register(result.model)
        promote = self.cfg.auto_promote and bool(result.metrics.get("beats_baseline"))
        if promote and card.version is not None:
            registry.promote(symbol, card.version)
        return AssetOutcome(symbol, card.version, promote, result.metrics)
