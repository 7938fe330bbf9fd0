"""The chain: primary -> fallback -> skip, recording who answered and why others failed, and
never handing back an earlier price when every source fails now."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import load_dataset
from tradefleet.scrapers.chain import SourceChain
from tradefleet.scrapers.providers import cut

SPX = load_dataset("sp500")


class ScriptedProvider:
    """Serves ``frame`` up to the asked end, or fails when told to; counts calls."""

    remote: ClassVar[bool] = True

    def __init__(self, name: str, frame: pd.DataFrame | None = None, error: str | None = None) -> None:
        self.name = name  # type: ignore[misc]
        self.frame = frame
        self.error = error
        self.calls = 0

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
        self.calls += 1
        if self.error is not None:
            raise DataError(f"{self.name}: {self.error}")
        assert self.frame is not None
        return cut(self.frame, start_ns, end_ns)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(int(pd.Timestamp("2010-06-01T22:00Z").value))


def test_primary_answers(clock: SimClock) -> None:
    a, b = ScriptedProvider("a", SPX), ScriptedProvider("b", SPX)
    ans = SourceChain([a, b], clock).fetch("SPX", "1d")
    assert ans.source == "a" and not ans.skipped and b.calls == 0
    assert ans.frame is not None and ans.frame.index[-1] == pd.Timestamp("2010-06-01T20:00Z")
    assert ans.provenance is not None and ans.provenance.source == "a"
    assert ans.provenance.published_at == int(ans.frame.index[-1].value)


def test_fallback_records_why_primary_failed(clock: SimClock) -> None:
    a, b = ScriptedProvider("a", error="HTTP 503"), ScriptedProvider("b", SPX)
    ans = SourceChain([a, b], clock).fetch("SPX", "1d")
    assert ans.source == "b"
    assert [(x.source, x.ok) for x in ans.attempts] == [("a", False), ("b", True)]
    assert "a: HTTP 503" in ans.attempts[0].error and "answered by b after a:" in ans.reason()


def test_stale_primary_falls_back(clock: SimClock) -> None:
    old = SPX[SPX.index < "2010-05-01"]
    ans = SourceChain([ScriptedProvider("a", old), ScriptedProvider("b", SPX)], clock).fetch("SPX", "1d")
    assert ans.source == "b" and "stale" in ans.attempts[0].error


def test_bad_tick_primary_falls_back(clock: SimClock) -> None:
    bad = SPX.copy()
    i = bad.index.get_loc(pd.Timestamp("2010-05-20T20:00Z"))
    bad.iloc[i, :4] = bad.iloc[i, :4] * 3.0
    ans = SourceChain([ScriptedProvider("a", bad), ScriptedProvider("b", SPX)], clock).fetch("SPX", "1d")
    assert ans.source == "b" and "outlier" in ans.attempts[0].error


def test_all_fail_is_a_skip_without_a_price(clock: SimClock) -> None:
    a = ScriptedProvider("a", SPX)
    b = ScriptedProvider("b", error="timeout")
    chain = SourceChain([a, b], clock)
    assert chain.fetch("SPX", "1d").source == "a"  # a price earlier ...
    a.error = "HTTP 500"
    clock.advance(86_400)
    ans = chain.fetch("SPX", "1d")  # ... is not handed back when nobody answers now
    assert ans.skipped and ans.frame is None and ans.source is None and ans.provenance is None
    assert "skipped, no valid source (a: a: HTTP 500; b: b: timeout)" in ans.reason()


def test_provider_bug_does_not_stop_the_chain(clock: SimClock) -> None:
    class Broken(ScriptedProvider):
        def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
            raise KeyError("oops")

    ans = SourceChain([Broken("x"), ScriptedProvider("b", SPX)], clock).fetch("SPX", "1d")
    assert ans.source == "b" and "KeyError" in ans.attempts[0].error


def test_never_asks_beyond_now(clock: SimClock) -> None:
    ans = SourceChain([ScriptedProvider("a", SPX)], clock).fetch("SPX", "1d", end_ns=clock.now_ns() + 10**15)
    assert ans.frame is not None and int(ans.frame.index[-1].value) <= clock.now_ns()


def test_empty_chain_is_a_config_error(clock: SimClock) -> None:
    with pytest.raises(DataError, match="chain is empty"):
        SourceChain([], clock)
