"""FX carry with a trend filter: hold the high-yielder while the trend does not fight it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, FX_HOURLY, BarBot, atr_levels, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class CarryParams(BotParams):
    """Rates and filter of :class:`CarryTrendBot`.

    ``base_rate`` and ``quote_rate`` are the annual policy (or 3-month) rates of the pair's
    two currencies in percent; the pair earns their difference when held long.
    """

    base_rate: float = Field(..., ge=-5, le=50, description="base-currency annual rate, %")
    quote_rate: float = Field(..., ge=-5, le=50, description="quote-currency annual rate, %")
    min_differential: float = Field(0.5, ge=0, le=20, description="smallest differential worth holding, % p.a.")
    trend_period: int = Field(480, ge=10, le=2000, description="EMA span of the trend filter, bars")
    stop_atr: float = Field(6.0, gt=0, le=50)


class CarryTrendBot(BarBot):
    """Long the pair if the base currency yields more (short if less), unless price is
    trending against the carry (close on the wrong side of a long EMA)."""

    description: ClassVar[str] = "FX carry: hold the higher-yielding side while the trend does not oppose it"
    family: ClassVar[str] = "forex"
    Params: ClassVar[type[BotParams]] = CarryParams
    params: CarryParams

    def lookback(self) -> int:
        return self.params.trend_period

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        diff = p.base_rate - p.quote_rate
        side = float(np.sign(diff)) if abs(diff) >= p.min_differential else 0.0
        trend = ta.ema(b.close, p.trend_period)
        agrees = np.sign(b.close - trend) == side
        sig = np.where(agrees & np.isfinite(trend), side, 0.0)
        atr = ta.atr(b.high, b.low, b.close, 14)
        stop, _ = atr_levels(sig, b.close, atr, p.stop_atr, None)
        return signal_frame(frame, sig, min(abs(diff) / 5.0, 1.0), stop=stop)


EURUSD_CARRY = BotSpec(
    name="eurusd-carry", bot=CarryTrendBot, instruments=("EUR/USD",), schedule=FX_HOURLY, timeframe="1h",
    asset_class=AssetClass.FX,
    # 2017-2018 policy rates: ECB deposit -0.40 %, Fed funds ~1.25 %: the carry is short EUR/USD.
    params={"base_rate": -0.40, "quote_rate": 1.25, "trend_period": 480},
    regimes=ALL_REGIMES, description="EUR/USD carry (ECB -0.40 % vs Fed 1.25 %) with a 20-day EMA filter",
)
