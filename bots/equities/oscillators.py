"""Oscillator mean reversion on daily bars: stochastic, CCI, internal bar strength and
Connors' double sevens."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import NON_BEAR, NYSE_CLOSE, SIDEWAYS, BarBot, bars_of, long_short, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


def _trend_ok(close: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (long allowed, short allowed): above / below an SMA, or both when period is 0."""
    if period == 0:
        ones = np.ones(len(close), dtype=bool)
        return ones, ones
    ma = ta.sma(close, period)
    return close > ma, close < ma


class StochasticParams(BotParams):
    """Thresholds of :class:`StochasticReversionBot`."""

    k_period: int = Field(14, ge=3, le=100)
    d_period: int = Field(3, ge=1, le=20)
    oversold: float = Field(20.0, gt=0, lt=50)
    exit_level: float = Field(50.0, gt=0, lt=100, description="long exits when %D rises above this")
    trend_period: int = Field(0, ge=0, le=400, description="0: no trend filter")
    allow_short: bool = Field(False)


class StochasticReversionBot(BarBot):
    """Buy when the slow stochastic %D is oversold, sell when it recovers."""

    description: ClassVar[str] = "Stochastic oscillator reversion: buy %D oversold, exit at the mid level"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = StochasticParams
    params: StochasticParams

    def lookback(self) -> int:
        return max(self.params.k_period + self.params.d_period, self.params.trend_period)

    def warmup_bars(self) -> int:
        return self.lookback() + 60  # no recursive smoothing: only state carried by the hold

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        _, d = ta.stochastic(b.high, b.low, b.close, p.k_period, p.d_period)
        up_ok, dn_ok = _trend_ok(b.close, p.trend_period)
        entry_l, exit_l = (d < p.oversold) & up_ok, d > p.exit_level
        if p.allow_short:
            sig = long_short(entry_l, exit_l, (d > 100 - p.oversold) & dn_ok, d < 100 - p.exit_level)
        else:
            sig = long_short(entry_l, exit_l)
        conf = np.where(sig > 0, 1 - d / 100, d / 100)
        return signal_frame(frame, sig, conf)


class CciParams(BotParams):
    """Thresholds of :class:`CciReversionBot`."""

    period: int = Field(20, ge=5, le=200)
    entry: float = Field(150.0, ge=50, le=400, description="enter beyond +-entry")
    allow_short: bool = Field(True)


class CciReversionBot(BarBot):
    """Fade Commodity Channel Index extremes; exit when CCI crosses back through zero."""

    description: ClassVar[str] = "CCI extremes reversion: buy below -entry, short above +entry, exit at zero"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = CciParams
    params: CciParams

    def lookback(self) -> int:
        return self.params.period

    def warmup_bars(self) -> int:
        return self.lookback() + 60

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        c = ta.cci(b.high, b.low, b.close, p.period)
        if p.allow_short:
            sig = long_short(c < -p.entry, c > 0, c > p.entry, c < 0)
        else:
            sig = long_short(c < -p.entry, c > 0)
        return signal_frame(frame, sig, np.clip(np.abs(c) / (2 * p.entry), 0, 1))


class IbsParams(BotParams):
    """Thresholds of :class:`IbsReversionBot`."""

    entry_ibs: float = Field(0.2, gt=0, lt=0.5, description="buy when the close is in the bottom of the range")
    exit_ibs: float = Field(0.7, gt=0.5, lt=1, description="sell when the close is in the top of the range")
    max_hold: int = Field(5, ge=1, le=50, description="exit after this many bars regardless")
    trend_period: int = Field(200, ge=0, le=400, description="0: no trend filter")


class IbsReversionBot(BarBot):
    """Internal bar strength: buy a close near the day's low, sell a close near the high."""

    description: ClassVar[str] = "Internal-bar-strength reversion: buy closes near the low, sell near the high"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = IbsParams
    params: IbsParams

    def lookback(self) -> int:
        return max(self.params.trend_period, self.params.max_hold)

    def warmup_bars(self) -> int:
        return self.lookback() + 20

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        ibs = ta.internal_bar_strength(b.high, b.low, b.close)
        up_ok, _ = _trend_ok(b.close, p.trend_period)
        entry = (ibs < p.entry_ibs) & up_ok
        exit_ = (ibs > p.exit_ibs) | (ta.bars_since_true(entry) >= p.max_hold)
        sig = long_short(entry, exit_)
        return signal_frame(frame, sig, np.where(sig > 0, 1 - ibs, 0.0))


