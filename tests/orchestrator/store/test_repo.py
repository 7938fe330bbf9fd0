"""Round trips of every Store write through its reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import (
    Decision,
    Direction,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Signal,
    TimeInForce,
)
from tradefleet.orchestrator.errors import StoreError
from tradefleet.orchestrator.store import FLEET, ControlState, Store, bot_scope, rejected


def _signal(ts: int = 1_000, bot: str = "spx-trend", direction: Direction = Direction.LONG) -> Signal:
    return Signal(bot, "SPX", direction, 0.75, 4321.5, ts, ts + 5, stop=4200.0, target=4500.25,
                  meta={"fast": 20, "why": ["cross"], "nested": {"z": 1.5}})


def _order(sig: Signal, qty: str = "3", **kw: object) -> Order:
    return Order(Order.make_id(sig.signal_id), sig.bot, sig.instrument, Side.BUY, Decimal(qty),
                 sig.ts_init + 1, signal_id=sig.signal_id, **kw)  # type: ignore[arg-type]


def _fill(order: Order, trade: str, qty: str, price: str, venue: str = "paper") -> Fill:
    return Fill(order.client_order_id, venue, "V-" + order.client_order_id, trade, order.instrument,
                order.side, Decimal(qty), Decimal(price), Decimal("0.01"), 2_000, 2_001)


def _ordered(store: Store, sig: Signal | None = None, **kw: object) -> Order:
    sig = sig or _signal()
    assert store.record_signal(sig, [Decision.passed("risk")], "ordered")
    order = _order(sig, **kw)  # type: ignore[arg-type]
    assert store.record_order_intent(order)
    return order


def test_signal_round_trip_with_decisions_in_order(store: Store) -> None:
    sig = _signal()
    decisions = [
        Decision.passed("regime", data={"p_bull": 0.8}),
        Decision.resized("ensemble", 0.5, "weak", "3 of 8 agree", data={"votes": [1, 0, 1]}),
        Decision.rejected("risk", "max_positions", "25 open"),
    ]
    assert store.record_signal(sig, decisions, rejected("risk", "max_positions"))
    (rec,) = store.signals()
    assert rec.signal_id == sig.signal_id
    assert rec.to_signal() == sig and rec.to_signal().signal_id == sig.signal_id
    assert rec.meta == sig.meta
    assert (rec.stop, rec.target, rec.outcome) == (4200.0, 4500.25, "rejected:risk:max_positions")
    got = store.decisions(sig.signal_id)
    assert got == decisions
    assert [d.data for d in got] == [d.data for d in decisions]


def test_signal_duplicate_keeps_first_record(store: Store) -> None:
    sig = _signal()
    assert store.record_signal(sig, [Decision.passed("risk")], "ordered")
    assert not store.record_signal(sig, [Decision.rejected("risk", "cash")], "rejected:risk:cash")
    assert store.signals()[0].outcome == "ordered"
    assert [d.verdict.value for d in store.decisions(sig.signal_id)] == ["pass"]


@pytest.mark.parametrize("outcome", ["", "filled", "rejected:risk", "rejected::x"])
def test_signal_bad_outcome_rejected(store: Store, outcome: str) -> None:
    with pytest.raises(StoreError, match="outcome"):
        store.record_signal(_signal(), [], outcome)
    assert store.signals() == []


def test_signals_filter_by_bot_and_limit_keeps_latest(store: Store) -> None:
    for ts in (30, 10, 20):
        store.record_signal(_signal(ts), [], "noop")
    store.record_signal(_signal(15, bot="other"), [], "noop")
    assert [s.ts_event for s in store.signals()] == [10, 15, 20, 30]
    assert [s.ts_event for s in store.signals(bot="spx-trend", limit=2)] == [20, 30]
    assert [s.bot for s in store.signals(bot="other")] == ["other"]


def test_signal_meta_with_nan_and_decimal_is_stored_as_json(store: Store) -> None:
    sig = Signal("b", "X", Direction.SHORT, 0.1, 1.0, 1, 1,
                 meta={"nan": float("nan"), "px": Decimal("1.25"), "t": (1, 2)})
    store.record_signal(sig, [], "noop")
    assert store.signals()[0].meta == {"nan": None, "px": "1.25", "t": [1, 2]}


def test_order_intent_round_trip(store: Store) -> None:
    sig = _signal()
    store.record_signal(sig, [], "ordered")
    order = _order(sig, "0.000123456789", order_type=OrderType.LIMIT,
                   limit_price=Decimal("4321.55"), account="alpaca", reduce_only=True)
    assert store.record_order_intent(order)
    rec = store.order(order.client_order_id)
    assert rec is not None and rec.order == order
    assert rec.status is OrderStatus.INTENT and rec.filled_quantity == 0
    assert rec.venue_order_id is None and rec.avg_price is None and rec.ts_updated == order.ts_init
    assert store.order("nope") is None


@pytest.mark.parametrize("kind", ["stop_limit", "trailing", "gtd_post_only", "bracket_child"])
def test_order_types_and_links_round_trip(store: Store, kind: str) -> None:
    sig = _signal()
    store.record_signal(sig, [], "ordered")
    kw: dict[str, object] = {
        "stop_limit": {"order_type": OrderType.STOP_LIMIT, "stop_price": Decimal("4300.25"),
                       "limit_price": Decimal("4299.5"), "time_in_force": TimeInForce.DAY},
        "trailing": {"order_type": OrderType.TRAILING_STOP, "trail_percent": Decimal("1.5"),
                     "time_in_force": TimeInForce.IOC},
        "gtd_post_only": {"order_type": OrderType.LIMIT, "limit_price": Decimal("4000"), "post_only": True,
                          "time_in_force": TimeInForce.GTD, "expire_ns": 1_700_000_000_000_000_123},
        "bracket_child": {"order_type": OrderType.STOP, "stop_price": Decimal("4200"), "reduce_only": True,
                          "parent_id": "tf-parent", "oco_id": "tf-parent/exit", "time_in_force": TimeInForce.FOK},
    }[kind]  # type: ignore[assignment]
    order = _order(sig, **kw)
    assert store.record_order_intent(order)
    rec = store.order(order.client_order_id)
    assert rec is not None and rec.order == order
    assert [r.order for r in store.open_orders()] == [order]


def test_market_order_defaults_stay_market_gtc(store: Store) -> None:
    rec = store.order(_ordered(store).client_order_id)
    assert rec is not None and rec.order_type is OrderType.MARKET and rec.time_in_force is TimeInForce.GTC
    assert rec.stop_price is None and not rec.post_only and rec.parent_id is None and rec.oco_id is None


def test_order_intent_duplicate_returns_false_and_keeps_state(store: Store) -> None:
    order = _ordered(store)
    store.update_order(order.client_order_id, OrderStatus.ACCEPTED, venue_order_id="v1", ts_ns=9)
    assert not store.record_order_intent(order)
    rec = store.order(order.client_order_id)
    assert rec is not None and rec.status is OrderStatus.ACCEPTED


def test_order_intent_without_stored_signal_is_store_error(store: Store) -> None:
    order = _order(_signal())
    with pytest.raises(StoreError, match="record the signal first"):
        store.record_order_intent(order)
    assert store.orders() == []


def test_order_without_signal_allowed(store: Store) -> None:
    order = Order("tf-manual", "ops", "EURUSD", Side.SELL, Decimal("1000"), 5)
    assert store.record_order_intent(order)
    rec = store.order("tf-manual")
    assert rec is not None and rec.signal_id is None and rec.side is Side.SELL


def test_update_order_keeps_fields_not_given(store: Store) -> None:
    order = _ordered(store)
    cid = order.client_order_id
    store.update_order(cid, OrderStatus.SUBMITTED, ts_ns=10)
    store.update_order(cid, "accepted", venue_order_id="V1", ts_ns=11)
    store.update_order(cid, OrderStatus.PARTIALLY_FILLED, filled_quantity=Decimal("1"),
                       avg_price=Decimal("100.5"), ts_ns=12)
    store.update_order(cid, OrderStatus.CANCELED, reason="operator cancel", ts_ns=13)
    rec = store.order(cid)
    assert rec is not None
    assert (rec.status, rec.venue_order_id, rec.filled_quantity, rec.avg_price, rec.reason,
            rec.ts_updated) == (OrderStatus.CANCELED, "V1", Decimal("1"), Decimal("100.5"),
                                "operator cancel", 13)
    assert rec.remaining == Decimal("2")


def _order_reads(store: Store) -> list[str]:
    """Reads of whole order records, as the store's engine executes them."""
    from sqlalchemy import event

    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.lstrip().startswith("SELECT orders.client_order_id, orders.bot,"):
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    return seen


