"""Reference strategies used by the fidelity test and the benchmark.

``SmaCrossBot`` reproduces backtesting.py's documented ``SmaCross`` example as a tradefleet
bar bot: go long when the fast SMA crosses above the slow one, short when it crosses
below, hold in between (flat before the first cross). ``crossover`` uses backtesting.py's
exact definition: ``a[t-1] < b[t-1] and a[t] > b[t]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

# the kernels live in sma_kernels (the sweep's shared path uses them too); importable from here as before
from tradefleet.backtest.sma_kernels import cross_state_nb, rolling_mean_nb, sma_cross_nb  # noqa: F401
from tradefleet.orchestrator.bot import Bot, BotParams, BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from tradefleet.backtest.engine import SimSettings


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
    return cross_state_nb(np.ascontiguousarray(fast, dtype=np.float64), np.ascontiguousarray(slow, dtype=np.float64))


class SmaCrossBot(Bot):
    """SMA crossover, long and short, as in backtesting.py's SmaCross example."""

    description: ClassVar[str] = "SMA(fast) / SMA(slow) crossover, always in the market after the first cross"
    family: ClassVar[str] = "reference"
    Params: ClassVar[type[BotParams]] = SmaCrossParams

    def warmup_bars(self) -> int:
        return int(self.params.slow) + 1  # type: ignore[attr-defined]

    @classmethod
    def evaluate_combos(cls, spec: BotSpec, frame: pd.DataFrame, combos: Sequence[Mapping[str, Any]],
                        settings: SimSettings, start: int = 0) -> list[tuple[dict[str, float] | None, str]] | None:
        """A sweep's grid with each distinct window's rolling mean computed once
        (:mod:`tradefleet.backtest.sweep_shared`; see :func:`tradefleet.backtest.sweep.evaluate`)."""
        from tradefleet.backtest.sweep_shared import evaluate_sma_cross

        return evaluate_sma_cross(spec, frame, combos, settings, start)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        close = np.ascontiguousarray(frame["close"].to_numpy(dtype=np.float64))
        signal = sma_cross_nb(close, self.params.fast, self.params.slow)  # type: ignore[attr-defined]
        return pd.DataFrame({"signal": signal}, index=frame.index, copy=False)


def sma_cross_spec(fast: int = 10, slow: int = 20, symbol: str = "GOOG", name: str = "sma-cross") -> BotSpec:
    """Return an ad-hoc BotSpec for :class:`SmaCrossBot` (not registered as a plugin)."""
    return BotSpec(name=name, bot=SmaCrossBot, instruments=(symbol,), schedule=Schedule.interval("1d"),
                   timeframe="1d", asset_class=AssetClass.EQUITY, params={"fast": fast, "slow": slow})
