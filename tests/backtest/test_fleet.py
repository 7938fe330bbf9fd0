"""Many bots at once: each on its own data, failures isolated."""

from __future__ import annotations

from tradefleet.backtest.engine import SimSettings, run_backtest
from tradefleet.backtest.fleet import backtest_bots
from tradefleet.orchestrator.bot import BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.registry import Registry
from tradefleet.scrapers.bundled import load_dataset


def test_backtest_bots_isolates_failures(sma_spec) -> None:  # type: ignore[no-untyped-def]
    reg = Registry.discover(["bots"])
    spx = reg.bot("spx-sma-trend")
    orphan = BotSpec(name="orphan", bot=sma_spec.bot, instruments=("NOPE",), schedule=Schedule.interval("1d"),
                     timeframe="1d", asset_class=AssetClass.EQUITY)
    rows = backtest_bots([spx, orphan, sma_spec])
    by = {r.bot: r for r in rows}
    assert by["spx-sma-trend"].data == "sp500" and by["spx-sma-trend"].result is not None
    assert by["spx-sma-trend"].result.metrics == run_backtest(spx, load_dataset("sp500"), SimSettings()).metrics
    assert by["orphan"].result is None and "no bundled data for 'NOPE'" in by["orphan"].error
    assert by["sma-cross"].data == "goog"
