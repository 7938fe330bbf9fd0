"""The Redis Streams bus on the local Redis: delivery, acknowledgement, restart, claim,
atomic outputs, dead letters and a cut connection."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus, connect
from tradefleet.orchestrator.domain import Direction, Order, Side, Signal
from tests.orchestrator.distributed.conftest import REDIS_URL
from tests.orchestrator.distributed.proxy import TcpProxy


def _sig(i: int) -> Signal:
    return Signal("b", "SPX", Direction.LONG if i % 2 else Direction.SHORT, 0.5, 100.0 + i, i, i + 1,
                  meta={"i": i})


def _bus(prefix: str, group: str, consumer: str, url: str = REDIS_URL, **kw: Any) -> RedisStreamsBus:
    kw.setdefault("block_ms", 50)
    return RedisStreamsBus(connect(url, block_ms=kw["block_ms"]), group=group, consumer=consumer, prefix=prefix,
                           **kw)


def _drain(bus: RedisStreamsBus, rounds: int = 20) -> None:
    for _ in range(rounds):
        if not bus.poll(block_ms=10):
            return


def test_publish_subscribe_roundtrip_types_and_groups(prefix: str) -> None:
    a, b = _bus(prefix, "leader", "a"), _bus(prefix, "dashboard", "d")
    got_a: list[Any] = []
    got_b: list[Any] = []
    a.subscribe(Topic.SIGNALS, lambda t, e: got_a.append((t, e)))
    b.subscribe(Topic.SIGNALS, lambda t, e: got_b.append(e))
    order = Order("tf-1", "b", "SPX", Side.BUY, Decimal("0.10"), 5)
    pub = _bus(prefix, "pub", "p")
    pub.publish_many(Topic.SIGNALS, [_sig(i) for i in range(5)])
    pub.publish(Topic.SIGNALS, order)
    _drain(a)
    _drain(b)
    assert [e for _t, e in got_a] == [_sig(i) for i in range(5)] + [order]
    assert got_a[0][0] is Topic.SIGNALS
    assert got_b == [e for _t, e in got_a]  # each group sees every entry
    assert got_a[-1][1].quantity == Decimal("0.10")  # exact, never through float
    assert a.pending(Topic.SIGNALS) == 0 and b.lag(Topic.SIGNALS) == 0


def test_consumers_of_one_group_share_entries(prefix: str) -> None:
    seen: dict[str, list[int]] = {"w1": [], "w2": []}
    buses = {}
    for name in seen:
        buses[name] = _bus(prefix, "workers", name, batch=3)
        buses[name].subscribe("jobs", lambda _t, e, n=name: seen[n].append(e.ts_event))
    _bus(prefix, "pub", "p").publish_many("jobs", [_sig(i) for i in range(12)])
    for _ in range(10):
        for bus in buses.values():
            bus.poll(block_ms=10)
    assert sorted(seen["w1"] + seen["w2"]) == list(range(12))
    assert seen["w1"] and seen["w2"]


def test_restarted_consumer_resumes_from_last_acknowledged(prefix: str) -> None:
    handled: list[int] = []

    def crash_on_3(_t: object, e: Signal) -> None:
        if e.ts_event == 3:
            raise RuntimeError("crash mid-entry")
        handled.append(e.ts_event)

    first = _bus(prefix, "leader", "leader-1", batch=10, claim_idle_ms=3_600_000)
    first.subscribe(Topic.SIGNALS, crash_on_3)
    _bus(prefix, "pub", "p").publish_many(Topic.SIGNALS, [_sig(i) for i in range(6)])
    first.poll(block_ms=10)
    assert handled == [0, 1, 2, 4, 5]
    assert first.pending(Topic.SIGNALS) == 1  # entry 3 delivered, never acknowledged
    first.client.close()
    # the same consumer restarts: it re-reads its unacknowledged entry first, then new ones
    again: list[int] = []
    second = _bus(prefix, "leader", "leader-1", batch=10, claim_idle_ms=3_600_000)
    second.subscribe(Topic.SIGNALS, lambda _t, e: again.append(e.ts_event))
    _bus(prefix, "pub", "p").publish(Topic.SIGNALS, _sig(6))
    _drain(second)
    assert again == [3, 6]
    assert second.stats.redelivered == 1 and second.pending(Topic.SIGNALS) == 0


def test_dead_consumers_entries_are_claimed(prefix: str) -> None:
    dead = _bus(prefix, "workers", "dead", batch=2)
    dead.subscribe("jobs", lambda _t, _e: (_ for _ in ()).throw(RuntimeError("killed")))
    _bus(prefix, "pub", "p").publish_many("jobs", [_sig(i) for i in range(4)])
    dead.poll(block_ms=10)  # takes 2 entries and never acknowledges them
    live_seen: list[int] = []
    live = _bus(prefix, "workers", "live", batch=10, claim_idle_ms=1)
    live.subscribe("jobs", lambda _t, e: live_seen.append(e.ts_event))
    _drain(live)
    assert sorted(live_seen) == [0, 1, 2, 3]
    assert live.stats.claimed == 2 and live.pending("jobs") == 0


def test_outputs_are_published_and_input_acked_atomically(prefix: str) -> None:
    worker = _bus(prefix, "workers", "w")
    worker.subscribe("jobs", lambda _t, e: [("results", e.ts_event * 10)])
    sink: list[int] = []
    leader = _bus(prefix, "leader", "l")
    leader.subscribe("results", lambda _t, e: sink.append(e))
    _bus(prefix, "pub", "p").publish_many("jobs", [_sig(i) for i in range(3)])
    _drain(worker)
    _drain(leader)
    assert sink == [0, 10, 20] and worker.pending("jobs") == 0


def test_poison_entry_goes_to_dead_letter_after_max_attempts(prefix: str) -> None:
    bus = _bus(prefix, "leader", "l", max_attempts=3, claim_idle_ms=3_600_000)
    bus.subscribe(Topic.ORDERS, lambda _t, _e: (_ for _ in ()).throw(ValueError("bad")))
    bus.publish(Topic.ORDERS, _sig(1))
    bus.poll(block_ms=10)
    for _ in range(3):
        bus._recovering.add(bus.stream(Topic.ORDERS))  # as after a restart
        bus.poll(block_ms=10)
    assert bus.stats.dead == 1 and bus.pending(Topic.ORDERS) == 0
    assert bus.client.xlen(bus.stream("dead")) == 1


def test_cut_connection_resumes_from_last_acknowledged(prefix: str) -> None:
    from urllib.parse import urlsplit

    target = urlsplit(REDIS_URL)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 6379))
    try:
        url = f"redis://127.0.0.1:{proxy.port}/0"
        handled: list[int] = []
        cut_after = {"n": 3}

        def handler(_t: object, e: Signal) -> None:
            if len(handled) == cut_after["n"]:
                proxy.cut()  # the connection dies while this entry is being handled
            handled.append(e.ts_event)

        bus = _bus(prefix, "leader", "l", url=url, batch=5, claim_idle_ms=3_600_000)
        bus.subscribe(Topic.SIGNALS, handler)
        pub = _bus(prefix, "pub", "p")
        pub.publish_many(Topic.SIGNALS, [_sig(i) for i in range(10)])
        assert bus.poll(block_ms=10) == 0  # handled 0..4 but the XACK failed: nothing counted
        assert not bus.connected and bus.stats.outages == 1
        assert bus.poll(block_ms=10) == 0 and not bus.connected  # still down
        bus.publish(Topic.ALERTS, _sig(99))  # kept in the backlog, not lost
        assert bus.backlog == 1
        cut_after["n"] = -1
        proxy.restore()
        _drain(bus)
        assert bus.connected and bus.backlog == 0
        # 0..4 were handled but not acknowledged before the cut: they come back first
        assert handled == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        assert bus.pending(Topic.SIGNALS) == 0
        assert pub.client.xlen(bus.stream(Topic.ALERTS)) == 1
    finally:
        proxy.close()
