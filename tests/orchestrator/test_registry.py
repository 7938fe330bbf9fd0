from typing import ClassVar

import pandas as pd
import pytest

from tradefleet.orchestrator.bot import Bot, BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.errors import PluginError
from tradefleet.orchestrator.registry import PluginStatus, Registry


class OkBot(Bot):
    description: ClassVar[str] = "test"
    family: ClassVar[str] = "equities"

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[["close"]].assign(signal=0.0)[["signal"]]


class OldBot(OkBot):
    api_version: ClassVar[int] = 0


def spec(name: str, bot: type[Bot] = OkBot) -> BotSpec:
    return BotSpec(name, bot, ("SPX",), Schedule.at_close(), "1d", AssetClass.INDEX)


def test_registry_isolates_every_kind_of_broken_plugin() -> None:
    reg = Registry()
    reg.add_entry("bots", "good", "m:GOOD", lambda: spec("good"))
    reg.add_entry("bots", "boom", "m:BOOM", lambda: (_ for _ in ()).throw(ImportError("no module named x")))
    reg.add_entry("bots", "typo", "m:TYPO", lambda: spec("other-name"))
    reg.add_entry("bots", "old", "m:OLD", lambda: spec("old", OldBot))
    reg.add_entry("bots", "notaspec", "m:X", lambda: object())
    reg.add_entry("bots", "good", "other:GOOD", lambda: spec("good"))
    assert list(reg.bots()) == ["good"]
    errors = {r.name.split("#")[0]: r.error for r in reg.broken("bots")}
    assert "ImportError: no module named x" in errors["boom"]
    assert "differs from BotSpec.name" in errors["typo"]
    assert "api_version 0" in errors["old"]
    assert "must resolve to a BotSpec" in errors["notaspec"]
    assert "duplicate name" in errors["good"]
    with pytest.raises(PluginError, match="bot boom is broken"):
        reg.bot("boom")


def test_registry_unknown_bot_suggests_close_names() -> None:
    reg = Registry()
    reg.add_entry("bots", "spx-trend", "m:A", lambda: spec("spx-trend"))
    with pytest.raises(PluginError, match="did you mean spx-trend"):
        reg.bot("spx-trnd")


def test_registry_mark_faulted() -> None:
    reg = Registry()
    reg.add_entry("bots", "good", "m:GOOD", lambda: spec("good"))
    reg.mark_faulted("bots", "good", "ZeroDivisionError: boom")
    assert reg.records["bots"]["good"].status is PluginStatus.FAULTED and reg.bots() == {}


def test_registry_discovers_the_builtins_through_entry_points() -> None:
    reg = Registry.discover()
    assert len(reg.bots()) >= 50 and reg.broken() == []
    assert {"regime", "ensemble", "veto", "fleet", "risk"} <= set(reg.ok("gates"))
    assert "paper" in reg.ok("brokers")


def test_registry_rejects_a_bot_with_an_unknown_timeframe() -> None:
    reg = Registry()
    reg.add_entry("bots", "ticky", "m:T",
                  lambda: BotSpec("ticky", OkBot, ("SPX",), Schedule.at_close(), "tick", AssetClass.INDEX))
    assert "timeframe 'tick' must be a number and a unit" in reg.broken("bots")[0].error
