"""Crypto counter-trend bots: RSI extremes and a grid trader for sideways markets."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, CRYPTO_MONTHLY, SIDEWAYS, BarBot, bars_of, long_short, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass


if TYPE_CHECKING:
    import pandas as pd


class RsiExtremesParams(BotParams):
    """Bands of :class:`RsiExtremesBot`."""

    period: int = Field(6, ge=2, le=50)
    oversold: float = Field(30.0, gt=0, lt=50)
    overbought: float = Field(70.0, gt=50, lt=100)
    allow_short: bool = Field(True)


class RsiExtremesBot(BarBot):
    """Buy RSI below the oversold band, short it above the overbought band; exit at 50."""

    description: ClassVar[str] = "RSI-extremes reversion: buy oversold, short overbought, exit when RSI crosses 50"
    family: ClassVar[str] = "crypto"
    Params: ClassVar[type[BotParams]] = RsiExtremesParams
    params: RsiExtremesParams

    def lookback(self) -> int:
        return self.params.period + 1

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        r = ta.rsi(bars_of(frame).close, p.period)
        if p.allow_short:
            sig = long_short(r < p.oversold, r > 50, r > p.overbought, r < 50)
        else:
            sig = long_short(r < p.oversold, r > 50)
        conf = np.clip(np.abs(r - 50) / 50, 0, 1)
        return signal_frame(frame, sig, conf)


class GridParams(BotParams):
    """Grid geometry of :class:`GridBot`."""

    center_period: int = Field(6, ge=2, le=200, description="SMA that anchors the grid")
    step: float = Field(0.15, gt=0, le=1, description="grid spacing as a fraction of the anchor")
    levels: int = Field(3, ge=1, le=20, description="levels each side; full size at the last")

    @model_validator(mode="after")
    def _sane(self) -> GridParams:
        if self.step * self.levels >= 1:
            raise ValueError("step * levels must be below 1 (the lowest level would be at or under zero)")
        return self


class GridBot(BarBot):
    """Buy below an anchor price in steps and sell above it: a grid trader, sized by how many
    levels away from the anchor the price is. Meant for the sideways regime only."""

    description: ClassVar[str] = "Grid trader around a moving anchor: long below, short above, sized by level"
    family: ClassVar[str] = "crypto"
    Params: ClassVar[type[BotParams]] = GridParams
    params: GridParams

    def lookback(self) -> int:
        return self.params.center_period

    def warmup_bars(self) -> int:
        return self.lookback()

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        c = bars_of(frame).close
        center = ta.sma(c, p.center_period)
        level = np.trunc((c / center - 1.0) / p.step)
        level = np.clip(level, -p.levels, p.levels)
        sig = -np.sign(level)
        target = center  # the grid's exit is the anchor
        return signal_frame(frame, sig, np.abs(level) / p.levels, target=target)


class FearGreedParams(BotParams):
    """Windows and thresholds of :class:`FearGreedContrarianBot`."""

    period: int = Field(6, ge=2, le=100, description="window of the price components")
    fear: float = Field(25.0, gt=0, lt=50, description="buy when the index is below this")
    greed: float = Field(75.0, gt=50, lt=100, description="exit (or short) when the index is above this")
    allow_short: bool = Field(False)


def fear_greed_proxy(close: np.ndarray, n: int) -> np.ndarray:
    """A price-only fear-and-greed index in [0, 100] (0 = extreme fear).

    The mean of four components, each mapped to [0, 100]: RSI(n); distance of the close from
    its n-bar SMA (+-30 % spans the range); drawdown from the n-bar high (-50 % is 0); and
    short vs long realised volatility (rising volatility is fear). It stands in for the
    published index (which also uses social, search and dominance data) where that is absent.
    """
    rsi = ta.rsi(close, n)
    mom = np.clip(50 + 50 * (close / ta.sma(close, n) - 1) / 0.3, 0, 100)
    dd = np.clip(100 * (1 + (close / ta.rolling_max(close, n) - 1) / 0.5), 0, 100)
    lr = np.diff(np.log(close), prepend=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ta.rolling_std(lr, n) / ta.rolling_std(lr, 3 * n)
    vol = np.clip(100 * (1.5 - ratio), 0, 100)
    return (rsi + mom + dd + vol) / 4


class FearGreedContrarianBot(BarBot):
    """Buy extreme fear, sell extreme greed, on a price-derived fear-and-greed index."""

    description: ClassVar[str] = "Fear-and-greed contrarian on a price-derived index: buy fear, exit on greed"
    family: ClassVar[str] = "crypto"
    Params: ClassVar[type[BotParams]] = FearGreedParams
    params: FearGreedParams

    def lookback(self) -> int:
        return 3 * self.params.period + 1

    def warmup_bars(self) -> int:
        return 2 * self.lookback() + 2 * self.params.period  # Wilder RSI inside, and a held side

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        fg = fear_greed_proxy(bars_of(frame).close, p.period)
        if p.allow_short:
            sig = long_short(fg < p.fear, fg > 50, fg > p.greed, fg < 50)
        else:
            sig = long_short(fg < p.fear, fg > p.greed)
        return signal_frame(frame, sig, np.clip(np.abs(fg - 50) / 50, 0, 1))


_BTC = ("BTC/USD",)
BTC_RSI_EXTREMES = BotSpec(
    name="btc-rsi-extremes", bot=RsiExtremesBot, instruments=_BTC, schedule=CRYPTO_MONTHLY, timeframe="1mo",
    asset_class=AssetClass.CRYPTO, params={"period": 4, "oversold": 35.0, "overbought": 80.0},
    regimes=ALL_REGIMES, description="Bitcoin monthly RSI(4) extremes: buy < 35, short > 80",
)
BTC_GRID = BotSpec(
    name="btc-grid-sideways", bot=GridBot, instruments=_BTC, schedule=CRYPTO_MONTHLY, timeframe="1mo",
    asset_class=AssetClass.CRYPTO, params={"center_period": 6, "step": 0.15, "levels": 3},
    regimes=SIDEWAYS, description="Bitcoin grid (15 % steps around the 6-month SMA), sideways regime only",
)
BTC_FEAR_GREED = BotSpec(
    name="btc-fear-greed-contrarian", bot=FearGreedContrarianBot, instruments=_BTC, schedule=CRYPTO_MONTHLY,
    timeframe="1mo", asset_class=AssetClass.CRYPTO, params={"period": 6, "fear": 30.0, "greed": 75.0},
    regimes=ALL_REGIMES, description="Bitcoin contrarian on a price-derived fear-and-greed index",
)
