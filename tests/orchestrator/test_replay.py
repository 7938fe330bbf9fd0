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
