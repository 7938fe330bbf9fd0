"""The ``[validation]`` config section: the live-trading gate's thresholds and how it runs."""

from __future__ import annotations

from pydantic import Field

from tradefleet.orchestrator.sections import Section


class ValidationConfig(Section):
    """Thresholds a bot's latest validation must meet before it may trade live."""

    min_trades: int = Field(100, ge=0, description="closed trades in the full-history backtest")
    min_win_rate: float = Field(0.45, ge=0, le=1)
    min_sharpe: float = Field(1.0, description="annualised Sharpe of the full-history backtest")
    require_clean_lookahead: bool = True
    min_oos_sharpe: float = Field(0.0, description="walk-forward out-of-sample Sharpe must exceed this")
    fee: float = Field(0.001, ge=0, lt=0.1, description="fee fraction per side used by validation runs")
    slippage: float = Field(0.0005, ge=0, lt=0.1, description="adverse fill fraction used by validation runs")
    max_drawdown: float = Field(0.25, gt=0, le=1, description="fleet gate (validate --fleet): deepest drawdown of "
                                "the combined equity, fraction of its peak")
    wf_folds: int = Field(4, ge=2, le=50)
    wf_anchored: bool = False
    lookahead_checkpoints: int = Field(12, ge=2, le=200)
    cluster: str | None = Field(None, description="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    paper_store: str | None = Field(None, description="the paper-trading store the live gate trusts (SQLAlchemy "
                                    "URL); read, never written")
    paper_days: float = Field(14.0, ge=0, description="paper-trading days the live gate requires")
    paper_trades: int = Field(0, ge=0, description="paper fills each live bot needs in the paper store")
