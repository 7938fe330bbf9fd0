"""Trading states and circuit breakers.

States, from least to most restrictive:

* ``ACTIVE``: everything the limits allow passes.
* ``REDUCING``: only orders that reduce exposure pass.
* ``HALTED``: no new exposure; cancels and exits still pass (for the gate, the same
  verdicts as REDUCING; the distinction tells the operator how serious it is).

A state is held per scope (``fleet`` for everything, ``fleet:<name>`` for one fleet,
``account:<name>`` for one broker account, ``bot:<name>``, ``instrument:<symbol>``,
``class:<asset class>``, ``venue:<name>``), each set by one or more *sources*
(``extreme_move:SPX``, ``stale:EURUSD``, ``broker``, ``operator``); a scope's state is
the most restrictive of its sources and a signal sees the most restrictive of its scopes.
Changes are published as alerts and saved (``trading_state`` key) so a restart resumes
them.

Circuit breakers (:class:`CircuitBreakers`), evaluated once per clock tick over the held
instruments:

* an extreme one-bar move in a held instrument (``extreme_move_pct``, scaled by
  ``sqrt(bar / 1 day)`` for bars longer than a day) -> ``breakers.extreme_move_state`` on
  the scope ``breakers.extreme_move_scope`` names (default: that instrument) until
  ``extreme_move_reset_seconds`` have passed;
* a stale feed (last bar older than ``max(stale_after_seconds, stale_bars x bar)``) of a
  held instrument -> ``breakers.stale_state`` on ``breakers.stale_scope`` (default: that
  instrument) until the feed is fresh again;
* an unhealthy broker (reported through :meth:`StateBook.report_broker`) -> ``HALTED``
  on ``account:<name>`` until reported healthy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.pipeline.gate import MarketView
from tradefleet.risk.alerts import AlertSink, RiskAlert
from tradefleet.risk.config import BreakersConfig
from tradefleet.risk.persistence import RiskStateStore

KEY = "trading_state"


class TradingState(IntEnum):
    """Ordered by restrictiveness: ``max`` of two states is the stricter."""

    ACTIVE = 0
    REDUCING = 1
    HALTED = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> TradingState:
        return cls[value.upper()]


@dataclass(frozen=True, slots=True)
class StateEntry:
    """One source's hold on a scope."""

    state: TradingState
    reason: str
    since_ns: int
    expires_ns: int | None = None


class StateBook:
    """The states held per scope and source, with alerts and persistence."""

    def __init__(self, alerts: AlertSink | None = None, store: RiskStateStore | None = None) -> None:
        self.alerts = alerts or AlertSink()
        self.store = store
        self._scopes: dict[str, dict[str, StateEntry]] = {}
        self._cache: dict[str, tuple[TradingState, str]] = {}
        if store is not None:
            self._load(store.load_risk_state(KEY) or {})

    def set(self, scope: str, source: str, state: TradingState, reason: str, now_ns: int,
            expires_ns: int | None = None) -> None:
        """Hold ``scope`` at ``state`` for ``source`` (ACTIVE clears the source)."""
        if state is TradingState.ACTIVE:
            self.clear(scope, source, now_ns, reason)
            return
        current = self._scopes.get(scope, {}).get(source)
        if current is not None and current.state is state and current.reason == reason:
            return
        before = self.state_of(scope)[0]
        self._scopes.setdefault(scope, {})[source] = StateEntry(state, reason, now_ns, expires_ns)
        self._changed(scope, before, reason, now_ns)

    def clear(self, scope: str, source: str, now_ns: int, reason: str = "cleared") -> None:
        """Release ``source``'s hold on ``scope``."""
        holds = self._scopes.get(scope)
        if not holds or source not in holds:
            return
        before = self.state_of(scope)[0]
        del holds[source]
        self._changed(scope, before, f"{source}: {reason}", now_ns)

    def expire(self, now_ns: int) -> None:
        """Release every hold whose expiry has passed."""
        for scope, holds in list(self._scopes.items()):
            for source, e in list(holds.items()):
                if e.expires_ns is not None and now_ns >= e.expires_ns:
                    self.clear(scope, source, now_ns, "expired")

    def state_of(self, scope: str) -> tuple[TradingState, str]:
        """Return the scope's own state and the reason of its strictest hold."""
        hit = self._cache.get(scope)
        if hit is not None:
            return hit
        holds = self._scopes.get(scope)
        if not holds:
            out = (TradingState.ACTIVE, "")
        else:
            src, e = max(holds.items(), key=lambda kv: (kv[1].state, -kv[1].since_ns))
            out = (e.state, f"{src}: {e.reason}")
        self._cache[scope] = out
        return out

    def effective(self, scopes: Iterable[str]) -> tuple[TradingState, str, str]:
        """Return (state, reason, scope) of the strictest of ``scopes``."""
        best: tuple[TradingState, str, str] = (TradingState.ACTIVE, "", "")
        for scope in scopes:
            st, why = self.state_of(scope)
            if st > best[0]:
                best = (st, why, scope)
        return best

    def scopes(self) -> list[str]:
        """Return every scope with at least one hold."""
        return [scope for scope, holds in self._scopes.items() if holds]

    def holds(self) -> list[tuple[str, str, StateEntry]]:
        """Return every (scope, source, hold)."""
        return [(scope, src, e) for scope, h in self._scopes.items() for src, e in h.items()]

    def sources(self, scope: str) -> list[str]:
        """Return the sources holding ``scope``."""
        return list(self._scopes.get(scope, {}))

    def report_broker(self, account: str, healthy: bool, reason: str, now_ns: int) -> None:
        """Record a broker's health: unhealthy halts its account until reported healthy."""
        scope = f"account:{account}"
        if healthy:
            self.clear(scope, "broker", now_ns, reason or "healthy")
        else:
            self.set(scope, "broker", TradingState.HALTED, reason or "unhealthy", now_ns)

    def snapshot(self) -> dict[str, Any]:
        """Return every scope's state and holds, for reports and persistence."""
        return {scope: {"state": self.state_of(scope)[0].label,
                        "holds": {src: {"state": e.state.label, "reason": e.reason, "since_ns": e.since_ns,
                                        "expires_ns": e.expires_ns} for src, e in holds.items()}}
                for scope, holds in self._scopes.items() if holds}

    def _changed(self, scope: str, before: TradingState, reason: str, now_ns: int) -> None:
        self._cache.clear()
        after = self.state_of(scope)[0]
        if self.store is not None:
            self.store.save_risk_state(KEY, self.snapshot(), now_ns)
        if after is not before:
            self.alerts.emit(RiskAlert("state_changed", scope, reason, now_ns, after.label,
                                       {"from": before.label}))

    def _load(self, saved: dict[str, Any]) -> None:
        for scope, body in saved.items():
            for src, e in body.get("holds", {}).items():
                self._scopes.setdefault(scope, {})[src] = StateEntry(
                    TradingState.parse(e["state"]), e["reason"], int(e["since_ns"]), e.get("expires_ns"))


