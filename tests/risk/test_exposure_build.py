"""The exposure book read from the kernel's ledger (open books only) equals the book built
from every position, and never builds a position per book ever traded."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from tradefleet.orchestrator.domain import Fill, Side
from tradefleet.orchestrator.portfolio import Ledger
from tradefleet.risk.exposure import ExposureBook
from tradefleet.risk.prechecks import OutcomeWatcher

D = Decimal
MARKS = {"X": 101.5, "Y": 49.25, "EUR/USD": 1.0831}


def MULT(symbol: str) -> float:  # noqa: N802 (a contract multiplier: Z trades like an option)
    return 100.0 if symbol == "Z" else 1.0


class _Market:
    def last_close(self, symbol: str) -> float | None:
        return MARKS.get(symbol)

    def quote(self, symbol: str):  # type: ignore[no-untyped-def]
        m = MARKS.get(symbol)
        return None if m is None else (m, m)


class _PositionsOnly:
    """The same ledger seen only through PortfolioView's positions() (no open_books)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def cash(self) -> Decimal:
        return self.ledger.cash()

    def positions(self):  # type: ignore[no-untyped-def]
        return self.ledger.positions()


class _Counting(Ledger):
    scans = 0

    def positions(self):  # type: ignore[no-untyped-def]
        type(self).scans += 1
        return super().positions()


def _fields(book: ExposureBook) -> tuple:  # type: ignore[type-arg]
    return (book.cash, book.equity, list(book.holdings), [(h.quantity, h.mark, h.realized, h.fleet, h.mult)
                                                          for h in book.holdings.values()],
            book.gross, dict(book.gross_bot), dict(book.gross_fleet), book.count, dict(book.count_bot),
            dict(book.count_fleet), dict(book.net_symbol), {k: dict(v) for k, v in book.by_underlying.items()})


def test_ledger_book_equals_the_positions_book_and_skips_the_flat_ones() -> None:
    led = _Counting(D("100000"), MARKS.get)
    rng = np.random.default_rng(3)
    syms = ["X", "Y", "EUR/USD", "Z"]  # Z has no mark: valued at its average price
    fleet_of = {"a": "f1", "b": "f1", "c": "f2"}.get
    watch_fast, watch_slow = OutcomeWatcher(), OutcomeWatcher()
    closed_fast, closed_slow = [], []
    for n in range(300):
        bot, sym = "abc"[int(rng.integers(3))], syms[int(rng.integers(4))]
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        qty = D(int(rng.integers(1, 4)))
        led.apply_fill(bot, Fill(f"o{n}", "paper", f"v{n}", f"t{n}", sym, side, qty,
                                 D(str(round(100 + float(rng.normal(0, 3)), 2))), D("0.05"), n, n))
        _Counting.scans = 0
        fast = ExposureBook.build(led, _Market(), lambda b: fleet_of(b) or "default", MULT)
        assert _Counting.scans == 0
        slow = ExposureBook.build(_PositionsOnly(led), _Market(), lambda b: fleet_of(b) or "default",  # type: ignore[arg-type]
                                  MULT)
        assert _fields(fast) == _fields(slow)
        for key in [(b, s) for b in "abc" for s in syms]:
            assert fast.flat_realized.get(key) == slow.flat_realized.get(key)
        closed_fast += watch_fast.scan(fast)
        closed_slow += watch_slow.scan(slow)
    assert closed_fast == closed_slow and len(closed_fast) > 20
