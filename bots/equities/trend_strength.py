"""Trend-strength followers: ADX/DMI, Aroon and the rolling regression t-statistic."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, TRENDING, NYSE_CLOSE, BarBot, atr_levels, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class AdxParams(BotParams):
    """Period and strength threshold of :class:`AdxTrendBot`."""

    period: int = Field(14, ge=3, le=100)
    threshold: float = Field(25.0, ge=5, le=60, description="trade only while ADX is above this")
    allow_short: bool = Field(True)
    stop_atr: float = Field(3.0, gt=0, le=20)


class AdxTrendBot(BarBot):
    """Trade in the direction of the dominant directional index while ADX shows a trend."""

    description: ClassVar[str] = "ADX/DMI trend: follow +DI vs -DI while ADX is above its threshold"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = AdxParams
    params: AdxParams

    def lookback(self) -> int:
        return 2 * self.params.period

    def warmup_bars(self) -> int:
        return 10 * self.params.period  # ADX is a smoothing of a smoothing: give it time

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        adx, pdi, mdi = ta.adx(b.high, b.low, b.close, p.period)
        strong = adx > p.threshold
        sig = np.where(strong & (pdi > mdi), 1.0, np.where(strong & (mdi > pdi) & p.allow_short, -1.0, 0.0))
        atr = ta.atr(b.high, b.low, b.close, p.period)
        stop, _ = atr_levels(sig, b.close, atr, p.stop_atr, None)
        return signal_frame(frame, sig, np.clip(adx / 50.0, 0, 1), stop=stop)


class AroonParams(BotParams):
    """Window and oscillator threshold of :class:`AroonTrendBot`."""

    period: int = Field(25, ge=5, le=200)
    threshold: float = Field(50.0, gt=0, le=100, description="|up - down| needed to take a side")
    allow_short: bool = Field(False)


class AroonTrendBot(BarBot):
    """Long while recent highs are much fresher than recent lows (Aroon oscillator)."""

    description: ClassVar[str] = "Aroon oscillator trend: long when new highs dominate new lows"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = AroonParams
    params: AroonParams

    def lookback(self) -> int:
        return self.params.period + 1

    def warmup_bars(self) -> int:
        return self.lookback()

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        up, down = ta.aroon(b.high, b.low, p.period)
        osc = up - down
        sig = np.where(osc >= p.threshold, 1.0, np.where((osc <= -p.threshold) & p.allow_short, -1.0, 0.0))
        return signal_frame(frame, sig, np.abs(osc) / 100.0)


class RegressionTrendParams(BotParams):
    """Window and significance of :class:`RegressionTrendBot`."""

    period: int = Field(60, ge=5, le=400)
    t_entry: float = Field(3.0, gt=0, le=50, description="slope t-statistic needed to take a side")
    allow_short: bool = Field(False)


class RegressionTrendBot(BarBot):
    """Follow the slope of a rolling least-squares line of log price when it is significant."""

    description: ClassVar[str] = "Rolling log-price regression: trade the slope when its t-statistic is large"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = RegressionTrendParams
    params: RegressionTrendParams

    def lookback(self) -> int:
        return self.params.period

    def warmup_bars(self) -> int:
        return self.lookback()

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        _, t = ta.linreg(np.log(bars_of(frame).close), p.period)
        sig = np.where(t > p.t_entry, 1.0, np.where((t < -p.t_entry) & p.allow_short, -1.0, 0.0))
        sig = np.where(np.isnan(t), 0.0, sig)
        return signal_frame(frame, sig, np.clip(np.abs(t) / (3 * p.t_entry), 0, 1))


_IDX = AssetClass.INDEX
SPX_ADX = BotSpec(
    name="spx-adx-trend", bot=AdxTrendBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={"allow_short": False}, regimes=TRENDING,
    description="S&P 500 ADX(14) > 25 trend follower, long only",
)
GOOG_ADX = BotSpec(
    name="goog-adx-trend", bot=AdxTrendBot, instruments=("GOOG",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={"period": 14, "threshold": 20.0}, regimes=TRENDING,
    description="GOOG ADX(14) > 20 DMI trend, long/short",
)
IXIC_AROON = BotSpec(
    name="ixic-aroon-trend", bot=AroonTrendBot, instruments=("IXIC",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={"period": 25, "threshold": 50.0}, regimes=TRENDING,
    description="NASDAQ Composite Aroon(25) oscillator > 50, long only",
)
GOOG_AROON = BotSpec(
    name="goog-aroon-trend", bot=AroonTrendBot, instruments=("GOOG",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={"period": 50, "threshold": 60.0, "allow_short": True},
    regimes=TRENDING, description="GOOG Aroon(50) oscillator +-60, long/short",
)
SPX_REGRESSION = BotSpec(
    name="spx-regression-trend", bot=RegressionTrendBot, instruments=("SPX",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=_IDX, params={"period": 100, "t_entry": 5.0}, regimes=ALL_REGIMES,
    description="S&P 500 100-day log-price regression, long on a t > 5 slope",
)
IXIC_REGRESSION = BotSpec(
    name="ixic-regression-trend", bot=RegressionTrendBot, instruments=("IXIC",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=_IDX, params={"period": 60, "t_entry": 4.0, "allow_short": True},
    regimes=TRENDING, description="NASDAQ Composite 60-day regression slope, long/short on |t| > 4",
)
