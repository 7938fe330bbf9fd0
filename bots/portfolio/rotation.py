"""Cross-asset momentum rotation with target weights.

At each month end the bot ranks its universe by trailing total return over ``lookback``
of each instrument's own bars, holds the ``top`` instruments with positive momentum in
equal weights summing to ``gross`` of the bot's capital (absolute-momentum filter: nothing
positive, nothing held), and keeps those weights until the next month end. Instruments whose series has
ended (no bar for a week) get weight 0. The weights are one :class:`Target` per fire:
the engine nets them against the book, drops rebalances under ``tolerance``, sends
reductions first, and the risk gate approves the whole set as one decision.

Real-data replay (``python -m bench.portfolio_bots --bots momentum-rotation``: bundled SPX,
NASDAQ and GOOG daily, 2005-01-03 to 2013-02-28 while all three print, default config with
every gate, fills at the next open; measured 2026-12-07 with weights of the bot's capital):
total return +19.05 %, 150 orders, 23 closed trades (52.2 % winners), 1,524 legs refused by
the gates, fees 115.16. Alone, the bot has the portfolio fleet's half of the account, and
its one holding at full weight is over the gate's 20 % position cap: 1,488 of the refusals
are ``max_position`` (the set is retried every fire while it is short of its target).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots.base import NYSE_CLOSE
from tradefleet.bots.portfolio.weights import frame_of, hold_between, month_ends, own_bars, stale
from tradefleet.orchestrator.bot import BotParams, BotSpec, PortfolioBot
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.panel import Panel

class RotationParams(BotParams):
    lookback: int = Field(126, ge=5, le=504, description="momentum window, bars of each instrument")
    top: int = Field(1, ge=1, le=20, description="instruments held")
    gross: float = Field(1.0, gt=0, le=2, description="sum of the held weights (fraction of the bot's capital)")
    tolerance: float = Field(0.02, ge=0, le=1, description="rebalances smaller than this share of its capital are skipped")


class MomentumRotationBot(PortfolioBot):
    description: ClassVar[str] = "Cross-asset momentum rotation: hold the top-N by trailing return, monthly"
    family: ClassVar[str] = "portfolio"
    Params: ClassVar[type[BotParams]] = RotationParams
    params: RotationParams

    @property
    def target_tolerance(self) -> float:  # type: ignore[override]
        return self.params.tolerance

    def warmup_bars(self) -> int:
        return self.params.lookback + 30

    def weights(self, panel: Panel) -> pd.DataFrame:
        p = self.params
        mom: dict[str, np.ndarray] = {}
        for j, sym in enumerate(panel.instruments):
            c = panel.values["close"][panel.present[:, j], j]
            m = np.full(len(c), np.nan)
            if len(c) > p.lookback:
                m[p.lookback:] = c[p.lookback:] / c[:-p.lookback] - 1.0
            mom[sym] = m
        on_panel = own_bars(panel, mom)
        # carry each instrument's latest momentum across rows it did not print
        filled = frame_of(panel, on_panel).ffill().to_numpy(copy=True)
        dead = stale(panel, 5)
        filled[dead] = np.nan
        # rank by momentum (ties: universe order); only positive momentum is held
        score = np.where(np.isnan(filled) | ~(filled > 0), -np.inf, filled)
        order = np.argsort(-score, axis=1, kind="stable")[:, : p.top]
        w = np.zeros_like(filled)
        rows = np.arange(len(filled))[:, None]
        chosen = np.isfinite(score[rows, order])
        w[np.broadcast_to(rows, order.shape)[chosen], order[chosen]] = p.gross / p.top
        w[np.isnan(filled).all(axis=1)] = np.nan  # no opinion until some momentum exists
        held = hold_between(month_ends(panel), w)
        held[dead] = 0.0
        return frame_of(panel, held)


MOMENTUM_ROTATION = BotSpec(
    name="momentum-rotation", bot=MomentumRotationBot, instruments=("SPX", "IXIC", "GOOG"), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.EQUITY, params={},
    description="Monthly momentum rotation over the bundled daily series (SPX, NASDAQ, GOOG), target weights",
)
