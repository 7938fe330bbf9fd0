"""Shared plumbing of the built-in bar bots: array extraction, output frame, schedules.

Bot modules import this (and :mod:`tradefleet.bots.indicators`, numpy only) at top level; pandas is
imported inside functions so that loading every bot stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.orchestrator.bot import Bot, Schedule

if TYPE_CHECKING:
    import pandas as pd

#: Daily US bots: 5 minutes after each NYSE session close (half days included).
NYSE_CLOSE = Schedule.at_close("5m", calendar="NYSE")
#: Hourly FX bots: every hour of the 24/5 FX week.
FX_HOURLY = Schedule.interval("1h", calendar="FX")
#: Monthly crypto bots: 00:05 UTC on the first of each month.
CRYPTO_MONTHLY = Schedule.crontab("5 0 1 * *", timezone="UTC", calendar="CRYPTO")

ALL_REGIMES = frozenset({"bull", "bear", "sideways"})
TRENDING = frozenset({"bull", "bear"})
BULL = frozenset({"bull"})
NON_BEAR = frozenset({"bull", "sideways"})
SIDEWAYS = frozenset({"sideways"})


@dataclass(frozen=True)
class Bars:
    """The OHLCV columns of a bar frame as float64 arrays."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.close)


def bars_of(frame: pd.DataFrame) -> Bars:
    """Return the frame's OHLCV columns as arrays."""
    def col(name: str) -> np.ndarray:
        return np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64))

    return Bars(col("open"), col("high"), col("low"), col("close"), col("volume"))


def signal_frame(
    frame: pd.DataFrame,
    signal: np.ndarray,
    confidence: np.ndarray | float | None = None,
    stop: np.ndarray | None = None,
    target: np.ndarray | None = None,
) -> pd.DataFrame:
    """Build the signal output of ``compute`` on ``frame``'s index.

    NaN signals (warm-up) become 0 (flat); confidence is clipped to [0, 1] and set to 1
    where flat (an exit is never a low-conviction signal a later gate might drop);
    stop/target are NaN where flat.
    """
    import pandas as pd

    sig = np.nan_to_num(np.asarray(signal, dtype=np.float64), nan=0.0)
    sig = np.sign(sig).astype(np.int64)
    flat = sig == 0
    cols: dict[str, np.ndarray] = {"signal": sig}
    if confidence is None:
        conf = np.ones(len(sig))
    else:
        conf = np.broadcast_to(np.asarray(confidence, dtype=np.float64), sig.shape)
        conf = np.clip(np.nan_to_num(conf, nan=0.0), 0.0, 1.0)
    cols["confidence"] = np.where(flat, 1.0, conf)
    for name, value in (("stop", stop), ("target", target)):
        if value is not None:
            cols[name] = np.where(flat, np.nan, np.asarray(value, dtype=np.float64))
    return pd.DataFrame(cols, index=frame.index)


def atr_levels(direction: np.ndarray, close: np.ndarray, atr_: np.ndarray,
               stop_atr: float, target_atr: float | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (stop, target) prices ``stop_atr`` / ``target_atr`` ATRs from the close."""
    d = np.sign(np.nan_to_num(direction))
    stop = close - d * stop_atr * atr_
    target = None if target_atr is None else close + d * target_atr * atr_
    return stop, target


class BarBot(Bot):
    """A bar bot whose warm-up is derived from its params by ``lookback()``."""

    def lookback(self) -> int:
        """Return the longest window the bot's indicators use."""
        return 200

    def warmup_bars(self) -> int:
        # Recursive smoothers need a few times their span to forget the seed.
        return int(self.lookback()) * 3 + 5


def hold(entry: np.ndarray, exit_: np.ndarray) -> np.ndarray:
    """Return 1 from each ``entry`` bar until the next ``exit_`` bar (entry wins ties), else 0."""
    entry = np.asarray(entry, dtype=bool)
    exit_ = np.asarray(exit_, dtype=bool)
    return ta.latch(np.where(entry, 1.0, np.where(exit_, 0.0, np.nan)))


def long_short(entry_long: np.ndarray, exit_long: np.ndarray,
               entry_short: np.ndarray | None = None, exit_short: np.ndarray | None = None) -> np.ndarray:
    """Combine a held long leg and an optional held short leg into a -1/0/1 signal.

    Each leg is held from its entry to its own exit; if both legs are on, the signal is 0.
    """
    sig = hold(entry_long, exit_long)
    if entry_short is not None and exit_short is not None:
        sig = sig - hold(entry_short, exit_short)
    return sig
