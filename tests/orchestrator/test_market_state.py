"""MarketState's symbol list: sorted, kept between calls, and renewed when a symbol arrives
by any route (a preloaded history, a live bar, an option quote)."""

from __future__ import annotations

import pandas as pd

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.domain import Bar
from tradefleet.orchestrator.market import MarketState

T0 = 1_700_000_000 * NS


def _frame() -> pd.DataFrame:  # hand-written two-bar history
    idx = pd.DatetimeIndex([pd.Timestamp(T0, tz="UTC"), pd.Timestamp(T0 + 60 * NS, tz="UTC")])
    return pd.DataFrame({"open": [1.0, 2.0], "high": [1.0, 2.0], "low": [1.0, 2.0], "close": [1.0, 2.0],
                         "volume": [1.0, 1.0]}, index=idx)


def test_symbols_are_sorted_kept_and_renewed_on_every_new_symbol() -> None:
    m = MarketState()
    assert m.symbols() == ()
    m.load("MSFT", _frame())
    first = m.symbols()
    assert first == ("MSFT",)
    assert m.symbols() is first  # no new symbol: the same tuple (the risk gate asks per tick)
    m.append(Bar("AAPL", T0, 1.0, 1.0, 1.0, 1.0, 1.0, T0))
    assert m.symbols() == ("AAPL", "MSFT")
    m.put_quote("SPY240119C00450000", T0, 1.0, 1.2)
    assert m.symbols() == ("AAPL", "MSFT", "SPY240119C00450000")
    m.put_quote("SPY240119C00450000", T0 + NS, 1.1, 1.3)  # a known symbol: nothing new
    m.load("BTC/USD", _frame())
    assert m.symbols() == ("AAPL", "BTC/USD", "MSFT", "SPY240119C00450000")
