from decimal import Decimal

from tradefleet.orchestrator.domain import Fill, Side
from tradefleet.orchestrator.portfolio import Ledger

D = Decimal


def fill(side: Side, qty: str, price: str, fee: str = "0", n: int = 1, inst: str = "X") -> Fill:
    return Fill(f"c{n}", "paper", f"v{n}", f"t{n}", inst, side, D(qty), D(price), D(fee), n, n)


def test_ledger_round_trip_realises_pnl_net_of_fees() -> None:
    marks = {"X": 0.0}
    led = Ledger(D("1000"), marks.get)
    led.apply_fill("b", fill(Side.BUY, "10", "10", "0.5", 1))
    pos = led.apply_fill("b", fill(Side.SELL, "10", "12", "0.5", 2))
    assert pos.quantity == 0 and pos.realized_pnl == D("19.0")
    assert led.cash() == D("1019.0") and led.equity() == D("1019.0")
    assert led.open_position_count() == 0


def test_ledger_equity_identity_with_open_positions() -> None:
    marks = {"X": 11.0, "Y": 50.0}
    led = Ledger(D("1000"), marks.get)
    led.apply_fill("a", fill(Side.BUY, "10", "10", "1", 1))
    led.apply_fill("b", fill(Side.SELL, "2", "52", "1", 2, "Y"))
    unreal = sum(p.unrealized(D(repr(marks[p.instrument]))) for p in led.positions())
    assert led.equity() - D("1000") == led.realized() + unreal
    assert led.open_position_count() == 2


def test_ledger_flip_opens_remainder_at_fill_price() -> None:
    led = Ledger(D("0"), {"X": 9.0}.get)
    led.apply_fill("b", fill(Side.BUY, "5", "10", n=1))
    pos = led.apply_fill("b", fill(Side.SELL, "8", "9", n=2))
    assert pos.quantity == D("-3") and pos.avg_price == D("9") and pos.realized_pnl == D("-5")


def test_ledger_average_price_on_adds() -> None:
    led = Ledger(D("0"), {"X": 0.0}.get)
    led.apply_fill("b", fill(Side.BUY, "1", "10", n=1))
    pos = led.apply_fill("b", fill(Side.BUY, "3", "14", n=2))
    assert pos.avg_price == D("13") and pos.quantity == 4


def test_buys_spend_their_accounts_buying_power_until_the_next_refresh() -> None:
    led = Ledger(D("1000"), {"X": 10.0, "Y": 10.0}.get)
    assert led.spendable("X") == D("1000") and led.buying_power is None  # nothing reported: cash
    led.account_of = {"X": "margin", "Y": "cash"}.__getitem__
    led.set_buying_power("margin", D("4000"))
    led.set_buying_power("cash", D("300"))
    led.apply_fill("b", fill(Side.BUY, "10", "10", "1", 1))  # 100 + 1 fee from the margin account
    led.apply_fill("b", fill(Side.SELL, "5", "10", "1", 2))  # proceeds count at the next refresh
    assert led.spendable("X") == D("3898") and led.spendable("Y") == D("300")
    assert led.buying_power == D("4198")


def _holdings_by_scan(led: Ledger, owner: str) -> dict[str, Decimal]:  # what holdings() replaced
    return {p.instrument: p.quantity for p in led.positions() if p.bot == owner and p.quantity}


def test_holdings_are_one_owners_open_positions_in_positions_order_through_closes_and_a_restore() -> None:
    led = Ledger(D("100000"), {}.get)
    steps = [("a", Side.BUY, "5", "X"), ("b", Side.BUY, "1", "Y"), ("a", Side.SELL, "2", "Y"), ("a", Side.BUY, "3", "Z"),
             ("a", Side.SELL, "5", "X"), ("b", Side.SELL, "4", "X"), ("a", Side.BUY, "1", "X")]  # X closes, reopens
    for n, (owner, side, qty, inst) in enumerate(steps, 1):
        led.apply_fill(owner, fill(side, qty, "10", n=n, inst=inst))
        for o in ("a", "b", "nobody"):
            assert led.holdings(o) == _holdings_by_scan(led, o)
            assert list(led.holdings(o)) == list(_holdings_by_scan(led, o))
    assert list(led.holdings("a").items()) == [("X", D("1")), ("Y", D("-2")), ("Z", D("3"))]
    led.apply_fill("a", fill(Side.BUY, "2", "10", n=9, inst="Y"))  # Y flat: gone from holdings
    assert list(led.holdings("a")) == ["X", "Z"]
    restored = Ledger(D("0"), {}.get)
    restored.restore(led.cash(), led.positions())
    assert restored.holdings("a") == led.holdings("a") and restored.holdings("b") == {"X": D("-4"), "Y": D("1")}
    assert restored.realized("a") == led.realized("a")


def test_open_books_and_positions_value_follow_every_open_close_and_flip() -> None:
    """The open books are kept between changes: after each of a generated run of fills
    (opens, adds, closes, flips, reopens of closed books) they are the open positions in
    ``positions()`` order, and the positions value is theirs at the marks."""
    import random

    rng = random.Random(7)
    marks = {"X": 10.5, "Y": 20.25, "Z": 3.0}
    led = Ledger(D("100000"), marks.get)
    for n in range(1, 400):
        owner, inst = rng.choice("abc"), rng.choice("XYZ")
        pos = led.position(owner, inst)
        held = pos.quantity if pos is not None else D(0)
        qty = abs(held) if held and rng.random() < 0.4 else D(rng.randint(1, 5))  # often exactly flat
        side = (Side.SELL if held > 0 else Side.BUY) if held and rng.random() < 0.6 else rng.choice([Side.BUY, Side.SELL])
        led.apply_fill(owner, fill(side, str(qty), str(marks[inst]), "0", n, inst))
        open_now = [p for p in led.positions() if p.quantity]
        assert led.open_books() == [(p.bot, p.instrument, p.quantity, p.avg_price, p.realized_pnl) for p in open_now]
        assert led.positions_value() == sum((p.quantity * D(repr(marks[p.instrument])) for p in open_now), D(0))
        assert led.open_position_count() == len(open_now)
    led.restore(D("5"), [p for p in led.positions()][:3])
    assert led.open_books() == [(p.bot, p.instrument, p.quantity, p.avg_price, p.realized_pnl)
                                for p in led.positions() if p.quantity]
