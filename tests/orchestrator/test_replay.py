"""Replay-level behaviour: a bot that raises is isolated, the rest keep trading."""

from pathlib import Path
from typing import ClassVar

import pandas as pd

from tradefleet.orchestrator.bot import Bot, BotSpec, Schedule
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import run_replay
from tradefleet.orchestrator.store import Store


class ExplodingBot(Bot):
    description: ClassVar[str] = "raises in compute"
    family: ClassVar[str] = "equities"

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        raise ZeroDivisionError("bad strategy code")


def test_replay_isolates_a_faulting_bot(tmp_path: Path) -> None:
    reg = Registry.discover()
    reg.add_entry("bots", "exploder", "tests:ExplodingBot",
                  lambda: BotSpec("exploder", ExplodingBot, ("SPX",), Schedule.at_close(), "1d", AssetClass.INDEX))
    url = f"sqlite:///{tmp_path}/s.db"
    s = run_replay(AppConfig(), bots=["exploder", "spx-rsi2"], start="2010-01-01", end="2010-12-31",
                   store_url=url, registry=reg)
    by = {b.name: b for b in s.bots}
    assert by["exploder"].status == "faulted" and "ZeroDivisionError: bad strategy code" in by["exploder"].error
    assert by["spx-rsi2"].status == "ok" and by["spx-rsi2"].signals > 0
    store = Store.open(url)
    rows = {b.name: b for b in store.bots()}
    assert rows["exploder"].status == "faulted" and "bad strategy code" in (rows["exploder"].error or "")
    store.close()


def test_a_job_never_fires_before_its_data_begins(tmp_path: Path) -> None:
    """The EUR/USD history ends in 2018 and the prediction session (generated) begins in
    November 2026. When the session's first quote arrives the clock still reads 2018: the
    prediction bot's 5-minute job used to start firing from there, about 925,000 fires
    through the gap before any of its quotes existed. Together the two bots fire as often
    as each alone, plus the hourly EUR/USD job's week of grace after its last bar (a run of
    that bot alone ends at its last bar), and trade the same."""
    alone = {name: run_replay(AppConfig(), bots=[name], store_url=f"sqlite:///{tmp_path}/{name}.db")
             for name in ("eurusd-macd", "kalshi-sports-odds")}
    both = run_replay(AppConfig(), bots=list(alone), store_url=f"sqlite:///{tmp_path}/both.db")
    assert alone["kalshi-sports-odds"].fires < 2_000  # five days of 5-minute fires, plus the grace
    assert 0 <= both.fires - sum(s.fires for s in alone.values()) <= 7 * 24
    by = {b.name: (b.signals, b.orders, b.fills) for b in both.bots}
    assert by == {n: next((b.signals, b.orders, b.fills) for b in s.bots) for n, s in alone.items()}


def test_the_setup_heap_is_out_of_the_collectors_passes_during_the_loop_only(tmp_path: Path) -> None:
    """While the loop runs, what the setup built (modules, data, compiled code, models) is
    frozen out of the cyclic collector's full passes; after the replay, even one that
    failed, it is handed back (a process running many replays must not pile them up), and
    a cycle the loop drops is still collected during the loop."""
    import gc
    import weakref

    import tradefleet.app.replay as replay

    seen: dict[str, object] = {}
    original = replay.Replay._loop

    class Cycle:
        pass

    def loop(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["frozen"] = gc.get_freeze_count()
        c = Cycle()
        c.me = c  # type: ignore[attr-defined]
        ref = weakref.ref(c)
        del c
        gc.collect()
        seen["cycle_collected"] = ref() is None
        out = original(self, *args, **kwargs)
        if seen.get("fail"):
            raise RuntimeError("loop failed")
        return out

    replay.Replay._loop = loop  # type: ignore[method-assign]
    try:
        run_replay(AppConfig(), bots=["spx-rsi2"], start="2010-01-01", end="2010-03-31",
                   store_url=f"sqlite:///{tmp_path}/a.db")
        assert seen["frozen"] > 10_000 and seen["cycle_collected"] is True  # type: ignore[operator]
        assert gc.get_freeze_count() == 0
        seen["fail"] = True
        try:
            run_replay(AppConfig(), bots=["spx-rsi2"], start="2010-01-01", end="2010-03-31",
                       store_url=f"sqlite:///{tmp_path}/b.db")
        except Exception:  # noqa: BLE001
            pass
        assert gc.get_freeze_count() == 0
    finally:
        replay.Replay._loop = original  # type: ignore[method-assign]
