"""Volatility-channel breakouts: Keltner channel, Bollinger squeeze and range expansion."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import TRENDING, NYSE_CLOSE, BarBot, atr_levels, bars_of, long_short, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class KeltnerParams(BotParams):
    """Channel of :class:`KeltnerBreakoutBot`."""

    period: int = Field(20, ge=5, le=200)
    width: float = Field(2.0, gt=0.2, le=6.0, description="half-width in ATRs")
    allow_short: bool = Field(False)


class KeltnerBreakoutBot(BarBot):
    """Enter on a close outside the Keltner channel; exit on a close back through its middle."""

    description: ClassVar[str] = "Keltner channel breakout: enter beyond EMA +- k*ATR, exit at the EMA"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = KeltnerParams
    params: KeltnerParams

    def lookback(self) -> int:
        return self.params.period

    def warmup_bars(self) -> int:
        return 10 * self.params.period  # EMA + Wilder ATR, and a held side

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        lo, mid, up = ta.keltner(b.high, b.low, b.close, p.period, p.width)
        c = b.close
        if p.allow_short:
            sig = long_short(c > up, c < mid, c < lo, c > mid)
        else:
            sig = long_short(c > up, c < mid)
        return signal_frame(frame, sig, 1.0, stop=mid)


class SqueezeParams(BotParams):
    """Band, squeeze detection and memory of :class:`BollingerSqueezeBot`."""

    period: int = Field(20, ge=5, le=200)
    width: float = Field(2.0, gt=0.5, le=4.0)
    squeeze_lookback: int = Field(120, ge=10, le=500, description="a squeeze is the narrowest band in this many bars")
    memory: int = Field(10, ge=1, le=60, description="a breakout counts up to this many bars after a squeeze")
    allow_short: bool = Field(True)


class BollingerSqueezeBot(BarBot):
    """Trade the first band breakout that follows a volatility squeeze (narrowest bands)."""

    description: ClassVar[str] = "Bollinger squeeze breakout: after the narrowest bands in months, follow the break"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = SqueezeParams
    params: SqueezeParams

    def lookback(self) -> int:
        return self.params.period + self.params.squeeze_lookback

    def warmup_bars(self) -> int:
        return self.lookback() + 60

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        c = bars_of(frame).close
        lo, mid, up = ta.bollinger(c, p.period, p.width)
        bw = (up - lo) / mid
        squeeze = bw <= ta.rolling_min(bw, p.squeeze_lookback)
        recent = ta.bars_since_true(squeeze) <= p.memory
        if p.allow_short:
            sig = long_short(recent & (c > up), c < mid, recent & (c < lo), c > mid)
        else:
            sig = long_short(recent & (c > up), c < mid)
        return signal_frame(frame, sig, 1.0, stop=mid)


class RangeExpansionParams(BotParams):
    """Trigger and holding period of :class:`RangeExpansionBot`."""

    k: float = Field(0.6, gt=0, le=3, description="body needed, as a multiple of the previous bar's range")
    hold: int = Field(3, ge=1, le=30, description="bars to hold after the trigger")
    allow_short: bool = Field(False)
    stop_atr: float = Field(2.0, gt=0, le=20)


class RangeExpansionBot(BarBot):
    """Larry Williams' volatility breakout: a close far above the open (vs yesterday's range)
    starts a short-term long; the mirror starts a short."""

    description: ClassVar[str] = "Volatility (range-expansion) breakout: close - open > k * previous range"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = RangeExpansionParams
    params: RangeExpansionParams

    def lookback(self) -> int:
        return 14

    def warmup_bars(self) -> int:
        return 60

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        prev_range = ta.shift(b.high - b.low, 1)
        body = b.close - b.open
        up = body > p.k * prev_range
        down = -body > p.k * prev_range
        sig = long_short(up, ta.bars_since_true(up) >= p.hold)
        if p.allow_short:
            sig = sig - long_short(down, ta.bars_since_true(down) >= p.hold)
        atr = ta.atr(b.high, b.low, b.close, 14)
        stop, _ = atr_levels(sig, b.close, atr, p.stop_atr, None)
        return signal_frame(frame, sig, 1.0, stop=stop)


_IDX = AssetClass.INDEX
SPX_KELTNER = BotSpec(
    name="spx-keltner-breakout", bot=KeltnerBreakoutBot, instruments=("SPX",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=_IDX, params={"period": 20, "width": 1.5}, regimes=TRENDING,
    description="S&P 500 Keltner(20, 1.5 ATR) breakout, long only",
)
GOOG_KELTNER = BotSpec(
    name="goog-keltner-breakout", bot=KeltnerBreakoutBot, instruments=("GOOG",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.EQUITY, params={"period": 20, "width": 2.0, "allow_short": True},
    regimes=TRENDING, description="GOOG Keltner(20, 2 ATR) breakout, long/short",
)
IXIC_SQUEEZE = BotSpec(
    name="ixic-bollinger-squeeze", bot=BollingerSqueezeBot, instruments=("IXIC",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=_IDX, params={}, regimes=TRENDING,
    description="NASDAQ Composite Bollinger squeeze breakout, long/short",
)
SPX_SQUEEZE = BotSpec(
    name="spx-bollinger-squeeze", bot=BollingerSqueezeBot, instruments=("SPX",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=_IDX, params={"squeeze_lookback": 60, "allow_short": False}, regimes=TRENDING,
    description="S&P 500 Bollinger squeeze (60-day narrowest) upside breakout",
)
GOOG_RANGE_EXPANSION = BotSpec(
    name="goog-range-expansion", bot=RangeExpansionBot, instruments=("GOOG",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.EQUITY, params={"k": 0.6, "hold": 3, "allow_short": True},
    regimes=TRENDING, description="GOOG range-expansion breakout (body > 0.6 x prior range), 3-day hold",
)
IXIC_RANGE_EXPANSION = BotSpec(
    name="ixic-range-expansion", bot=RangeExpansionBot, instruments=("IXIC",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=_IDX, params={"k": 0.8, "hold": 5}, regimes=TRENDING,
    description="NASDAQ Composite range-expansion breakout (body > 0.8 x prior range), long, 5-day hold",
)