def test_order_reads_in_a_batch_are_kept_until_the_order_is_written(store: Store) -> None:
    order = _ordered(store)
    cid = order.client_order_id
    reads = _order_reads(store)
    with store.batch():
        first = store.order(cid)
        assert store.order(cid) is first and len(reads) == 1  # read once per batch
        store.update_order(cid, OrderStatus.PARTIALLY_FILLED, filled_quantity=Decimal("1"), ts_ns=20)
        rec = store.order(cid)
        assert rec is not None and rec.status is OrderStatus.PARTIALLY_FILLED and rec.remaining == Decimal("2")
        assert len(reads) == 2
        assert store.order("tf-missing") is None and store.order("tf-missing") is None and len(reads) == 3
        sig = _signal(ts=5_000)
        store.record_signal(sig, [Decision.passed("risk")], "ordered")
        late = Order("tf-missing", sig.bot, sig.instrument, Side.SELL, Decimal("1"), 5_001, signal_id=sig.signal_id)
        store.record_order_intent(late, commit=False)
        assert store.order("tf-missing") is not None  # an intent recorded after a miss is seen
    store.order(cid)
    store.order(cid)
    assert len(reads) == 6  # outside a batch every call reads


def test_order_read_that_raced_a_write_is_not_kept(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write of the order while its read is in flight (another thread): the read's
    record is returned but not kept, so the next call sees the write."""
    import tradefleet.orchestrator.store.reads as reads

    order = _ordered(store)
    cid = order.client_order_id
    parse = reads._order
    raced = []

    def racing(row: object) -> object:
        if not raced:
            raced.append(True)
            with store._order_written(cid):  # what update_order does around its statement
                pass
        return parse(row)

    monkeypatch.setattr(reads, "_order", racing)
    with store.batch():
        stale = store.order(cid)
        assert cid not in store._orders_read
        assert stale is not None and store.order(cid) is not stale


def test_update_unknown_order_is_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="order tf-x is not stored"):
        store.update_order("tf-x", OrderStatus.FILLED, ts_ns=1)


def test_orders_filter_by_status_and_bot(store: Store) -> None:
    a = _ordered(store, _signal(1))
    b = _ordered(store, _signal(2))
    c = _ordered(store, _signal(3, bot="fx"))
    store.update_order(b.client_order_id, OrderStatus.FILLED, ts_ns=5)
    store.update_order(c.client_order_id, OrderStatus.UNKNOWN, ts_ns=5)
    assert [o.client_order_id for o in store.orders()] == [a.client_order_id, b.client_order_id,
                                                           c.client_order_id]
    assert [o.client_order_id for o in store.orders(OrderStatus.FILLED)] == [b.client_order_id]
    assert [o.client_order_id for o in store.open_orders()] == [a.client_order_id, c.client_order_id]
    assert [o.client_order_id for o in store.open_orders(bot="fx")] == [c.client_order_id]
    assert [o.client_order_id for o in store.orders([OrderStatus.FILLED, OrderStatus.UNKNOWN],
                                                    bot="spx-trend")] == [b.client_order_id]


def test_fill_round_trip_and_duplicate_ignored(store: Store) -> None:
    order = _ordered(store)
    f1 = _fill(order, "t1", "1", "100.25")
    f2 = _fill(order, "t2", "2", "100.75")
    assert store.record_fill(f1)
    assert not store.record_fill(f1)
    assert not store.record_fill(_fill(order, "t1", "5", "1"))  # same key, other values
    assert store.record_fill(f2)
    assert store.record_fill(_fill(order, "t1", "1", "100.25", venue="other"))  # other venue
    assert store.fills(order.client_order_id)[:2] == [f1, f2]
    assert len(store.fills()) == 3 and store.fills("nope") == []


def test_duplicate_fill_inside_batch_does_not_spoil_batch(store: Store) -> None:
    order = _ordered(store)
    with store.batch():
        assert store.record_fill(_fill(order, "t1", "1", "10"))
        assert not store.record_fill(_fill(order, "t1", "1", "10"))
        assert store.record_fill(_fill(order, "t2", "1", "10"))
    assert [f.trade_id for f in store.fills()] == ["t1", "t2"]


def test_fill_for_unknown_order_is_store_error(store: Store) -> None:
    ghost = Order("tf-ghost", "b", "X", Side.BUY, Decimal(1), 1)
    with pytest.raises(StoreError, match="order tf-ghost, which is not stored"):
        store.record_fill(_fill(ghost, "t1", "1", "1"))


def test_position_upsert_round_trip(store: Store) -> None:
    store.save_position(Position("b", "SPX", Decimal("3"), Decimal("100.5")), 1)
    store.save_position(Position("b", "SPX", Decimal("0"), Decimal("0"), Decimal("-12.34")), 2)
    store.save_position(Position("a", "BTC", Decimal("-0.5"), Decimal("65000.123456789012")), 3)
    assert store.positions() == [
        Position("a", "BTC", Decimal("-0.5"), Decimal("65000.123456789012")),
        Position("b", "SPX", Decimal("0"), Decimal("0"), Decimal("-12.34")),
    ]
    assert [p.instrument for p in store.positions(bot="a")] == ["BTC"]


def test_equity_curve_round_trip(store: Store) -> None:
    store.record_equity(20, Decimal("900.5"), Decimal("100"), Decimal("1000.5"))
    store.record_equity(10, 1000.0, 0.0, 1000.0)
    store.record_equity(20, Decimal("901"), Decimal("100"), Decimal("1001"))  # replaces
    curve = store.equity_curve()
    assert [(p.ts_ns, p.cash, p.equity) for p in curve] == [
        (10, Decimal("1000"), Decimal("1000")), (20, Decimal("901"), Decimal("1001"))]


def test_control_defaults_and_changes_with_audit(store: Store) -> None:
    assert store.control(FLEET) == ControlState("fleet")
    s1 = store.set_control(bot_scope("spx"), paused=True, reason="maintenance", actor="cli", ts_ns=1)
    assert s1 == ControlState("bot:spx", True, False, "maintenance", "cli", 1)
    s2 = store.set_control("bot:spx", halted=True, reason="loss", actor="risk", ts_ns=2)
    assert (s2.paused, s2.halted, s2.reason, s2.actor) == (True, True, "loss", "risk")
    s3 = store.set_control("bot:spx", paused=False, reason="resume", actor="cli", ts_ns=3)
    assert (s3.paused, s3.halted) == (False, True)
    store.set_control(FLEET, halted=True, reason="kill switch", actor="telegram", ts_ns=4)
    assert store.control("bot:spx") == s3
    assert [c.scope for c in store.controls()] == ["bot:spx", "fleet"]
    events = store.control_events()
    assert [(e.scope, e.paused, e.halted, e.actor) for e in events] == [
        ("bot:spx", True, None, "cli"), ("bot:spx", None, True, "risk"),
        ("bot:spx", False, None, "cli"), ("fleet", None, True, "telegram")]
    assert [e.ts_ns for e in store.control_events("bot:spx", limit=2)] == [2, 3]


@pytest.mark.parametrize("scope", ["", "bots:x", "bot:", "global"])
def test_control_bad_scope_rejected(store: Store, scope: str) -> None:
    with pytest.raises(StoreError, match="scope"):
        store.set_control(scope, paused=True, reason="x", actor="y", ts_ns=1)


def test_control_written_by_another_store_is_seen_at_once(store: Store, store_url: str) -> None:
    assert not store.control(FLEET).paused
    with Store.open(store_url) as cli:
        cli.set_control(FLEET, paused=True, reason="ops", actor="cli", ts_ns=7)
    assert store.control(FLEET).paused


def test_bots_round_trip(store: Store) -> None:
    store.upsert_bot("spx", strategy="tradefleet.bots.equities.SmaTrendBot", family="equities",
                     asset_class="equity", updated_ns=1)
    store.upsert_bot("btc", strategy="tradefleet.bots.crypto.X", family="crypto", asset_class="crypto",
                     status="broken", error="ImportError: no module", updated_ns=2)
    store.upsert_bot("spx", strategy="tradefleet.bots.equities.SmaTrendBot", family="equities",
                     asset_class="equity", status="faulted", error="ZeroDivisionError", updated_ns=3)
    assert [(b.name, b.status, b.error, b.updated_ns) for b in store.bots()] == [
        ("btc", "broken", "ImportError: no module", 2), ("spx", "faulted", "ZeroDivisionError", 3)]
    with pytest.raises(StoreError, match="status"):
        store.upsert_bot("x", strategy="s", family="f", asset_class="a", status="dead", updated_ns=1)


def test_runs_round_trip(store: Store) -> None:
    assert store.last_run() is None
    r1 = store.start_run("replay", 100)
    store.end_run(r1, "completed", {"trades": 3, "pnl": "12.5", "bots": {"a": [1, 2]}}, 200)
    r2 = store.start_run("paper", 300)
    assert r2 > r1
    last = store.last_run()
    assert last is not None and (last.id, last.mode, last.status, last.ended_ns) == (r2, "paper", "running", None)
    store.end_run(r2, "halted", {}, 400)
    with pytest.raises(StoreError, match="run 999 is not stored"):
        store.end_run(999, "x", {}, 1)
    store.end_run(r1, "completed", {"trades": 3}, 200)
    last = store.last_run()
    assert last is not None and last.summary == {} and last.status == "halted"


def test_batch_commits_at_end_and_rolls_back_on_error(store: Store, store_url: str) -> None:
    with Store.open(store_url) as other:
        with store.batch():
            store.record_equity(1, 1, 0, 1)
            assert store.in_batch and [p.ts_ns for p in store.equity_curve()] == [1]
            assert other.equity_curve() == []  # not committed yet
        assert [p.ts_ns for p in other.equity_curve()] == [1]
        with pytest.raises(RuntimeError), store.batch():
            store.record_equity(2, 1, 0, 1)
            raise RuntimeError("boom")
        assert [p.ts_ns for p in store.equity_curve()] == [1]


def test_intent_committed_inside_batch_before_send(store: Store, store_url: str) -> None:
    sig, later = _signal(1), _signal(2)
    with Store.open(store_url) as other, store.batch():
        store.record_signal(sig, [], "ordered")
        order = _order(sig)
        store.record_order_intent(order)  # durable now, before any send
        assert other.order(order.client_order_id) is not None
        store.record_signal(later, [], "ordered")
        replayed = _order(later)
        assert store.record_order_intent(replayed, commit=False)
        assert other.order(replayed.client_order_id) is None
        store.commit()
        assert other.order(replayed.client_order_id) is not None


def test_decisions_written_in_a_batch_read_back_commit_once_and_roll_back(store: Store, store_url: str) -> None:
    first, second, lost = _signal(1), _signal(2, bot="other"), _signal(3)
    d1 = [Decision.passed("regime", data={"p": 0.5}), Decision.resized("ensemble", 0.5, "weak", "x")]
    d2 = [Decision.rejected("risk", "cash", "none left")]
    with Store.open(store_url) as other:
        with store.batch():
            assert store.record_signal(first, d1, "ordered")
            assert store.record_signal(second, d2, rejected("risk", "cash"))
            assert store.decisions(first.signal_id) == d1  # this thread reads its own writes
            assert not store.record_signal(first, d2, rejected("risk", "cash"))  # duplicate: nothing added
            assert other.decisions(first.signal_id) == []  # not committed yet
            store.commit()
            assert other.decisions(first.signal_id) == d1 and other.decisions(second.signal_id) == d2
            assert store.record_signal(_signal(4), [Decision.passed("veto")], "ordered")
        assert [d.gate for d in other.decisions(_signal(4).signal_id)] == ["veto"]
        with pytest.raises(RuntimeError), store.batch():
            store.record_signal(lost, d1, "ordered")
            raise RuntimeError("boom")
        assert store.decisions(lost.signal_id) == [] and other.decisions(first.signal_id) == d1
        with store.batch():  # the rolled-back decisions are not written by a later commit
            store.record_signal(_signal(5), [], "noop")
        assert store.decisions(lost.signal_id) == []


def test_equity_snapshots_in_a_batch_replace_by_instant_and_commit_in_order(store: Store, store_url: str) -> None:
    store.record_equity(5, 100, 0, 100, account="a")  # before the batch: updated in place by it
    with Store.open(store_url) as other:
        with store.batch():
            store.record_equity(20, 1, 2, 3, account="a")
            store.record_equity(10, 4, 5, 9, account="b")
            store.record_equity(20, 7, 8, 15, account="a")  # the same instant again: replaces
            store.record_equity(5, 90, 0, 90, account="a")
            store.record_equity(20, 1, 1, 2, account="b")  # another account at the same instant
            assert [(p.ts_ns, p.account, p.equity) for p in store.equity_curve()] == \
                [(5, "a", 90), (10, "b", 9), (20, "a", 15), (20, "b", 2)]
            assert [p.ts_ns for p in other.equity_curve()] == [5]  # not committed yet
        assert [(p.ts_ns, p.account, p.cash, p.equity) for p in other.equity_curve()] == \
            [(5, "a", 90, 90), (10, "b", 4, 9), (20, "a", 7, 15), (20, "b", 1, 2)]
        assert [p.ts_ns for p in other.equity_curve("b")] == [10, 20]


def test_nested_batch_joins_outer(store: Store) -> None:
    with pytest.raises(RuntimeError), store.batch():
        with store.batch():
            store.record_equity(1, 1, 0, 1)
        assert store.in_batch
        raise RuntimeError("outer fails")
    assert store.equity_curve() == []


def test_batch_belongs_to_its_thread(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store.record_equity(1, 1, 0, 1)
    with ThreadPoolExecutor(1) as pool, store.batch():
        store.record_equity(2, 1, 0, 1)
        # another thread (e.g. the dashboard) is not in the batch: it neither blocks nor
        # sees the uncommitted row
        other_view = pool.submit(lambda: (store.in_batch, [p.ts_ns for p in store.equity_curve()]))
        assert other_view.result() == (False, [1])
        assert [p.ts_ns for p in store.equity_curve()] == [1, 2]
    assert [p.ts_ns for p in store.equity_curve()] == [1, 2]


def test_long_venue_ids_fit(store: Store) -> None:
    token = "7" * 78  # a Polymarket CLOB token id is a 77-78 digit integer
    external = "x" * 128  # Alpaca allows 128-character client order ids
    order = Order(external, "poly-edge", token, Side.BUY, Decimal("10"), 1, account="polymarket")
    assert store.record_order_intent(order)
    assert store.record_fill(Fill(external, "polymarket", "0x" + "a" * 126, "t" * 128, token,
                                  Side.BUY, Decimal("10"), Decimal("0.42"), Decimal(0), 2, 2))
    store.save_position(Position("poly-edge", token, Decimal("10"), Decimal("0.42")), 2)
    assert store.fills(external)[0].instrument == token
    assert store.positions()[0].instrument == token
