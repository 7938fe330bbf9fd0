"""Position and cash book-keeping from fills.

One :class:`Ledger` is tradefleet's own book (positions per bot and instrument); the
paper broker keeps another as the venue's book. Realised P&L includes fees, so
``equity - starting_cash == sum(realised) + sum(unrealised)`` holds exactly at any mark.

Quantities are the venue's units and prices per unit of the underlying; an instrument with
a contract multiplier (an option: 100 shares per contract) moves cash, P&L and value by
quantity x price x multiplier. ``multiplier(symbol)`` gives it (1 when None or unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tradefleet.orchestrator.domain import ZERO, Fill, Position
from tradefleet.orchestrator.errors import PluginError


class _Book:
    __slots__ = ("qty", "avg", "realized")

    def __init__(self) -> None:
        self.qty = ZERO
        self.avg = ZERO
        self.realized = ZERO


class Ledger:
    """Cash plus positions keyed by (owner, instrument); implements PortfolioView."""

    def __init__(self, starting_cash: Decimal, mark: Callable[[str], float | None], account: str = "paper",
                 multiplier: Callable[[str], Decimal | None] | None = None) -> None:
        self.account = account
        self._multiplier = multiplier
        self._mult: dict[str, Decimal] = {}
        self._cash = starting_cash
        self._mark = mark
        self._books: dict[tuple[str, str], _Book] = {}
        #: owner -> its books in the order they opened, and the change counter of each
        #: owner (first appearance order), so a reader of one owner's P&L never scans all
        self._by_owner: dict[str, dict[str, _Book]] = {}
        self._owner_seq: dict[str, int] = {}
        self._seq = 0
        self._open = 0
        #: the open books in ``_books`` order, rebuilt only when a book opens or closes (the
        #: ledger keeps every book ever traded: thousands of option contracts in a long run)
        self._open_cache: list[tuple[tuple[str, str], _Book]] | None = None
        self.fees_paid = ZERO
        #: account -> what it may spend on buys: the venue's buying power at the last
        #: account refresh, less the buys booked since (empty: not reported, cash is used)
        self._power: dict[str, Decimal] = {}
        #: instrument -> the account its orders go to (the kernel sets the router's)
        self.account_of: Callable[[str], str] = lambda _instrument: account

    # -- updates --------------------------------------------------------------------
    def apply_fill(self, owner: str, fill: Fill) -> Position:
        """Book one fill for ``owner``; return the resulting position."""
        key = (owner, fill.instrument)
        book = self._books.get(key)
        if book is None:
            book = self._books[key] = _Book()
            self._by_owner.setdefault(owner, {})[fill.instrument] = book
        self._seq += 1
        self._owner_seq[owner] = self._seq
        signed = fill.signed_qty
        m = self.mult(fill.instrument)
        self._cash -= signed * fill.price * m + fill.fee
        if self._power:
            acct = self.routed_account(fill.instrument)
            if acct in self._power:  # a buy spends buying power; sale proceeds count at the next refresh
                self._power[acct] -= max(signed * fill.price * m, ZERO) + fill.fee
        self.fees_paid += fill.fee
        book.realized -= fill.fee
        was_open = book.qty != 0
        if book.qty == 0 or (book.qty > 0) == (signed > 0):
            total = book.qty + signed
            book.avg = (book.avg * book.qty + fill.price * signed) / total
            book.qty = total
        else:
            closing = min(abs(signed), abs(book.qty))
            direction = 1 if book.qty > 0 else -1
            book.realized += (fill.price - book.avg) * closing * direction * m
            remainder = book.qty + signed
            if remainder == 0:
                book.avg = ZERO
            elif (remainder > 0) != (book.qty > 0):  # flipped: the rest opens at this price
                book.avg = fill.price
            book.qty = remainder
        now_open = book.qty != 0
        if now_open != was_open:
            self._open += 1 if now_open else -1
            self._open_cache = None
        return Position(owner, fill.instrument, book.qty, book.avg, book.realized, self.account)

    def mult(self, instrument: str) -> Decimal:
        """The contract multiplier of ``instrument`` (1 unless the instrument has one)."""
        m = self._mult.get(instrument)
        if m is None:
            got = self._multiplier(instrument) if self._multiplier is not None else None
            if got is None:
                return Decimal(1)  # not known yet: asked again next time
            m = self._mult[instrument] = got
        return m

    def unrealized(self, position: Position, mark: Decimal) -> Decimal:
        """Unrealised P&L of ``position`` at ``mark``, times its contract multiplier."""
        return position.unrealized(mark) * self.mult(position.instrument)

    def set_cash(self, cash: Decimal) -> None:
        """Take the cash the venue accounts report (paper and live sizing)."""
        self._cash = cash

    def set_buying_power(self, account: str, power: Decimal) -> None:
        """Take what ``account`` may spend as its venue reports it (margin: more than its
        cash; a cash account with unsettled sales: less)."""
        self._power[account] = power

    def buying_power_of(self, account: str) -> Decimal | None:
        return self._power.get(account)

    def buying_powers(self) -> dict[str, Decimal]:
        """Account -> buying power (empty when no venue reported one)."""
        return dict(self._power)

    @property
    def buying_power(self) -> Decimal | None:
        """The accounts' summed buying power (None: not reported)."""
        return sum(self._power.values(), ZERO) if self._power else None

    def spendable(self, instrument: str) -> Decimal:
        """What a buy of ``instrument`` may spend: its account's buying power, or the
        book's cash when the venue reported none."""
        power = self._power.get(self.routed_account(instrument)) if self._power else None
        return self._cash if power is None else power

    def routed_account(self, instrument: str) -> str | None:
        """The account an order for ``instrument`` goes to (None: routed nowhere)."""
        try:
            return self.account_of(instrument)
        except PluginError:  # routed nowhere: no account's buying power applies
            return None

    def empty_like(self, cash: Decimal) -> Ledger:
        """A new, empty ledger with this one's marks and account."""
        return Ledger(cash, self._mark, self.account, self._multiplier)

    def restore(self, cash: Decimal, positions: list[Position]) -> None:
        """Load a stored state (restart)."""
        self._seq += 1  # positions changed, even to none
        self._cash = cash
        self._books.clear()
        self._by_owner.clear()
        self._owner_seq.clear()
        for p in positions:
            b = self._books[(p.bot, p.instrument)] = _Book()
            b.qty, b.avg, b.realized = p.quantity, p.avg_price, p.realized_pnl
        for (owner, instrument), b in self._books.items():
            self._by_owner.setdefault(owner, {})[instrument] = b
            self._seq += 1
            self._owner_seq[owner] = self._seq
        self._open = sum(1 for b in self._books.values() if b.qty != 0)
        self._open_cache = None

    # -- PortfolioView --------------------------------------------------------------
    def cash(self) -> Decimal:
        return self._cash

    def position(self, bot: str, instrument: str) -> Position | None:
        b = self._books.get((bot, instrument))
        if b is None:
            return None
        return Position(bot, instrument, b.qty, b.avg, b.realized, self.account)

    def positions(self) -> list[Position]:
        return [Position(o, i, b.qty, b.avg, b.realized, self.account) for (o, i), b in self._books.items()]

    def open_position_count(self) -> int:
        return self._open

    def open_books(self) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
        """(owner, instrument, quantity, average price, realised P&L) of every open
        position, in the order :meth:`positions` lists them, without building a
        :class:`Position` for every book ever opened (the risk gate reads this per tick)."""
        return [(o, i, b.qty, b.avg, b.realized) for (o, i), b in self._open_books()]

    def _open_books(self) -> list[tuple[tuple[str, str], _Book]]:
        cached = self._open_cache
        if cached is None:
            cached = self._open_cache = [(k, b) for k, b in self._books.items() if b.qty]
        return cached

    def holdings(self, owner: str) -> dict[str, Decimal]:
        """Instrument -> quantity of ``owner``'s open positions, in the order :meth:`positions`
        lists them (read per fire of an intent bot: no scan of every owner's books)."""
        return {i: b.qty for i, b in self._by_owner.get(owner, {}).items() if b.qty}

    def net_quantity(self, instrument: str) -> Decimal:
        """Net quantity over every owner of ``instrument``."""
        return sum((b.qty for (_, i), b in self._books.items() if i == instrument), ZERO)

    def positions_value(self) -> Decimal:
        """Sum of quantity x mark over open positions (at the last known marks)."""
        total = ZERO
        for (_, inst), b in self._open_books():
            mark = self._mark(inst)
            total += b.qty * (Decimal(repr(mark)) if mark is not None else b.avg) * self.mult(inst)
        return total

    def equity(self) -> Decimal:
        return self._cash + self.positions_value()

    def realized(self, owner: str | None = None) -> Decimal:
        if owner is not None:
            return sum((b.realized for b in self._by_owner.get(owner, {}).values()), ZERO)
        return sum((b.realized for b in self._books.values()), ZERO)

    @property
    def changes(self) -> int:
        """A counter that moves whenever any position changes (a fill, a restore): equal
        counters, equal positions."""
        return self._seq

    def owners_changed(self, since: int) -> tuple[list[str], int]:
        """The owners whose books changed after change ``since`` (in the order they first
        traded), and the change counter to pass next time (0 at first: every owner)."""
        return [o for o, seq in self._owner_seq.items() if seq > since], self._seq