def instrument_scopes(symbol: str, asset_class: str, venue: str) -> tuple[str, ...]:
    """Return the scopes a breaker on ``symbol`` can hold, narrowest first."""
    return (f"instrument:{symbol}", f"class:{asset_class}", f"venue:{venue}")


class CircuitBreakers:
    """Extreme-move and stale-feed breakers over the held instruments.

    Each breaker holds the scope its config names (``extreme_move_scope``,
    ``stale_scope``): the instrument itself by default, else its asset class
    (``class:<asset class>``), its venue (``venue:<name>``) or, only when configured,
    the whole ``fleet``. ``describe`` maps a symbol to (asset class, venue)."""

    def __init__(self, config: BreakersConfig, book: StateBook,
                 describe: Callable[[str], tuple[str, str]] | None = None) -> None:
        self.config = config
        self.book = book
        self.describe = describe or (lambda _sym: ("unknown", "paper"))

    def scope(self, symbol: str, kind: str) -> str:
        """Return the scope a breaker of ``kind`` (instrument/asset_class/venue/fleet) holds for ``symbol``."""
        if kind == "fleet":
            return "fleet"
        asset, venue = self.describe(symbol)
        return {"instrument": f"instrument:{symbol}", "asset_class": f"class:{asset}",
                "venue": f"venue:{venue}"}[kind]

    def evaluate(self, market: MarketView, held: Iterable[str], now_ns: int,
                 bar_seconds: dict[str, float] | None = None) -> None:
        """Check every held instrument once; trip or release holds on its scope.

        ``bar_seconds`` (symbol -> bar length, from the bots' timeframes) scales both
        breakers to the instrument: a feed is stale after ``max(stale_after_seconds,
        stale_bars x bar)``, and a move is extreme above ``extreme_move_pct x
        sqrt(bar / 1 day)`` for bars longer than a day (a 10% daily limit is ~55% for a
        monthly bar)."""
        cfg = self.config
        held = set(held)
        bars = bar_seconds or {}
        self.book.expire(now_ns)
        fresh: set[str] = set()
        for sym in held:
            bar = bars.get(sym, 0.0)
            closes = market.closes(sym, 2)
            if len(closes) == 2 and closes[0] > 0:
                move = closes[1] / closes[0] - 1.0
                if abs(move) >= cfg.extreme_move_pct * max(1.0, math.sqrt(bar / 86_400.0)):
                    expires = now_ns + int(cfg.extreme_move_reset_seconds * NS)
                    self.book.set(self.scope(sym, cfg.extreme_move_scope), f"extreme_move:{sym}",
                                  TradingState.parse(cfg.extreme_move_state),
                                  f"{sym} moved {move:+.2%} in one bar", now_ns, expires)
            if cfg.stale_after_seconds is not None:
                stale_ns = int(max(cfg.stale_after_seconds, cfg.stale_bars * bar) * NS)
                last = market.last_bar(sym)
                if last is not None and now_ns - last.ts_event > stale_ns:
                    age = (now_ns - last.ts_event) / NS
                    self.book.set(self.scope(sym, cfg.stale_scope), f"stale:{sym}", TradingState.parse(cfg.stale_state),
                                  f"{sym} last bar {age / 3600:.1f} h old", now_ns)
                else:
                    fresh.add(sym)
        for scope in self.book.scopes():
            for src in self.book.sources(scope):
                if src.startswith("stale:"):
                    sym = src.split(":", 1)[1]
                    if sym in fresh or sym not in held:
                        self.book.clear(scope, src, now_ns, "feed fresh" if sym in fresh else "no longer held")
