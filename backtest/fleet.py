"""Backtest many bots at once, each on its own bundled (or given) data, over an executor."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tradefleet.backtest.engine import BacktestResult, SimSettings, run_backtest
from tradefleet.backtest.executor import InlineExecutor, fan_out
from tradefleet.orchestrator.bot import BotSpec

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class FleetRow:
    """One bot's result, or the one-line reason it could not be backtested."""

    bot: str
    data: str
    result: BacktestResult | None
    error: str = ""


def _one(spec: BotSpec, frame: pd.DataFrame | None, settings: SimSettings) -> FleetRow:
    from tradefleet.scrapers.bundled import dataset_for, load_dataset

    try:
        name = "given"
        if frame is None:
            name = dataset_for(spec.instruments[0]).name
            frame = load_dataset(name)
        return FleetRow(spec.name, name, run_backtest(spec, frame, settings))
    except Exception as exc:  # noqa: BLE001 - one broken bot never stops the others
        return FleetRow(spec.name, "-", None, f"{type(exc).__name__}: {' '.join(str(exc).split())}")


def backtest_bots(specs: Sequence[BotSpec], settings: SimSettings | None = None,
                  frames: Mapping[str, pd.DataFrame] | None = None, executor: Executor | None = None,
                  progress: Callable[[int], None] | None = None) -> list[FleetRow]:
    """Backtest every bot (``frames`` maps bot name -> bars; default: its bundled data)."""
    s = settings or SimSettings()
    given = frames or {}
    return fan_out(executor or InlineExecutor(), _one, [(sp, given.get(sp.name), s) for sp in specs], progress)
