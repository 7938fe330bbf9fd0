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
