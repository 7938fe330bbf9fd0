"""The target-weight backtest follows the engine's Target rules: next-open fills, costs,
tolerance, missing bars."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from tradefleet.backtest.targets import backtest_targets
from tradefleet.orchestrator.bot import PortfolioBot
from tradefleet.orchestrator.errors import PluginError
from tradefleet.orchestrator.panel import Panel


def _frame(opens: list[float], closes: list[float], days: list[str]) -> pd.DataFrame:
    idx = pd.DatetimeIndex(pd.to_datetime(days), name="ts").tz_localize("UTC").as_unit("ns")
    o, c = np.array(opens), np.array(closes)
    return pd.DataFrame({"open": o, "high": np.maximum(o, c), "low": np.minimum(o, c), "close": c, "volume": 1e6},
                        index=idx)


class Fixed(PortfolioBot):
    rows: ClassVar[list[dict[str, float]]] = []
    target_tolerance: ClassVar[float] = 0.0

    def weights(self, panel: Panel) -> pd.DataFrame:
        return pd.DataFrame(self.rows, index=panel.index).reindex(columns=list(panel.instruments))


DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]


def test_weights_fill_at_the_next_open_and_mark_at_the_close() -> None:
    Fixed.rows = [{"A": 0.5}, {"A": 0.5}, {"A": 0.5}, {"A": 0.5}]
    panel = Panel.from_frames({"A": _frame([100, 100, 120, 90], [100, 110, 120, 100], DAYS)})
    r = backtest_targets(Fixed(), panel, slippage_bps=0, fee_bps=0)
    # row 0 decides, row 1 opens at 100: 500 units, 50k cash; close 110 -> 105k
    assert r.equity[0] == pytest.approx(100_000) and r.equity[1] == pytest.approx(105_000)
    assert r.trades >= 1 and r.assumptions["fill"].startswith("next bar's open")


def test_tolerance_skips_small_rebalances_and_costs_are_charged() -> None:
    Fixed.rows = [{"A": 0.5}, {"A": 0.51}, {"A": 0.51}, {"A": 0.2}]
    panel = Panel.from_frames({"A": _frame([100] * 4, [100] * 4, DAYS)})
    free = backtest_targets(Fixed(), panel, slippage_bps=0, fee_bps=0, tolerance=0.02)
    assert free.trades == 1 and free.equity[-1] == pytest.approx(100_000)
    paid = backtest_targets(Fixed(), panel, slippage_bps=10, fee_bps=10, tolerance=0.02)
    assert paid.trades == 1 and paid.equity[-1] == pytest.approx(100_000 - 50_000 * 0.001 - 50_050 * 0.001, rel=1e-6)


def test_an_instrument_without_a_bar_trades_at_its_next_open() -> None:
    Fixed.rows = [{"A": 0.0, "B": 0.3}] + [{"A": 0.0, "B": 0.3}] * 3
    a = _frame([10] * 4, [10] * 4, DAYS)
    b = _frame([50, 60], [50, 60], [DAYS[0], DAYS[2]])  # no bar on the 3rd: B trades on the 4th's open
    panel = Panel.from_frames({"A": a, "B": b})
    r = backtest_targets(Fixed(), panel, slippage_bps=0, fee_bps=0)
    assert r.equity[1] == pytest.approx(100_000)  # nothing bought yet
    assert r.equity[2] == pytest.approx(100_000)  # bought 500 at 60, marked at 60
    assert r.trades == 1


def test_a_bot_without_weights_is_refused() -> None:
    class DecideOnly(PortfolioBot):
        pass

    panel = Panel.from_frames({"A": _frame([1] * 4, [1] * 4, DAYS)})
    with pytest.raises(PluginError, match="no weights"):
        backtest_targets(DecideOnly(), panel)


def test_rotation_bench_meets_its_target() -> None:
    """The bench's own run (generated data) under 0.5 s is measured in bench/; here only
    that it runs and trades."""
    from bench.rotation_bench import generated_universe, run_once

    frames = {k: v.iloc[:600] for k, v in generated_universe().items()}
    _, summary = run_once(frames)
    assert summary["rows"] >= 600 and summary["trades"] > 0  # type: ignore[operator]
