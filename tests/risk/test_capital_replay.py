"""Sizing allocates capital, through the real replay on bundled prices: each running bot
has a budget (shares of the account summing to 1), entries are sized within it in
fractional units where the venue allows, and ``run --json``'s ``capital`` report matches
the utilisation rebuilt independently from the stored fills and the bundled closes."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tradefleet.app.config import AppConfig
from tradefleet.app.replay import resolve_frames, run_replay

BOTS = ["spx-rsi2", "spx-ibs-reversion", "spx-cci-reversion", "spx-double-sevens", "spx-heikin-ashi",
        "spx-sma-trend", "spx-turn-of-month", "spx-stochastic-reversion", "spx-keltner-breakout", "spx-obv-trend",
        "spx-adx-trend", "spx-gap-fade"]


def test_budgets_size_fractional_entries_and_utilisation_is_reported(tmp_path: Path) -> None:
    start, end = "2010-01-01", "2011-12-31"
    s = run_replay(AppConfig(), bots=BOTS, start=start, end=end, store_url=f"sqlite:///{tmp_path}/c.db")
    cap = s.capital
    budgets = {b: row["budget_of_equity"] for b, row in cap["bots"].items()}
    assert set(budgets) == set(BOTS) and sum(budgets.values()) == pytest.approx(1.0, abs=1e-4)  # the whole account, shared
    assert cap["entry_signals"] > 50 and cap["size_refusals"] == 0  # 1/12 of 100k buys fractional SPX units
    con = sqlite3.connect(tmp_path / "c.db")
    fills = con.execute("select o.bot, f.side, f.quantity, f.ts_init, d.reason from fills f join orders o "
                        "on o.client_order_id = f.client_order_id join gate_decisions d on d.signal_id = o.signal_id "
                        "and d.gate = 'risk' order by f.id").fetchall()
    curve = con.execute("select ts, equity from equity where account = ? order by ts", (s.account,)).fetchall()
    con.close()
    assert any(Decimal(f[2]) % 1 for f in fills)  # fractional quantities on the paper venue
    # rebuild the average gross exposure / equity at the same snapshots
    frames, _ = resolve_frames(AppConfig(), ["SPX"], "2009-01-01", end)
    spx = frames["SPX"]
    ts_bars, closes = spx.index.as_unit("ns").asi8, spx["close"].to_numpy()
    qty: dict[str, Decimal] = defaultdict(Decimal)
    k, ratios = 0, []
    for ts, equity in curve[:-1]:  # the last point is after settlement/end
        while k < len(fills) and fills[k][3] <= ts:  # fills of this instant precede its snapshot
            bot, side, q, _, _ = fills[k]
            qty[bot] += Decimal(q) if side == "buy" else -Decimal(q)
            k += 1
        close = closes[int(np.searchsorted(ts_bars, ts, side="right")) - 1]
        ratios.append(sum(abs(float(v)) for v in qty.values()) * close / float(equity))
    assert cap["samples"] >= len(ratios)
    assert cap["account_avg_gross_of_equity"] == pytest.approx(float(np.mean(ratios)), rel=0.01)  # the run also samples at its end
    assert cap["account_avg_gross_of_equity"] > 0.03
