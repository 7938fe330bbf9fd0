"""Session breakouts for FX: the London open breaks the Asian range."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import FX_HOURLY, TRENDING, BarBot, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class LondonBreakoutParams(BotParams):
    """Session hours (local to ``timezone``) of :class:`LondonBreakoutBot`."""

    timezone: str = Field("Europe/London")
    range_end: int = Field(8, ge=1, le=23, description="the range is built from bars closing by this hour")
    session_end: int = Field(16, ge=2, le=24, description="flat from the bar closing at this hour")
    buffer: float = Field(0.0, ge=0, le=0.01, description="breakout must clear the range by this fraction")

    @model_validator(mode="after")
    def _ordered(self) -> LondonBreakoutParams:
        if self.session_end <= self.range_end:
            raise ValueError("session_end must be after range_end")
        return self


class LondonBreakoutBot(BarBot):
    """Build the overnight (Asian) range from midnight to the London open; trade a close
    beyond it during the London session; flat at the session end."""

    description: ClassVar[str] = "London-open breakout of the Asian-session range, flat by the afternoon"
    family: ClassVar[str] = "forex"
    Params: ClassVar[type[BotParams]] = LondonBreakoutParams
    params: LondonBreakoutParams

    def lookback(self) -> int:
        return 24

    def warmup_bars(self) -> int:
        return 48

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        p = self.params
        b = bars_of(frame)
        local = frame.index.tz_convert(p.timezone)
        # a bar closing at hh:00 covers the hour before: the range is bars closing in (0, range_end]
        close_hour = np.asarray(local.hour, dtype=np.int64)
        opened = local - pd.Timedelta(hours=1)
        day = np.asarray(opened.normalize().asi8)
        in_range = np.asarray(opened.date == local.date) & (close_hour <= p.range_end) & (close_hour > 0)
        hi = pd.Series(np.where(in_range, b.high, np.nan)).groupby(day).transform("max").to_numpy()
        lo = pd.Series(np.where(in_range, b.low, np.nan)).groupby(day).transform("min").to_numpy()
        complete = pd.Series(in_range & (close_hour == p.range_end)).groupby(day).transform("max").to_numpy()
        live = (close_hour > p.range_end) & (close_hour < p.session_end) & complete.astype(bool)
        up = live & (b.close > hi * (1 + p.buffer))
        dn = live & (b.close < lo * (1 - p.buffer))
        events = np.where(~live, 0.0, np.where(up, 1.0, np.where(dn, -1.0, np.nan)))
        sig = ta.latch(events)
        stop = np.where(sig > 0, lo, np.where(sig < 0, hi, np.nan))
        target = b.close + sig * (hi - lo)
        return signal_frame(frame, sig, 1.0, stop=stop, target=target)


EURUSD_LONDON_BREAKOUT = BotSpec(
    name="eurusd-london-breakout", bot=LondonBreakoutBot, instruments=("EUR/USD",), schedule=FX_HOURLY,
    timeframe="1h", asset_class=AssetClass.FX, params={}, regimes=TRENDING,
    description="EUR/USD London-open breakout of the 00:00-08:00 London range",
)
