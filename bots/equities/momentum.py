"""Absolute (time-series) momentum: the per-instrument half of Antonacci's dual momentum."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, NYSE_CLOSE, BarBot, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class AbsoluteMomentumParams(BotParams):
    """Look-back, skip and hurdle of :class:`AbsoluteMomentumBot`."""

    lookback: int = Field(252, ge=5, le=600, description="momentum window, bars")
    skip: int = Field(21, ge=0, le=100, description="most recent bars left out (short-term reversal)")
    hurdle: float = Field(0.02, ge=-0.5, le=0.5, description="return over the window that beats cash")
    allow_short: bool = Field(False, description="short when the return is below -hurdle")
    vol_period: int = Field(63, ge=5, le=300)

    @model_validator(mode="after")
    def _skip_inside(self) -> AbsoluteMomentumParams:
        if self.skip >= self.lookback:
            raise ValueError("skip must be shorter than lookback")
        return self


class AbsoluteMomentumBot(BarBot):
    """Long while the skip-adjusted look-back return beats a cash hurdle, else flat (or short)."""

    description: ClassVar[str] = "Absolute (dual) momentum: hold while the 12-1 month return beats cash"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = AbsoluteMomentumParams
    params: AbsoluteMomentumParams

    def lookback(self) -> int:
        return max(self.params.lookback, self.params.vol_period) + 1

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        c = b.close
        past = ta.shift(c, p.lookback)
        recent = ta.shift(c, p.skip)
        mom = recent / past - 1.0
        sig = np.where(mom > p.hurdle, 1.0, np.where((mom < -p.hurdle) & p.allow_short, -1.0, 0.0))
        sig = np.where(np.isnan(mom), 0.0, sig)
        # Confidence: the momentum's size relative to the volatility expected over the window.
        logret = np.diff(np.log(c), prepend=np.nan)
        vol = ta.rolling_std(logret, p.vol_period) * np.sqrt(p.lookback - p.skip)
        with np.errstate(divide="ignore", invalid="ignore"):
            conf = np.clip(np.abs(mom) / vol, 0.0, 1.0)
        return signal_frame(frame, sig, conf)


SPX_DUAL_MOMENTUM = BotSpec(
    name="spx-dual-momentum", bot=AbsoluteMomentumBot, instruments=("SPX",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.INDEX, params={"lookback": 252, "skip": 21, "hurdle": 0.02},
    regimes=ALL_REGIMES, description="S&P 500 12-1 month absolute momentum against a 2% cash hurdle",
)
IXIC_DUAL_MOMENTUM = BotSpec(
    name="ixic-dual-momentum", bot=AbsoluteMomentumBot, instruments=("IXIC",), schedule=NYSE_CLOSE,
    timeframe="1d", asset_class=AssetClass.INDEX, params={"lookback": 126, "skip": 10, "hurdle": 0.01},
    regimes=ALL_REGIMES, description="NASDAQ Composite 6-month absolute momentum against a 1% cash hurdle",
)
