"""Reference strategies used by the fidelity test and the benchmark.

``SmaCrossBot`` reproduces backtesting.py's documented ``SmaCross`` example as a tradefleet
bar bot: go long when the fast SMA crosses above the slow one, short when it crosses
below, hold in between (flat before the first cross). ``crossover`` uses backtesting.py's
exact definition: ``a[t-1] < b[t-1] and a[t] > b[t]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field, model_validator

from orchestrator.bot import Bot, BotParams, BotSpec, Schedule
from orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class SmaCrossParams(BotParams):
    """Fast and slow simple-moving-average windows (bars)."""

    fast: int = Field(10, ge=1)
    slow: int = Field(20, ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> SmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


def cross_state(fast: np.ndarray, slow: np.ndarray) -> np.ndarray:
    """Return +1 after an up-cross, -1 after a down-cross, 0 before the first cross."""
    up = np.zeros(len(fast), dtype=bool)
    down = np.zeros(len(fast), dtype=bool)
    with np.errstate(invalid="ignore"):
        up[1:] = (fast[:-1] < slow[:-1]) & (fast[1:] > slow[1:])
        down[1:] = (fast[:-1] > slow[:-1]) & (fast[1:] < slow[1:])
    event = np.where(up, 1.0, np.where(down, -1.0, np.nan))
    # Forward-fill the last event: np.maximum.accumulate over the indices of events.
    idx = np.where(~np.isnan(event), np.arange(len(event)), -1)
    np.maximum.accumulate(idx, out=idx)
    state = np.where(idx >= 0, event[np.maximum(idx, 0)], 0.0)
    return state


class SmaCrossBot(Bot):
    """SMA crossover, long and short, as in backtesting.py's SmaCross example."""

    description: ClassVar[str] = "SMA(fast) / SMA(slow) crossover, always in the market after the first cross"
    family: ClassVar[str] = "reference"
    Params: ClassVar[type[BotParams]] = SmaCrossParams

    def warmup_bars(self) -> int:
        return int(self.params.slow) + 1  # type: ignore[attr-defined]

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        close = frame["close"].to_numpy(dtype=np.float64)
        # pandas rolling mean: the same arithmetic as backtesting.py's SMA helper.
        fast = pd.Series(close).rolling(self.params.fast).mean().to_numpy()  # type: ignore[attr-defined]
        slow = pd.Series(close).rolling(self.params.slow).mean().to_numpy()  # type: ignore[attr-defined]
        return pd.DataFrame({"signal": cross_state(fast, slow)}, index=frame.index)


def sma_cross_spec(fast: int = 10, slow: int = 20, symbol: str = "GOOG", name: str = "sma-cross") -> BotSpec:
    """Return an ad-hoc BotSpec for :class:`SmaCrossBot` (not registered as a plugin)."""
    return BotSpec(name=name, bot=SmaCrossBot, instruments=(symbol,), schedule=Schedule.interval("1d"),
                   timeframe="1d", asset_class=AssetClass.EQUITY, params={"fast": fast, "slow": slow})
