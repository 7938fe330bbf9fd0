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


def test_a_live_series_keeps_every_bar_as_it_grows_from_a_small_start() -> None:
    # thousands of option contracts each hold a live series of a few dozen quotes: a series
    # starts small and doubles; every bar is kept, in order, through the growth
    m = MarketState()
    for k in range(100):
        m.put_quote("SPY240119C00450000", T0 + k * NS, 1.0 + k, 1.2 + k)
        if k % 7 == 0:  # a second quote at the same instant replaces the first
            m.put_quote("SPY240119C00450000", T0 + k * NS, 2.0 + k, 2.2 + k)
    ts, cols = m.arrays("SPY240119C00450000")
    assert ts.tolist() == [T0 + k * NS for k in range(100)]
    want_bid = [(2.0 if k % 7 == 0 else 1.0) + k for k in range(100)]
    assert cols["low"].tolist() == want_bid
    assert cols["high"].tolist() == [(2.2 if k % 7 == 0 else 1.2) + k for k in range(100)]
    assert m.quote("SPY240119C00450000") == (1.0 + 99, 1.2 + 99)
    # memory grows with the bars held (6,784 option series of at most 69 quotes in the default
    # run held 48 KB each when every series started at 1,024 slots: about 300 MB)
    assert m._series["SPY240119C00450000"].ts.size <= 2 * 100
    m.put_quote("SPY240119P00400000", T0, 1.0, 1.1)
    assert m._series["SPY240119P00400000"].ts.size <= 16
    ts3, _ = m.arrays("SPY240119C00450000", 3)
    assert ts3.tolist() == [T0 + k * NS for k in (97, 98, 99)]


def test_keep_last_only_drops_a_live_series_history_but_its_last_quote() -> None:
    from tradefleet.orchestrator.market import MarketState

    m = MarketState()
    for i in range(40):
        m.set_quote("OPT", 1_000 + i, 1.0 + i, 1.2 + i)
    last, quote = m.last_bar("OPT"), m.quote("OPT")
    m.keep_last_only("OPT")
    assert len(m.timestamps("OPT")) == 1 and m.last_bar("OPT") == last and m.quote("OPT") == quote
    assert m.closes("OPT", 5) == [last.close]
    m.set_quote("OPT", 2_000, 5.0, 5.5)  # quoted again later: it grows again
    assert list(m.timestamps("OPT")[:2]) == [1_039, 2_000] and m.quote("OPT") == (5.0, 5.5)
    m.keep_last_only("nothing-here")  # unknown: nothing to do
