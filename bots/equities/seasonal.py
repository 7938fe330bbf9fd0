"""Calendar anomalies: the turn-of-the-month effect in US equities."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots.base import ALL_REGIMES, NYSE_CLOSE, BarBot, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


def session_days(frame: pd.DataFrame, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (day of month, trading-day index within its month) of every bar.

    The index is counted from the first bar of each month in the frame; for the frame's
    first month it is unknown (inf) unless that month starts by its 4th calendar day.
    """
    local = frame.index.tz_convert(timezone)
    dom = np.asarray(local.day, dtype=np.int64)
    key = np.asarray(local.year, dtype=np.int64) * 12 + np.asarray(local.month, dtype=np.int64)
    n = len(key)
    if n == 0:
        return dom, np.zeros(0)
    new = np.ones(n, dtype=bool)
    new[1:] = key[1:] != key[:-1]
    start = np.where(new, np.arange(n), 0)
    np.maximum.accumulate(start, out=start)
    idx = (np.arange(n) - start).astype(np.float64)
    if dom[0] > 4:  # the frame opens mid-month: its first month's count is unknown
        idx[key == key[0]] = np.inf
    return dom, idx


class TurnOfMonthParams(BotParams):
    """Window of :class:`TurnOfMonthBot`."""

    entry_day: int = Field(27, ge=20, le=31, description="go long at the close on/after this calendar day")
    exit_trading_day: int = Field(3, ge=1, le=10, description="flat from the close of this trading day of the new month")
    timezone: str = Field("America/New_York")


class TurnOfMonthBot(BarBot):
    """Hold the index over the last days of a month and the first trading days of the next."""

    description: ClassVar[str] = "Turn-of-the-month effect: long from late month to the 3rd trading day"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = TurnOfMonthParams
    params: TurnOfMonthParams

    def lookback(self) -> int:
        return 23

    def warmup_bars(self) -> int:
        return 46

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        dom, td = session_days(frame, p.timezone)
        # Signals are taken at the close: a 1 at the close of trading day k holds over day k+1.
        sig = (dom >= p.entry_day) | (td < p.exit_trading_day - 1)
        return signal_frame(frame, sig.astype(np.float64), 1.0)


SPX_TURN_OF_MONTH = BotSpec(
    name="spx-turn-of-month", bot=TurnOfMonthBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={}, regimes=ALL_REGIMES,
    description="S&P 500 turn-of-the-month hold (day 27 to the 3rd trading day)",
)
IXIC_TURN_OF_MONTH = BotSpec(
    name="ixic-turn-of-month", bot=TurnOfMonthBot, instruments=("IXIC",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={"entry_day": 26, "exit_trading_day": 4}, regimes=ALL_REGIMES,
    description="NASDAQ Composite turn-of-the-month hold (day 26 to the 4th trading day)",
)
