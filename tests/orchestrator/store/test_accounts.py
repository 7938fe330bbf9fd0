from decimal import Decimal
from pathlib import Path

from tradefleet.orchestrator.domain import Position
from tradefleet.orchestrator.store import Store


def test_store_positions_and_equity_are_kept_per_account(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    store.save_position(Position("b", "X", Decimal(1), Decimal(10), Decimal(0), "replay-1"), 1)
    store.save_position(Position("b", "X", Decimal(5), Decimal(12), Decimal(3), "replay-2"), 2)
    store.record_equity(1, 100, 10, 110, account="replay-1")
    store.record_equity(1, 200, 60, 260, account="replay-2")
    assert [p.quantity for p in store.positions(account="replay-1")] == [Decimal(1)]
    assert {p.account for p in store.positions()} == {"replay-1", "replay-2"}
    assert [e.equity for e in store.equity_curve(account="replay-2")] == [Decimal(260)]
    assert len(store.equity_curve()) == 2
    store.close()


def test_store_signal_round_trip_keeps_the_account_scoped_id(tmp_path: Path) -> None:
    from tradefleet.orchestrator.domain import Direction, Signal

    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    a = Signal("b", "X", Direction.LONG, 1.0, 10.0, 5, 6, meta={"k": 1}, account="replay-1")
    b = Signal("b", "X", Direction.LONG, 1.0, 10.0, 5, 6, meta={"k": 1}, account="replay-2")
    assert a.signal_id != b.signal_id
    assert store.record_signal(a, [], "noop") and store.record_signal(b, [], "noop")
    (ra, rb) = sorted(store.signals(), key=lambda r: r.meta["account"])
    assert ra.to_signal().signal_id == a.signal_id == ra.signal_id and rb.to_signal().signal_id == b.signal_id
    assert ra.to_signal().meta == {"k": 1}
    store.close()
