"""Moving-average trend following: long (optionally short) while the fast average is
above (below) the slow one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, NON_BEAR, NYSE_CLOSE, BarBot, atr_levels, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class MovingAverageTrendParams(BotParams):
    """Averages, direction and protective stop of :class:`MovingAverageTrendBot`."""

    fast: int = Field(50, ge=2, le=250, description="fast average span, bars")
    slow: int = Field(200, ge=5, le=400, description="slow average span, bars")
    kind: Literal["sma", "ema"] = Field("sma", description="average type")
    allow_short: bool = Field(False, description="go short when fast < slow (else flat)")
    atr_period: int = Field(14, ge=2, le=100)
    stop_atr: float = Field(3.0, gt=0, le=20, description="stop distance in ATRs")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MovingAverageTrendParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


class MovingAverageTrendBot(BarBot):
    """Trend following on a fast/slow moving-average crossover (SMA or EMA)."""

    description: ClassVar[str] = "Moving-average crossover trend follower (SMA/EMA, long or long/short)"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = MovingAverageTrendParams
    params: MovingAverageTrendParams

    def lookback(self) -> int:
        return max(self.params.slow, self.params.atr_period)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        avg = ta.ema if p.kind == "ema" else ta.sma
        fast, slow = avg(b.close, p.fast), avg(b.close, p.slow)
        atr = ta.atr(b.high, b.low, b.close, p.atr_period)
        sig = np.where(fast > slow, 1.0, np.where(fast < slow, -1.0 if p.allow_short else 0.0, 0.0))
        sig = np.where(np.isnan(slow), 0.0, sig)
        # Confidence grows with the gap between the averages, measured in ATRs.
        with np.errstate(divide="ignore", invalid="ignore"):
            conf = 0.5 + 0.5 * np.clip(np.abs(fast - slow) / (2.0 * atr), 0.0, 1.0)
        stop, _ = atr_levels(sig, b.close, atr, p.stop_atr, None)
        return signal_frame(frame, sig, conf, stop=stop)


SPX_SMA_TREND = BotSpec(
    name="spx-sma-trend", bot=MovingAverageTrendBot, instruments=("SPX",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.INDEX, params={"fast": 50, "slow": 200, "kind": "sma"},
    regimes=NON_BEAR, description="S&P 500 50/200-day SMA golden-cross trend, long only",
)
GOOG_EMA_TREND = BotSpec(
    name="goog-ema-trend", bot=MovingAverageTrendBot, instruments=("GOOG",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.EQUITY,
    params={"fast": 20, "slow": 100, "kind": "ema", "allow_short": True},
    regimes=ALL_REGIMES, description="GOOG 20/100-day EMA crossover, long/short",
)
IXIC_SMA_TREND = BotSpec(
    name="ixic-sma-trend", bot=MovingAverageTrendBot, instruments=("IXIC",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.INDEX, params={"fast": 20, "slow": 150, "kind": "sma"},
    regimes=NON_BEAR, description="NASDAQ Composite 20/150-day SMA trend, long only",
)
