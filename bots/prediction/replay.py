"""Feed snapshots to an event bot on a simulated clock, and the settlement rule of a contract.

Backtests and validation of event bots run through the kernel's replay (every gate, the
paper broker at the recorded touch, settlement at 1 or 0): see
:mod:`tradefleet.bots.prediction.source` and :mod:`tradefleet.app.quote_replay`."""

from __future__ import annotations

from collections.abc import Sequence

from tradefleet.bots.prediction.market import ContractTerms, PredictionSnapshot
from tradefleet.orchestrator.bot import BotSpec, EventBot, TickContext
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Signal
from tradefleet.orchestrator.errors import PluginError


def run_snapshots(spec: BotSpec, snapshots: Sequence[PredictionSnapshot],
                  clock: SimClock | None = None) -> list[Signal]:
    """Feed ``snapshots`` in time order to a fresh instance of ``spec``'s event bot."""
    bot = spec.build()
    if not isinstance(bot, EventBot):
        raise PluginError(f"bot {spec.name} is a bar bot: replay its bars, not snapshots")
    clock = clock or SimClock(snapshots[0].ts_ns if snapshots else 0)
    out: list[Signal] = []
    for snap in snapshots:
        clock.set_ns(snap.ts_ns)
        out.extend(bot.on_tick(TickContext(spec.name, clock.now_ns(), spec.instruments, market=None, data=snap)))
    return out


def outcome(terms: ContractTerms, value: float) -> bool:
    """Whether the YES side of ``terms`` pays when the variable settles at ``value``."""
    return value > terms.strike if terms.above else value <= terms.strike
