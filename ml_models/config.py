"""``[ml]`` config section: model registry root, training defaults, sentiment model."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tradefleet.orchestrator.sections import Section


class MLConfig(Section):
    """Settings of the ML pipeline (``[ml]`` in ``tradefleet.toml``)."""

    root: str = Field("var/models", description="model registry directory")
    assets: list[str] = Field(default_factory=lambda: ["SPX", "IXIC", "GOOG", "EUR/USD"],
                              description="symbols (or bundled dataset names) the weekly retrain covers")
    model: Literal["xgboost", "lightgbm", "lstm"] = "xgboost"
    objective: Literal["logloss", "profit"] = "logloss"
    horizon: int = Field(1, ge=1, description="label horizon in base bars")
    n_splits: int = Field(5, ge=2, description="walk-forward folds for the out-of-sample report")
    embargo: int = Field(5, ge=0, description="bars dropped after each test window")
    calibration: Literal["isotonic", "sigmoid", "none"] = "sigmoid"
    n_estimators: int = Field(200, ge=1)
    auto_promote: bool = Field(True, description="promote a retrained model only if it beats the naive baseline out of sample")
    retrain_cron: str = Field("0 6 * * sat", description="weekly retrain schedule (UTC crontab)")
    replay_walk_forward: bool = Field(False, description="in a replay, the ml source votes with models retrained on "
                                      "the simulated clock from bars before each cut-off (not the registry's)")
    replay_retrain_days: float = Field(365.0, gt=0, description="walk-forward cut-offs in a replay: every N days")
    sentiment_model_dir: str | None = Field(None, description="local FinBERT-style model folder; none = Loughran-McDonald lexicon")
