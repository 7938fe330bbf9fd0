"""Multi-horizon time-series momentum for crypto on monthly bars."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, field_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, CRYPTO_MONTHLY, BarBot, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class MultiMomentumParams(BotParams):
    """Horizons and vote threshold of :class:`MultiHorizonMomentumBot`."""

    horizons: tuple[int, ...] = Field((1, 3, 6, 12), min_length=1, max_length=8,
                                      description="look-back horizons, bars")
    threshold: float = Field(0.5, gt=0, le=1, description="mean vote needed to go long (or short)")
    allow_short: bool = Field(False)

    @field_validator("horizons")
    @classmethod
    def _positive(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(h < 1 or h > 60 for h in v):
            raise ValueError("every horizon must be in [1, 60] bars")
        return tuple(sorted(set(v)))


class MultiHorizonMomentumBot(BarBot):
    """Each horizon votes the sign of its return; trade when the mean vote is strong enough."""

    description: ClassVar[str] = "Multi-horizon momentum vote (1/3/6/12 bars): long when most horizons are up"
    family: ClassVar[str] = "crypto"
    Params: ClassVar[type[BotParams]] = MultiMomentumParams
    params: MultiMomentumParams

    def lookback(self) -> int:
        return max(self.params.horizons) + 1

    def warmup_bars(self) -> int:
        return self.lookback()

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        c = bars_of(frame).close
        votes = np.vstack([np.sign(ta.roc(c, h)) for h in p.horizons])
        score = votes.mean(axis=0)  # NaN until the longest horizon is available
        sig = np.where(score >= p.threshold, 1.0, np.where((score <= -p.threshold) & p.allow_short, -1.0, 0.0))
        sig = np.where(np.isnan(score), 0.0, sig)
        return signal_frame(frame, sig, np.abs(score))


BTC_MONTHLY_MOMENTUM = BotSpec(
    name="btc-monthly-momentum", bot=MultiHorizonMomentumBot, instruments=("BTC/USD",), schedule=CRYPTO_MONTHLY,
    timeframe="1mo", asset_class=AssetClass.CRYPTO, params={"horizons": (1, 3, 6, 12), "threshold": 0.5},
    regimes=ALL_REGIMES, description="Bitcoin monthly multi-horizon momentum (1/3/6/12 months), long only",
)
BTC_FAST_MOMENTUM = BotSpec(
    name="btc-fast-momentum", bot=MultiHorizonMomentumBot, instruments=("BTC/USD",), schedule=CRYPTO_MONTHLY,
    timeframe="1mo", asset_class=AssetClass.CRYPTO,
    params={"horizons": (1, 2, 3), "threshold": 0.6, "allow_short": True},
    regimes=ALL_REGIMES, description="Bitcoin 1/2/3-month momentum vote, long/short",
)
