"""Risk parity (inverse volatility) with target weights.

At each month end every instrument with a full ``vol_window`` of its own daily returns
gets a weight proportional to 1 / its volatility, scaled so the weights sum to ``gross``
(of the bot's capital: 1.0 invests all of it), each capped at ``max_weight``; instruments
whose series has ended get 0. One :class:`Target` per fire, approved by the risk gate as one
decision.

Real-data replay (``python -m bench.portfolio_bots --bots risk-parity``: bundled SPX, NASDAQ and
GOOG daily, 2005-01-03 to 2013-02-28, default config with every gate, fills at the next
open; measured 2026-12-07 with weights of the bot's capital): total return +38.30 %, 254
orders, 52 closed trades (88.5 % winners), 820 rebalance legs refused by the gates, fees
22.86. Alone, the bot has the portfolio fleet's half of the account, so a 0.5 weight is a
quarter of it: the gate's 20 % position cap holds it back (1,369 ``max_position`` decisions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import NYSE_CLOSE
from tradefleet.bots.portfolio.weights import frame_of, hold_between, month_ends, own_bars, stale
from tradefleet.orchestrator.bot import BotParams, BotSpec, PortfolioBot
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.panel import Panel

class RiskParityParams(BotParams):
    vol_window: int = Field(63, ge=10, le=504, description="bars of each instrument's return volatility")
    gross: float = Field(1.0, gt=0, le=2, description="sum of the weights (fraction of the bot's capital)")
    max_weight: float = Field(0.5, gt=0, le=1, description="cap on any one weight")
    tolerance: float = Field(0.02, ge=0, le=1)


class RiskParityBot(PortfolioBot):
    description: ClassVar[str] = "Risk parity: inverse-volatility weights, rebalanced monthly"
    family: ClassVar[str] = "portfolio"
    Params: ClassVar[type[BotParams]] = RiskParityParams
    params: RiskParityParams

    @property
    def target_tolerance(self) -> float:  # type: ignore[override]
        return self.params.tolerance

    def warmup_bars(self) -> int:
        return self.params.vol_window + 30

    def weights(self, panel: Panel) -> pd.DataFrame:
        p = self.params
        vols: dict[str, np.ndarray] = {}
        for j, sym in enumerate(panel.instruments):
            c = panel.values["close"][panel.present[:, j], j]
            r = np.full(len(c), np.nan)
            if len(c) > 1:
                r[1:] = np.diff(np.log(c))
            vols[sym] = ta.rolling_std(r, p.vol_window, ddof=1) if len(c) >= p.vol_window else np.full(len(c), np.nan)
        vol = frame_of(panel, own_bars(panel, vols)).ffill().to_numpy(copy=True)
        dead = stale(panel, 5)
        vol[dead] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(vol > 0, 1.0 / vol, np.nan)
        total = np.nansum(inv, axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(total > 0, np.nan_to_num(inv) / total * p.gross, np.nan)
        w = np.minimum(w, p.max_weight)
        held = hold_between(month_ends(panel), w)
        held[dead] = 0.0
        return frame_of(panel, held)


RISK_PARITY = BotSpec(
    name="risk-parity", bot=RiskParityBot, instruments=("SPX", "IXIC", "GOOG"), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={},
    description="Inverse-volatility risk parity over the bundled daily series, target weights, monthly",
)
