"""MACD crossover trend following for FX on hourly bars."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import FX_HOURLY, TRENDING, BarBot, atr_levels, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class MacdParams(BotParams):
    """Spans and filter of :class:`MacdCrossBot`."""

    fast: int = Field(12, ge=2, le=100)
    slow: int = Field(26, ge=3, le=300)
    signal: int = Field(9, ge=2, le=100)
    min_hist_atr: float = Field(0.05, ge=0, le=2, description="ignore crossings whose histogram is under this many ATRs")
    zero_line: bool = Field(False, description="only long above / short below the zero line")
    atr_period: int = Field(14, ge=2, le=100)
    stop_atr: float = Field(2.0, gt=0, le=20)
    target_atr: float = Field(4.0, gt=0, le=40)

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MacdParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


class MacdCrossBot(BarBot):
    """Long while MACD is above its signal line, short while below (with a dead band)."""

    description: ClassVar[str] = "MACD / signal-line crossover, long/short, with an ATR dead band"
    family: ClassVar[str] = "forex"
    Params: ClassVar[type[BotParams]] = MacdParams
    params: MacdParams

    def lookback(self) -> int:
        return self.params.slow + self.params.signal

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        line, _, hist = ta.macd(b.close, p.fast, p.slow, p.signal)
        atr = ta.atr(b.high, b.low, b.close, p.atr_period)
        band = p.min_hist_atr * atr
        long_ = hist > band
        short = hist < -band
        if p.zero_line:
            long_, short = long_ & (line > 0), short & (line < 0)
        # Inside the dead band keep the previous side: a crossing needs to clear the band.
        events = np.where(long_, 1.0, np.where(short, -1.0, np.nan))
        events = np.where(np.isnan(hist), 0.0, events)
        sig = ta.latch(events)
        with np.errstate(divide="ignore", invalid="ignore"):
            conf = np.clip(np.abs(hist) / atr, 0.0, 1.0) * 0.5 + 0.5
        stop, target = atr_levels(sig, b.close, atr, p.stop_atr, p.target_atr)
        return signal_frame(frame, sig, conf, stop=stop, target=target)


EURUSD_MACD = BotSpec(
    name="eurusd-macd", bot=MacdCrossBot, instruments=("EUR/USD",), schedule=FX_HOURLY, timeframe="1h",
    asset_class=AssetClass.FX, params={}, regimes=TRENDING,
    description="EUR/USD hourly MACD(12,26,9) crossover, long/short",
)
EURUSD_MACD_ZERO = BotSpec(
    name="eurusd-macd-zero-line", bot=MacdCrossBot, instruments=("EUR/USD",), schedule=FX_HOURLY, timeframe="1h",
    asset_class=AssetClass.FX, params={"fast": 24, "slow": 52, "signal": 18, "zero_line": True, "min_hist_atr": 0.1},
    regimes=TRENDING, description="EUR/USD slow MACD(24,52,18) crossover on the right side of zero only",
)
