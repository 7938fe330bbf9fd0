"""Volume-confirmed trend: on-balance volume against its average."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import TRENDING, NYSE_CLOSE, BarBot, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class ObvTrendParams(BotParams):
    """Averages of :class:`ObvTrendBot`."""

    obv_period: int = Field(20, ge=3, le=200, description="EMA span of on-balance volume")
    price_period: int = Field(50, ge=3, le=300, description="SMA span of the close")
    allow_short: bool = Field(False)


class ObvTrendBot(BarBot):
    """Take a side only when price and on-balance volume agree; hold it until both flip."""

    description: ClassVar[str] = "On-balance-volume trend: price and OBV both above (below) their averages"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = ObvTrendParams
    params: ObvTrendParams

    def lookback(self) -> int:
        return max(self.params.obv_period, self.params.price_period)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        # OBV's level depends on where the frame starts but OBV - EMA(OBV) does not.
        o = ta.obv(b.close, b.volume)
        vol_up = o > ta.ema(o, p.obv_period)
        vol_dn = o < ta.ema(o, p.obv_period)
        ma = ta.sma(b.close, p.price_period)
        up, dn = vol_up & (b.close > ma), vol_dn & (b.close < ma)
        sig = ta.latch(np.where(up, 1.0, np.where(dn, -1.0 if p.allow_short else 0.0, np.nan)))
        return signal_frame(frame, sig, 1.0)


SPX_OBV = BotSpec(
    name="spx-obv-trend", bot=ObvTrendBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={}, regimes=TRENDING,
    description="S&P 500 price-and-OBV trend confirmation, long only",
)
GOOG_OBV = BotSpec(
    name="goog-obv-trend", bot=ObvTrendBot, instruments=("GOOG",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={"obv_period": 10, "price_period": 30, "allow_short": True},
    regimes=TRENDING, description="GOOG price-and-OBV trend confirmation, long/short",
)
