"""Backtest a prediction bot by replaying recorded snapshots on a simulated clock and
settling every entry against the recorded outcome."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bots.prediction.edge import kalshi_fee
from bots.prediction.market import FIXTURES, ContractTerms, PredictionSnapshot, load_fixture
from orchestrator.bot import BotSpec, EventBot, TickContext
from orchestrator.clock import SimClock
from orchestrator.domain import Signal
from orchestrator.errors import DataError, PluginError


@dataclass(frozen=True)
class SettledEntry:
    """One entry (one contract) and what it paid at settlement."""

    signal: Signal
    won: bool
    fee: float
    pnl: float


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


def settle(signals: Sequence[Signal], snapshots: Sequence[PredictionSnapshot],
           settlements: Mapping[str, float]) -> list[SettledEntry]:
    """Settle one contract per signal: LONG bought YES at ``entry``, SHORT bought NO."""
    terms: dict[str, ContractTerms] = {}
    venues: dict[str, str] = {}
    for snap in snapshots:
        terms.update(snap.terms)
        venues.update({s: q.venue for s, q in snap.quotes.items()})
    out = []
    for sig in signals:
        t = terms.get(sig.instrument)
        if t is None or t.variable not in settlements:
            raise DataError(f"no settlement for {sig.instrument} (variable {t.variable if t else '?'})")
        yes = outcome(t, settlements[t.variable])
        won = yes if sig.direction.sign > 0 else not yes
        fee = kalshi_fee(sig.entry, 100) / 100 if venues.get(sig.instrument) == "kalshi" else 0.0
        out.append(SettledEntry(sig, won, fee, (1.0 if won else 0.0) - sig.entry - fee))
    return out


def backtest_fixture(spec: BotSpec, name: str) -> list[SettledEntry]:
    """Replay fixture ``name`` through ``spec`` and settle against its recorded outcomes."""
    snaps = load_fixture(name)
    raw = json.loads((FIXTURES / f"{name}.json").read_text())
    return settle(run_snapshots(spec, snaps), snaps, raw.get("settlements", {}))
