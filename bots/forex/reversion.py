"""FX mean reversion (z-score of price) and EMA-ribbon trend alignment."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import FX_HOURLY, SIDEWAYS, TRENDING, BarBot, atr_levels, bars_of, long_short, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class ZScoreParams(BotParams):
    """Window and bands of :class:`ZScoreReversionBot`."""

    period: int = Field(48, ge=5, le=1000)
    entry_z: float = Field(2.0, gt=0.5, le=5)
    exit_z: float = Field(0.0, ge=-1, lt=2, description="exit once |z| is back under this")
    stop_atr: float = Field(3.0, gt=0, le=20)

    @model_validator(mode="after")
    def _exit_inside(self) -> ZScoreParams:
        if self.exit_z >= self.entry_z:
            raise ValueError("exit_z must be below entry_z")
        return self


class ZScoreReversionBot(BarBot):
    """Fade a price stretched more than ``entry_z`` standard deviations from its mean."""

    description: ClassVar[str] = "Z-score mean reversion: fade +-2 sigma stretches, exit near the mean"
    family: ClassVar[str] = "forex"
    Params: ClassVar[type[BotParams]] = ZScoreParams
    params: ZScoreParams

    def lookback(self) -> int:
        return self.params.period

    def warmup_bars(self) -> int:
        return self.lookback() + 100

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        z = ta.zscore(b.close, p.period)
        sig = long_short(z < -p.entry_z, z > -p.exit_z, z > p.entry_z, z < p.exit_z)
        atr = ta.atr(b.high, b.low, b.close, 14)
        stop, _ = atr_levels(sig, b.close, atr, p.stop_atr, None)
        return signal_frame(frame, sig, np.clip(np.abs(z) / (2 * p.entry_z), 0, 1), stop=stop,
                            target=ta.sma(b.close, p.period))


class RibbonParams(BotParams):
    """EMA spans of :class:`EmaRibbonBot` (strictly increasing)."""

    spans: tuple[int, ...] = Field((8, 21, 55), min_length=2, max_length=8)
    allow_short: bool = Field(True)

    @model_validator(mode="after")
    def _increasing(self) -> RibbonParams:
        if any(a >= b for a, b in zip(self.spans, self.spans[1:], strict=False)) or self.spans[0] < 2:
            raise ValueError("spans must be strictly increasing and >= 2")
        return self


class EmaRibbonBot(BarBot):
    """Long when every EMA is above the next slower one and price is above the fastest."""

    description: ClassVar[str] = "EMA ribbon alignment: long when fast > medium > slow, short when reversed"
    family: ClassVar[str] = "forex"
    Params: ClassVar[type[BotParams]] = RibbonParams
    params: RibbonParams

    def lookback(self) -> int:
        return max(self.params.spans)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        c = bars_of(frame).close
        emas = np.vstack([ta.ema(c, s) for s in p.spans])
        steps = np.diff(emas, axis=0)              # slower minus faster
        bull = (steps < 0).all(axis=0) & (c > emas[0])
        bear = (steps > 0).all(axis=0) & (c < emas[0])
        sig = np.where(bull, 1.0, np.where(bear & p.allow_short, -1.0, 0.0))
        spread = np.abs(emas[0] - emas[-1]) / c
        return signal_frame(frame, sig, np.clip(spread / 0.01, 0.2, 1.0), stop=emas[-1])


_FX = AssetClass.FX
EURUSD_ZSCORE = BotSpec(
    name="eurusd-zscore-reversion", bot=ZScoreReversionBot, instruments=("EUR/USD",), schedule=FX_HOURLY,
    timeframe="1h", asset_class=_FX, params={"period": 48, "entry_z": 2.0}, regimes=SIDEWAYS,
    description="EUR/USD 48-hour z-score fade at +-2 sigma",
)
EURUSD_ZSCORE_WEEKLY = BotSpec(
    name="eurusd-zscore-weekly", bot=ZScoreReversionBot, instruments=("EUR/USD",), schedule=FX_HOURLY,
    timeframe="1h", asset_class=_FX, params={"period": 120, "entry_z": 2.5, "exit_z": 0.5}, regimes=SIDEWAYS,
    description="EUR/USD 120-hour (one week) z-score fade at +-2.5 sigma",
)
EURUSD_RIBBON = BotSpec(
    name="eurusd-ema-ribbon", bot=EmaRibbonBot, instruments=("EUR/USD",), schedule=FX_HOURLY, timeframe="1h",
    asset_class=_FX, params={"spans": (8, 21, 55)}, regimes=TRENDING,
    description="EUR/USD hourly 8/21/55 EMA ribbon trend, long/short",
)
EURUSD_RIBBON_SLOW = BotSpec(
    name="eurusd-ema-ribbon-slow", bot=EmaRibbonBot, instruments=("EUR/USD",), schedule=FX_HOURLY, timeframe="1h",
    asset_class=_FX, params={"spans": (21, 55, 144)}, regimes=TRENDING,
    description="EUR/USD hourly 21/55/144 EMA ribbon trend, long/short",
)
