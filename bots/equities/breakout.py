"""Channel breakout: the Donchian (turtle) rule."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import TRENDING, NYSE_CLOSE, BarBot, bars_of, long_short, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class DonchianParams(BotParams):
    """Channel lengths of :class:`DonchianBreakoutBot`."""

    entry_period: int = Field(55, ge=5, le=300, description="enter on a close beyond this many bars' extreme")
    exit_period: int = Field(20, ge=2, le=300, description="exit on a close beyond the opposite extreme")
    allow_short: bool = Field(False)
    atr_period: int = Field(20, ge=2, le=100)

    @model_validator(mode="after")
    def _exit_shorter(self) -> DonchianParams:
        if self.exit_period > self.entry_period:
            raise ValueError("exit_period must not exceed entry_period")
        return self


class DonchianBreakoutBot(BarBot):
    """Buy a close above the prior N-bar high; sell a close below the prior M-bar low."""

    description: ClassVar[str] = "Donchian channel breakout (turtle rules): enter on N-bar extremes, exit on M-bar"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = DonchianParams
    params: DonchianParams

    def lookback(self) -> int:
        return max(self.params.entry_period, self.params.atr_period) + 1

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        up_in, lo_in = ta.donchian(b.high, b.low, p.entry_period)
        up_out, lo_out = ta.donchian(b.high, b.low, p.exit_period)
        c = b.close
        if p.allow_short:
            sig = long_short(c > up_in, c < lo_out, c < lo_in, c > up_out)
        else:
            sig = long_short(c > up_in, c < lo_out)
        atr = ta.atr(b.high, b.low, c, p.atr_period)
        # The exit channel is the natural stop; confidence falls as the stop gets far (in ATRs).
        stop = np.where(sig > 0, lo_out, np.where(sig < 0, up_out, np.nan))
        with np.errstate(divide="ignore", invalid="ignore"):
            conf = np.clip(2.0 / np.maximum(np.abs(c - stop) / atr, 1e-9), 0.2, 1.0)
        return signal_frame(frame, sig, conf, stop=stop)


IXIC_DONCHIAN = BotSpec(
    name="ixic-donchian-breakout", bot=DonchianBreakoutBot, instruments=("IXIC",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.INDEX, params={"entry_period": 55, "exit_period": 20},
    regimes=TRENDING, description="NASDAQ Composite 55/20-day Donchian breakout, long only",
)
GOOG_DONCHIAN = BotSpec(
    name="goog-donchian-breakout", bot=DonchianBreakoutBot, instruments=("GOOG",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.EQUITY, params={"entry_period": 20, "exit_period": 10, "allow_short": True},
    regimes=TRENDING, description="GOOG 20/10-day Donchian breakout, long/short",
)
