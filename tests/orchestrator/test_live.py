"""Backtest/live parity: the live path (compute on the recent window, last row) emits the
same signals as replay (compute once over the whole history) on the same bars."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import Bar, OrderType
from tradefleet.orchestrator.kernel import assemble
from tradefleet.app.live import LiveRunner
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import resolve_frames, run_replay
from tradefleet.orchestrator.scheduler import SimScheduler, build_trigger
from tradefleet.orchestrator.store import Store

BOT = "spx-sma-trend"
START, END = "2009-01-01", "2012-12-31"


class FrameFeed:
    """A bar feed that releases each bar of a frame once its close time has passed."""

    def __init__(self, symbol: str, frame: pd.DataFrame) -> None:
        self.symbol = symbol
        self.rows = list(frame.itertuples())
        self.i = 0

    def poll(self, symbols: list[str], now_ns: int) -> list[Bar]:
        out = []
        while self.i < len(self.rows) and self.rows[self.i].Index.value <= now_ns and self.symbol in symbols:
            r = self.rows[self.i]
            out.append(Bar(self.symbol, r.Index.value, r.open, r.high, r.low, r.close, r.volume, r.Index.value))
            self.i += 1
        return out


def _signals(store: Store) -> list[tuple[int, str]]:
    return sorted((s.ts_event, s.direction.value) for s in store.signals(bot=BOT))


def test_live_path_emits_the_same_signals_as_replay(tmp_path: Path) -> None:
    config = AppConfig()
    run_replay(config, bots=[BOT], start=START, end=END, store_url=f"sqlite:///{tmp_path}/replay.db")
    replay_store = Store.open(f"sqlite:///{tmp_path}/replay.db")
    expected = _signals(replay_store)
    replay_store.close()
    assert len(expected) >= 2

    registry = Registry.discover()
    spec = registry.bot(BOT)
    frames, instruments = resolve_frames(config, list(spec.instruments), None, END)
    frame = frames["SPX"]  # history before START is the warm-up a live start loads first
    start_ns = int(frame.index[frame.index >= START][0].value)
    clock = SimClock(start_ns - 1)
    store = Store.open(f"sqlite:///{tmp_path}/live.db")
    market = MarketState(config.paper.spread_bps)
    kernel = assemble(config, store=store, registry=registry, specs=[spec], clock=clock, market=market,
                      instruments=instruments, account="paper")
    runner = LiveRunner(kernel, market, FrameFeed("SPX", frame), clock)
    sched = SimScheduler(clock)
    sched.add(BOT, build_trigger(spec.schedule))
    for fire_ns, job in sched.pop_due(int(frame.index[-1].value) + 86_400 * 10**9):
        clock.set_ns(fire_ns)
        runner.handle_fire(job, fire_ns)
    assert runner.bars == len(frame)
    assert _signals(store) == expected
    assert kernel.engine.fills > 0
    store.close()


def test_market_append_grows_and_rejects_out_of_order_bars() -> None:
    import pytest

    from tradefleet.orchestrator.errors import DataError

    m = MarketState()
    for i in range(3000):
        m.append(Bar("X", (i + 1) * 60 * 10**9, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 10.0, 0))
    f = m.frame("X", bars=5)
    assert list(f["close"]) == [1.5 + i for i in range(2995, 3000)] and str(f.index.tz) == "UTC"
    assert m.last_close("X") == 3000.5 and m.closes("X", 2) == [2999.5, 3000.5]
    with pytest.raises(DataError, match="not after the last bar"):
        m.append(Bar("X", 60 * 10**9, 1, 1, 1, 1, 1, 0))


def test_run_live_paper_mode_trades_from_a_feed_and_reconciles(tmp_path: Path) -> None:
    from tradefleet.app.live import run_live

    config = AppConfig()
    frames, _ = resolve_frames(config, ["SPX"], None, "2012-12-31")
    frame = frames["SPX"]
    start = int(frame.index[frame.index >= "2011-01-01"][0].value)
    clock = SimClock(start - 1)
    spec = Registry.discover().bot(BOT)

    def scheduler(enqueue, specs, jobs):  # the same triggers, fired on the simulated clock
        assert "ml-retrain" in jobs  # the weekly retraining is scheduled beside the bots
        sched = SimScheduler(clock)
        for s in specs:
            sched.add(s.name, build_trigger(s.schedule))
        runner = enqueue.__self__  # each fire is handled at its time, as the live loop would
        for fire_ns, job in sched.pop_due(int(frame.index[-1].value)):
            clock.set_ns(fire_ns)
            runner.handle_fire(job, fire_ns)

        class Done:
            def shutdown(self) -> None: ...
        return Done()

    url = f"sqlite:///{tmp_path}/paper.db"
    runner = run_live(config, live=False, bots=[BOT], store_url=url, feed=FrameFeed("SPX", frame), clock=clock,
                      scheduler=scheduler, install_signals=False, stop_when_idle=True)
    assert runner.fires > 400 and runner.kernel.engine.fills > 0
    # paper fills come from the fill model: a market order fills at the open of the next bar
    import bisect

    stamps, opens = frame.index.as_unit("ns").asi8.tolist(), frame["open"].tolist()
    stored = Store.open(url)
    orders = {o.client_order_id: o for o in stored.orders()}
    fills = [f for cid in orders for f in stored.fills(cid)]
    market = [f for f in fills if orders[f.client_order_id].order_type is OrderType.MARKET]
    for f in market:  # the first bar that closed after the decision, at its open (+ spread and slippage)
        bar = bisect.bisect_right(stamps, orders[f.client_order_id].ts_init)
        assert abs(float(f.price) / opens[bar] - 1) < 0.002
    assert market
    store = Store.open(url)
    assert store.last_run().mode == "paper" and store.last_run().status == "stopped"
    assert {o.account for o in store.orders()} == {"paper"} and spec.name in {b.name for b in store.bots()}
    store.close()


def test_run_live_refuses_unvalidated_bots(tmp_path: Path) -> None:
    import pytest

    from tradefleet.orchestrator.errors import ConfigError
    from tradefleet.app.live import run_live

    config = AppConfig.model_validate({"accounts": {"alpaca": {"venue": "alpaca", "live": True,
                                                                "api_key": "env:X", "api_secret": "env:Y"}}})
    with pytest.raises(ConfigError, match="refuses bots without a passing validation: spx-sma-trend"):
        run_live(config, live=True, bots=[BOT], store_url=f"sqlite:///{tmp_path}/live.db", install_signals=False)


def test_live_runner_beats_the_watchdog_while_it_loops(tmp_path: Path) -> None:
    from tradefleet.dashboard.watchdog import Watchdog

    config = AppConfig()
    registry = Registry.discover()
    spec = registry.bot(BOT)
    clock = SimClock(10**18)
    store = Store.open(f"sqlite:///{tmp_path}/w.db")
    market = MarketState()
    kernel = assemble(config, store=store, registry=registry, specs=[spec], clock=clock, market=market,
                      instruments={}, account="paper")
    dog = Watchdog(store, clock, heartbeat_timeout_seconds=60)
    runner = LiveRunner(kernel, market, FrameFeed("SPX", pd.DataFrame()), clock, watchdog=dog)

    class Done:
        def shutdown(self) -> None: ...

    runner.run(lambda _enqueue: Done(), idle=runner.stop, wait_seconds=0.01)
    assert dog.problems() == [] and dog.check() is None
    clock.advance(120)  # the loop has stopped beating: the watchdog halts entries
    assert dog.check() == 3 and store.control("fleet").halted
    store.close()


def test_live_runner_runs_maintenance_jobs_off_the_engine_thread(tmp_path: Path) -> None:
    import threading

    config = AppConfig()
    registry = Registry.discover()
    clock = SimClock(10**18)
    store = Store.open(f"sqlite:///{tmp_path}/m.db")
    market = MarketState()
    kernel = assemble(config, store=store, registry=registry, specs=[registry.bot(BOT)], clock=clock, market=market,
                      instruments={}, account="paper")
    ran_on: list[str] = []
    runner = LiveRunner(kernel, market, FrameFeed("SPX", pd.DataFrame()), clock,
                        maintenance={"ml-retrain": lambda: ran_on.append(threading.current_thread().name)})

    class Done:
        def shutdown(self) -> None: ...

    def schedule(enqueue):
        enqueue("ml-retrain", clock.now_ns())
        return Done()

    runner.run(schedule, idle=runner.stop, wait_seconds=0.01)
    assert len(runner.jobs_run) == 1 and ran_on and ran_on[0].startswith("tradefleet-maintenance")
    store.close()


def _validated(url: str, bot: str) -> None:
    from tradefleet.backtest.records import ValidationRecord, open_validation_store

    with Store.open(url) as store:
        open_validation_store(store).save(ValidationRecord(bot, 1, True, "test", []))


def _live_config(**validation: object) -> AppConfig:
    return AppConfig.model_validate({"accounts": {"alpaca": {"venue": "alpaca", "live": True, "api_key": "env:X",
                                                             "api_secret": "env:Y"}}, "validation": validation})


def test_run_live_refused_without_a_paper_period_and_allowed_with_one(tmp_path: Path) -> None:
    import pytest

    from tradefleet.orchestrator.errors import ConfigError
    from tradefleet.app.live import run_live

    live_url = f"sqlite:///{tmp_path}/live.db"
    _validated(live_url, BOT)
    with pytest.raises(ConfigError, match="needs a paper-trading period: no paper period"):
        run_live(_live_config(), live=True, bots=[BOT], store_url=live_url, install_signals=False)
    paper = tmp_path / "paper.db"
    with Store.open(f"sqlite:///{paper}") as store:  # 10 days of paper trading
        run = store.start_run("paper", 0)
        store.end_run(run, "stopped", {}, 10 * 86_400 * 10**9)
    before = paper.read_bytes()
    with pytest.raises(ConfigError, match=r"paper period 10\.0 of 14 days"):
        run_live(_live_config(paper_store=f"sqlite:///{paper}"), live=True, bots=[BOT], store_url=live_url,
                 install_signals=False)
    with pytest.raises(ConfigError, match=rf"fewer than 1 paper fills: {BOT} \(0\)"):
        run_live(_live_config(paper_store=f"sqlite:///{paper}", paper_days=7, paper_trades=1), live=True,
                 bots=[BOT], store_url=live_url, install_signals=False)
    # 7 days required, 10 traded: the gate lets it through (it then stops at the broker: no credentials here)
    with pytest.raises(ConfigError, match="environment variable X is not set"):
        run_live(_live_config(paper_store=f"sqlite:///{paper}", paper_days=7), live=True, bots=[BOT],
                 store_url=live_url, install_signals=False)
    assert paper.read_bytes() == before  # the trusted paper store is read, never written
