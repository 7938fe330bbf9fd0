"""The exposure book: what the account holds, valued at the last marks, by every scope
the limits need (global, bot, fleet, underlying, symbol).

The gate builds one book per clock tick from the portfolio (``positions()`` plus the
last closes) and then keeps it current within the tick by applying every order it
approves (:meth:`ExposureBook.apply`), so fifty bots signalling on the same bar close
are judged against each other's approvals, not against a stale book. A change in the
portfolio's cash or open-position count (a fill) also triggers a rebuild.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from tradefleet.orchestrator.pipeline.gate import MarketView, PortfolioView
from tradefleet.risk.structure import direction, is_option
from tradefleet.risk.tickers import underlying


def _marker(market: MarketView) -> Callable[[str], float | None]:
    """Return a symbol -> last close function (mid quote when the view has no closes)."""
    last_close = getattr(market, "last_close", None)
    if callable(last_close):
        return last_close  # type: ignore[no-any-return]

    def mid(symbol: str) -> float | None:
        q = market.quote(symbol)
        return (q[0] + q[1]) / 2 if q is not None else None

    return mid


class _FlatRealized:
    """``ExposureBook.flat_realized`` read from a ledger: the realised P&L of a flat
    (bot, instrument) position, looked up when asked for (None while open or unknown)."""

    __slots__ = ("portfolio",)

    def __init__(self, portfolio: PortfolioView) -> None:
        self.portfolio = portfolio

    def get(self, key: tuple[str, str], default: float | None = None) -> float | None:
        p = self.portfolio.position(*key)
        return float(p.realized_pnl) if p is not None and not p.quantity else default


@dataclass(slots=True)
class Holding:
    """One (bot, instrument) position valued at the mark."""

    bot: str
    instrument: str
    fleet: str
    quantity: float
    mark: float
    realized: float = 0.0
    mult: float = 1.0  # contract multiplier (an option: 100 shares per contract)

    @property
    def notional(self) -> float:
        return self.quantity * self.mark * self.mult

    @property
    def sign(self) -> int:
        return (self.quantity > 0) - (self.quantity < 0)


@dataclass
class ExposureBook:
    """Holdings and their aggregates; all money in account currency floats."""

    cash: float
    equity: float
    holdings: dict[tuple[str, str], Holding] = field(default_factory=dict)
    gross: float = 0.0
    gross_bot: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    gross_fleet: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    count: int = 0
    count_bot: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    count_fleet: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    net_symbol: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_underlying: dict[str, dict[tuple[str, str], int]] = field(default_factory=lambda: defaultdict(dict))
    flat_realized: dict[tuple[str, str], float] = field(default_factory=dict)
    version: int = 0
    #: orders booked by :meth:`apply` since this book was built (held until a rebuild)
    applied: int = 0
    mult_of: Callable[[str], float] = field(default=lambda _s: 1.0, repr=False)
    #: account -> buying power the venue reported (less the buys approved since); empty
    #: when the portfolio reports none (replay), and buys are then capped by ``cash``
    power: dict[str, float] = field(default_factory=dict)
    account_of: Callable[[str], str | None] = field(default=lambda _i: None)

    @classmethod
    def build(cls, portfolio: PortfolioView, market: MarketView, fleet_of: Callable[[str], str],
              mult_of: Callable[[str], float] | None = None) -> ExposureBook:
        """Value every open position at its last close (average price if none), times its
        contract multiplier (``mult_of``, 1 by default).

        A portfolio with ``open_books()`` (the kernel's ledger) is read without building a
        position for every book ever traded; the realised P&L of flat positions (for the
        outcome watcher, in the same tick) is then looked up when asked for."""
        book = cls(cash=float(portfolio.cash()), equity=0.0)
        if mult_of is not None:
            book.mult_of = mult_of
        powers = getattr(portfolio, "buying_powers", None)  # a Ledger synced from venue accounts
        if callable(powers):
            book.power = {a: float(v) for a, v in powers().items()}
            book.account_of = getattr(portfolio, "routed_account")
        mark_of = _marker(market)
        open_books = getattr(portfolio, "open_books", None)
        if open_books is not None:  # the kernel's ledger: no Position per book ever traded
            for bot, instrument, qty, avg, realized in open_books():
                mark = mark_of(instrument)
                book._add(Holding(bot, instrument, fleet_of(bot), float(qty), float(avg) if mark is None else mark,
                                  float(realized), book.mult_of(instrument)), +1)
            book.flat_realized = _FlatRealized(portfolio)  # type: ignore[assignment]
            book.equity = book.cash + sum(book.net_symbol.values())
            return book
        for p in portfolio.positions():
            if not p.quantity:
                book.flat_realized[(p.bot, p.instrument)] = float(p.realized_pnl)
                continue
            mark = mark_of(p.instrument)
            h = Holding(p.bot, p.instrument, fleet_of(p.bot), float(p.quantity),
                        float(p.avg_price) if mark is None else mark, float(p.realized_pnl), book.mult_of(p.instrument))
            book._add(h, +1)
        book.equity = book.cash + sum(book.net_symbol.values())
        return book

    def remark(self, market: MarketView) -> None:
        """Revalue every holding at the current marks (same positions, new prices)."""
        mark_of = _marker(market)
        self._revalue([(h, mark_of(h.instrument)) for h in self.holdings.values()])

    def rebuilt(self, portfolio: PortfolioView, market: MarketView) -> bool:
        """Turn this book into what :meth:`build` would return now, without rebuilding it,
        when that is certain: no order was applied since it was built (the caller has seen
        the same cash and open positions, so the same holdings) and every holding has a mark
        (a build values one without a mark at its average price, which the book does not
        keep). Holdings are re-added in build order, so every sum is the same float. False:
        nothing changed, build a new book."""
        if self.applied:
            return False
        mark_of = _marker(market)
        marks = [mark_of(h.instrument) for h in self.holdings.values()]
        if None in marks:
            return False
        powers = getattr(portfolio, "buying_powers", None)
        if callable(powers):  # the accounts may have moved buying power between them
            self.power = {a: float(v) for a, v in powers().items()}
        self._revalue(list(zip(self.holdings.values(), marks)))
        return True

    def _revalue(self, marked: list[tuple[Holding, float | None]]) -> None:
        """Re-add every holding, in the book's order, at its new mark (None: keep its mark)."""
        self.gross, self.count = 0.0, 0
        for d in (self.gross_bot, self.gross_fleet, self.count_bot, self.count_fleet, self.net_symbol):
            d.clear()
        self.holdings.clear()
        self.by_underlying.clear()
        for h, mark in marked:
            if mark is not None:
                h.mark = mark
            self._add(h, +1)
        self.equity = self.cash + sum(self.net_symbol.values())
        self.version += 1

    def _add(self, h: Holding, k: int) -> None:
        g = abs(h.notional) * k
        self.gross += g
        self.gross_bot[h.bot] += g
        self.gross_fleet[h.fleet] += g
        self.count += k
        self.count_bot[h.bot] += k
        self.count_fleet[h.fleet] += k
        self.net_symbol[h.instrument] += h.notional * k
        key = (h.bot, h.instrument)
        if k > 0:
            self.holdings[key] = h
            self.by_underlying[underlying(h.instrument)][key] = h.sign
        else:
            self.holdings.pop(key, None)
            self.by_underlying[underlying(h.instrument)].pop(key, None)

    def spendable(self, instrument: str) -> tuple[str, float]:
        """Return ("buying_power", what a buy of ``instrument`` may spend in its account)
        when the venue reported it, else ("cash", the book's cash)."""
        if self.power:
            acct = self.account_of(instrument)
            if acct in self.power:
                return "buying_power", self.power[acct]
        return "cash", self.cash

    def holding(self, bot: str, instrument: str) -> Holding | None:
        return self.holdings.get((bot, instrument))

    def apply(self, bot: str, instrument: str, fleet: str, delta_qty: float, price: float) -> None:
        """Book an approved order of ``delta_qty`` at ``price`` as if it had filled."""
        self.version += 1
        self.applied += 1
        old = self.holdings.get((bot, instrument))
        qty = delta_qty
        if old is not None:
            self._add(old, -1)
            qty += old.quantity
        m = self.mult_of(instrument)
        self.cash -= delta_qty * price * m
        if self.power and delta_qty > 0:
            acct = self.account_of(instrument)
            if acct in self.power:
                self.power[acct] -= delta_qty * price * m
        if abs(qty) > 1e-12:
            self._add(Holding(bot, instrument, fleet, qty, price, mult=m), +1)

    def cluster_gross(self, symbols: list[str]) -> float:
        """Return the summed |net notional| of ``symbols``."""
        return sum(abs(self.net_symbol.get(s, 0.0)) for s in symbols)

    def holders(self, instrument: str, spot_of: Callable[[str], float | None] | None = None
                ) -> list[tuple[str, str, int]]:
        """Return (bot, instrument, sign) of every holding on ``instrument``'s underlying. A
        bot holding options on it is ONE entry, (bot, underlying, the direction of all its
        positions there around the spot: :mod:`tradefleet.risk.structure`), left out when
        neutral. The spot is ``spot_of(underlying)``, else the underlying's mark in the book."""
        under = underlying(instrument)
        entries = self.by_underlying.get(under, {})
        folded = {b for (b, i) in entries if is_option(i)}
        if not folded:
            return [(b, i, s) for (b, i), s in entries.items()]
        out = [(b, i, s) for (b, i), s in entries.items() if b not in folded]
        px = spot_of(under) if spot_of is not None else None
        spot = float(px) if px is not None else None
        if spot is None:
            spot = next((h.mark for (_, i), h in self.holdings.items() if i == under), None)
        for bot in sorted(folded):
            legs = [(i, h.quantity, h.mult) for (b, i) in entries if b == bot for h in (self.holdings[(b, i)],)]
            sign = direction(legs, spot)
            if sign:
                out.append((bot, under, sign))
        return out

    def exposures(self) -> dict[str, float]:
        """Return symbol -> signed net notional as a fraction of equity."""
        eq = self.equity if self.equity > 0 else 1.0
        return {s: v / eq for s, v in self.net_symbol.items() if v}