class DoubleSevensParams(BotParams):
    """Channel and trend filter of :class:`DoubleSevensBot`."""

    channel: int = Field(7, ge=3, le=50, description="buy a close at the N-bar low, sell at the N-bar high")
    trend_period: int = Field(200, ge=20, le=400)

    @model_validator(mode="after")
    def _channel_shorter(self) -> DoubleSevensParams:
        if self.channel >= self.trend_period:
            raise ValueError("channel must be shorter than trend_period")
        return self


class DoubleSevensBot(BarBot):
    """Connors' double sevens: above the long SMA, buy a 7-day closing low, sell a 7-day closing high."""

    description: ClassVar[str] = "Double sevens: buy a 7-day closing low above the 200-day SMA, sell a 7-day high"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = DoubleSevensParams
    params: DoubleSevensParams

    def lookback(self) -> int:
        return self.params.trend_period

    def warmup_bars(self) -> int:
        return self.lookback() + 60

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        c = bars_of(frame).close
        up_ok, _ = _trend_ok(c, p.trend_period)
        entry = (c <= ta.rolling_min(c, p.channel)) & up_ok
        exit_ = (c >= ta.rolling_max(c, p.channel)) | ~up_ok
        sig = long_short(entry, exit_)
        return signal_frame(frame, sig, 1.0, target=ta.rolling_max(c, p.channel))


_IDX = AssetClass.INDEX
SPX_STOCHASTIC = BotSpec(
    name="spx-stochastic-reversion", bot=StochasticReversionBot, instruments=("SPX",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=_IDX, params={"trend_period": 200}, regimes=NON_BEAR,
    description="S&P 500 stochastic %D oversold buyer above the 200-day SMA",
)
GOOG_STOCHASTIC = BotSpec(
    name="goog-stochastic-reversion", bot=StochasticReversionBot, instruments=("GOOG",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.EQUITY, params={"allow_short": True}, regimes=SIDEWAYS,
    description="GOOG stochastic reversion, long/short, sideways markets",
)
SPX_CCI = BotSpec(
    name="spx-cci-reversion", bot=CciReversionBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={"period": 20, "entry": 150.0, "allow_short": False}, regimes=NON_BEAR,
    description="S&P 500 CCI(20) below -150 dip buyer",
)
IXIC_CCI = BotSpec(
    name="ixic-cci-reversion", bot=CciReversionBot, instruments=("IXIC",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={"period": 14, "entry": 120.0}, regimes=SIDEWAYS,
    description="NASDAQ Composite CCI(14) +-120 fade, long/short",
)
SPX_IBS = BotSpec(
    name="spx-ibs-reversion", bot=IbsReversionBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={}, regimes=NON_BEAR,
    description="S&P 500 internal-bar-strength < 0.2 buyer above the 200-day SMA",
)
IXIC_IBS = BotSpec(
    name="ixic-ibs-reversion", bot=IbsReversionBot, instruments=("IXIC",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={"entry_ibs": 0.15, "trend_period": 100}, regimes=NON_BEAR,
    description="NASDAQ Composite internal-bar-strength < 0.15 buyer above the 100-day SMA",
)
SPX_DOUBLE_SEVENS = BotSpec(
    name="spx-double-sevens", bot=DoubleSevensBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={}, regimes=NON_BEAR,
    description="S&P 500 double sevens (7-day low buy, 7-day high sell) above the 200-day SMA",
)
GOOG_DOUBLE_SEVENS = BotSpec(
    name="goog-double-sevens", bot=DoubleSevensBot, instruments=("GOOG",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={"channel": 5, "trend_period": 100}, regimes=NON_BEAR,
    description="GOOG 5-day closing-low buyer above the 100-day SMA",
)
IXIC_DOUBLE_SEVENS = BotSpec(
    name="ixic-double-sevens", bot=DoubleSevensBot, instruments=("IXIC",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=_IDX, params={}, regimes=NON_BEAR,
    description="NASDAQ Composite double sevens above the 200-day SMA",
)
