"""Short-horizon mean reversion on daily bars: Connors RSI-2 and Bollinger-band fades."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import NON_BEAR, NYSE_CLOSE, BarBot, bars_of, long_short, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class Rsi2Params(BotParams):
    """Thresholds of :class:`Rsi2ReversionBot`."""

    rsi_period: int = Field(2, ge=2, le=10)
    entry_rsi: float = Field(10.0, gt=0, lt=50, description="buy when RSI falls below this")
    trend_period: int = Field(200, ge=20, le=400, description="only buy above this SMA")
    exit_period: int = Field(5, ge=2, le=50, description="sell when the close crosses above this SMA")
    allow_short: bool = Field(False, description="mirror the rule below the trend SMA")
    atr_period: int = Field(14, ge=2, le=100)
    stop_atr: float = Field(4.0, gt=0, le=20)


class Rsi2ReversionBot(BarBot):
    """Connors RSI(2): buy a deep short-term dip inside a long-term uptrend, sell the bounce."""

    description: ClassVar[str] = "Connors RSI-2 pullback buyer above the 200-day SMA, exits on the 5-day SMA"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = Rsi2Params
    params: Rsi2Params

    def lookback(self) -> int:
        return max(self.params.trend_period, self.params.atr_period)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        r = ta.rsi(b.close, p.rsi_period)
        trend, exit_ma = ta.sma(b.close, p.trend_period), ta.sma(b.close, p.exit_period)
        entry_l = (r < p.entry_rsi) & (b.close > trend)
        exit_l = (b.close > exit_ma) | (b.close < trend)
        if p.allow_short:
            entry_s = (r > 100.0 - p.entry_rsi) & (b.close < trend)
            exit_s = (b.close < exit_ma) | (b.close > trend)
            sig = long_short(entry_l, exit_l, entry_s, exit_s)
        else:
            sig = long_short(entry_l, exit_l)
        # Deeper dips are stronger signals: confidence from how far RSI went past the threshold.
        depth = np.where(sig > 0, p.entry_rsi - r, r - (100.0 - p.entry_rsi)) / p.entry_rsi
        conf = 0.5 + 0.5 * np.clip(depth, 0, 1)
        atr = ta.atr(b.high, b.low, b.close, p.atr_period)
        stop = b.close - np.sign(sig) * p.stop_atr * atr
        return signal_frame(frame, sig, conf, stop=stop, target=exit_ma)


class BollingerReversionParams(BotParams):
    """Band geometry of :class:`BollingerReversionBot`."""

    period: int = Field(20, ge=5, le=200)
    width: float = Field(2.0, gt=0.5, le=4.0, description="band half-width in standard deviations")
    allow_short: bool = Field(True)
    atr_period: int = Field(14, ge=2, le=100)
    stop_atr: float = Field(2.5, gt=0, le=20)


class BollingerReversionBot(BarBot):
    """Fade closes outside the Bollinger bands; exit at the middle band."""

    description: ClassVar[str] = "Bollinger-band reversion: buy below the lower band, short above the upper, exit at the mean"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = BollingerReversionParams
    params: BollingerReversionParams

    def lookback(self) -> int:
        return max(self.params.period, self.params.atr_period)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        lower, mid, upper = ta.bollinger(b.close, p.period, p.width)
        c = b.close
        if p.allow_short:
            sig = long_short(c < lower, c >= mid, c > upper, c <= mid)
        else:
            sig = long_short(c < lower, c >= mid)
        half = (upper - lower) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            conf = 0.5 + 0.5 * np.clip(np.abs(c - mid) / half - 0.5, 0, 1)
        atr = ta.atr(b.high, b.low, c, p.atr_period)
        stop = c - np.sign(sig) * p.stop_atr * atr
        return signal_frame(frame, sig, conf, stop=stop, target=mid)


SPX_RSI2 = BotSpec(
    name="spx-rsi2", bot=Rsi2ReversionBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={}, regimes=NON_BEAR,
    description="S&P 500 Connors RSI-2 dip buyer in the 200-day uptrend",
)
GOOG_BOLLINGER = BotSpec(
    name="goog-bollinger-reversion", bot=BollingerReversionBot, instruments=("GOOG",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.EQUITY, params={"period": 20, "width": 2.0}, regimes=NON_BEAR,
    description="GOOG 20-day 2-sigma Bollinger fade, long/short",
)
GOOG_RSI2 = BotSpec(
    name="goog-rsi2", bot=Rsi2ReversionBot, instruments=("GOOG",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={"entry_rsi": 5.0, "trend_period": 100}, regimes=NON_BEAR,
    description="GOOG RSI-2 < 5 dip buyer above the 100-day SMA",
)
