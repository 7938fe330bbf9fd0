"""Opening-gap fades on daily bars."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, NON_BEAR, NYSE_CLOSE, BarBot, bars_of, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class GapFadeParams(BotParams):
    """Gap size and holding rule of :class:`GapFadeBot`."""

    gap_atr: float = Field(0.75, gt=0, le=10, description="gap size that counts, in ATRs of the prior bars")
    hold: int = Field(3, ge=1, le=20, description="give up after this many bars if the gap has not filled")
    atr_period: int = Field(14, ge=2, le=100)
    allow_short: bool = Field(True, description="also fade gaps up")


def _fade_leg(entry: np.ndarray, level_at_entry: np.ndarray, close: np.ndarray, hold: int,
              side: int) -> tuple[np.ndarray, np.ndarray]:
    """Hold one side from ``entry`` until the close reaches the latched level or ``hold``
    bars pass; return (position 0/1, latched fill level)."""
    level = ta.latch(np.where(entry, level_at_entry, np.nan), initial=np.nan)
    with np.errstate(invalid="ignore"):
        filled = close >= level if side > 0 else close <= level
    done = filled | (ta.bars_since_true(entry) >= hold)
    return ta.latch(np.where(entry, 1.0, np.where(done, 0.0, np.nan))), level


class GapFadeBot(BarBot):
    """After a large opening gap that is still open at the close, bet on the gap filling."""

    description: ClassVar[str] = "Gap fade: after an unfilled opening gap > k ATR, trade back toward the prior close"
    family: ClassVar[str] = "equities"
    Params: ClassVar[type[BotParams]] = GapFadeParams
    params: GapFadeParams

    def lookback(self) -> int:
        return self.params.atr_period + 1

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        b = bars_of(frame)
        prev_close = ta.shift(b.close, 1)
        prev_atr = ta.shift(ta.atr(b.high, b.low, b.close, p.atr_period), 1)
        gap = (b.open - prev_close) / prev_atr
        down = (gap < -p.gap_atr) & (b.close < prev_close)   # gapped down and still below
        up = (gap > p.gap_atr) & (b.close > prev_close)
        lpos, llvl = _fade_leg(down, prev_close, b.close, p.hold, 1)
        sig, target = lpos, np.where(lpos > 0, llvl, np.nan)
        if p.allow_short:
            spos, slvl = _fade_leg(up, prev_close, b.close, p.hold, -1)
            sig = lpos - spos
            target = np.where(sig > 0, llvl, np.where(sig < 0, slvl, np.nan))
        with np.errstate(divide="ignore", invalid="ignore"):
            conf = np.clip(np.abs(gap) / (3 * p.gap_atr), 0.3, 1.0)
        return signal_frame(frame, sig, np.nan_to_num(conf, nan=0.3), target=target)


GOOG_GAP_FADE = BotSpec(
    name="goog-gap-fade", bot=GapFadeBot, instruments=("GOOG",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.EQUITY, params={"gap_atr": 0.75}, regimes=ALL_REGIMES,
    description="GOOG fade of unfilled opening gaps > 0.75 ATR, both sides",
)
SPX_GAP_FADE = BotSpec(
    name="spx-gap-fade", bot=GapFadeBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={"gap_atr": 0.5, "allow_short": False}, regimes=NON_BEAR,
    description="S&P 500 buy of unfilled gap-downs > 0.5 ATR",
)
