"""Chart-system trend followers: Ichimoku cloud and Heikin-Ashi runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import TRENDING, NYSE_CLOSE, BarBot, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class IchimokuParams(BotParams):
    """Line lengths of :class:`IchimokuCloudBot`."""

    tenkan: int = Field(9, ge=2, le=100)
    kijun: int = Field(26, ge=3, le=200)
    senkou: int = Field(52, ge=4, le=300)
    allow_short: bool = Field(False)

    @model_validator(mode="after")
    def _ordered(self) -> IchimokuParams:
        if not self.tenkan < self.kijun < self.senkou:
            raise ValueError("need tenkan < kijun < senkou")
        return self


class IchimokuCloudBot(BarBot):
    """Long above the (displaced) cloud with tenkan over kijun; short in the mirror case."""

    description: ClassVar[str] = "Ichimoku cloud trend: price above the cloud and tenkan above kijun"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = IchimokuParams
    params: IchimokuParams

    def lookback(self) -> int:
        return self.params.senkou + self.params.kijun

    def warmup_bars(self) -> int:
        return self.lookback()

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        tk, kj, sa, sb = ta.ichimoku(b.high, b.low, p.tenkan, p.kijun, p.senkou)
        top, bottom = np.fmax(sa, sb), np.fmin(sa, sb)
        long_ = (b.close > top) & (tk > kj)
        short = (b.close < bottom) & (tk < kj) & p.allow_short
        sig = np.where(long_, 1.0, np.where(short, -1.0, 0.0))
        # The far edge of the cloud is the stop; kijun is the usual trailing line.
        stop = np.where(sig > 0, np.fmin(kj, bottom), np.where(sig < 0, np.fmax(kj, top), np.nan))
        return signal_frame(frame, sig, 1.0, stop=stop)


class HeikinAshiParams(BotParams):
    """Run length of :class:`HeikinAshiTrendBot`."""

    run: int = Field(3, ge=1, le=20, description="consecutive same-colour candles that set the side")
    allow_short: bool = Field(False)


class HeikinAshiTrendBot(BarBot):
    """Take the side of a run of same-colour Heikin-Ashi candles and hold it until the opposite run."""

    description: ClassVar[str] = "Heikin-Ashi trend: flip after N consecutive candles of one colour"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = HeikinAshiParams
    params: HeikinAshiParams

    def lookback(self) -> int:
        return 20

    def warmup_bars(self) -> int:
        return 80  # ha_open halves the seed's weight every bar; runs need a few weeks

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        ha_open, ha_close = ta.heikin_ashi(b.open, b.high, b.low, b.close)
        green = ha_close > ha_open
        red = ha_close < ha_open
        # a run of `run` greens: no non-green candle in the last `run` bars
        green_run = ta.bars_since_true(~green) >= p.run
        red_run = ta.bars_since_true(~red) >= p.run
        events = np.where(green_run, 1.0, np.where(red_run, -1.0 if p.allow_short else 0.0, np.nan))
        sig = ta.latch(events)
        return signal_frame(frame, sig, 1.0)


SPX_ICHIMOKU = BotSpec(
    name="spx-ichimoku", bot=IchimokuCloudBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={}, regimes=TRENDING,
    description="S&P 500 Ichimoku (9/26/52) above-the-cloud trend, long only",
)
GOOG_ICHIMOKU = BotSpec(
    name="goog-ichimoku", bot=IchimokuCloudBot, instruments=("GOOG",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={"allow_short": True}, regimes=TRENDING,
    description="GOOG Ichimoku (9/26/52) cloud trend, long/short",
)
IXIC_HEIKIN_ASHI = BotSpec(
    name="ixic-heikin-ashi", bot=HeikinAshiTrendBot, instruments=("IXIC",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={"run": 3}, regimes=TRENDING,
    description="NASDAQ Composite Heikin-Ashi 3-candle runs, long only",
)
SPX_HEIKIN_ASHI = BotSpec(
    name="spx-heikin-ashi", bot=HeikinAshiTrendBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={"run": 4, "allow_short": True}, regimes=TRENDING,
    description="S&P 500 Heikin-Ashi 4-candle runs, long/short",
)
