"""The exit manager: the risk engine's scaled-exit policy applied to every open position.

One :class:`~tradefleet.risk.exits.ExitPlan` per (bot, instrument) position, opened on the entry fill
(the stop is the signal's, else ``default_stop_atr`` ATRs), advanced on every closed bar of
its instrument, and kept in step with every fill. Triggered tranches become reduce-only
orders that the engine sends through the order manager like any other order.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from decimal import Decimal
from typing import Any

from tradefleet.orchestrator.domain import Bar, Fill, Instrument, Order, Position
from tradefleet.orchestrator.exits import EXIT_POLICY, ExitOrder
from tradefleet.orchestrator.market import MarketState
from tradefleet.risk.config import ExitsConfig
from tradefleet.risk.exits import ExitAction, ExitPlan, ScaledExitPolicy

ATR_PERIOD = 14


class ExitManager:
    """Keeps an exit plan per open position and turns bars into exit orders."""

    def __init__(self, config: ExitsConfig, market: MarketState, instruments: dict[str, Instrument],
                 targets_on_touch: bool = False) -> None:
        self.config = config
        self.market = market
        self._touch = targets_on_touch
        self._policies = {s: ScaledExitPolicy(config, i.lot_size, targets_on_touch) for s, i in instruments.items()}
        self._last_ts: dict[str, int] = {}  # symbol -> close of the last bar the plans saw
        self._plans: dict[str, dict[str, ExitPlan]] = {}  # instrument -> bot -> plan
        self._stops: dict[str, float | None] = {}  # client order id -> the signal's stop
        #: positions restored without a plan: opened on their first bar with an ATR
        self._orphans: dict[str, dict[str, Position]] = {}
        self._state: Any = None  # a RiskStateStore once persist_to is called (paper/live)
        self._key = ""
        self._clock_ns = 0

    def expect(self, order: Order, stop: float | None) -> None:
        """Remember the stop of the signal behind an entry order."""
        self._stops[order.client_order_id] = stop

    def on_fill(self, order: Order, fill: Fill, before: Position | None, after: Position) -> None:
        """Open, update or drop the plan of the position this fill changed."""
        self._clock_ns = fill.ts_init
        try:
            self._on_fill(order, fill, before, after)
        finally:
            self._save()

    def _on_fill(self, order: Order, fill: Fill, before: Position | None, after: Position) -> None:
        plans = self._plans.setdefault(fill.instrument, {})
        self._orphans.get(fill.instrument, {}).pop(order.bot, None)
        stop = self._stops.pop(order.client_order_id, None) if not order.reduce_only else None
        if after.quantity == 0:
            plans.pop(order.bot, None)
            return
        held = before.quantity if before is not None else Decimal(0)
        plan = plans.get(order.bot)
        flipped = held == 0 or (held > 0) != (after.quantity > 0)
        if plan is None or flipped:
            try:
                plans[order.bot] = self._policy(fill.instrument).open(fill.instrument, 1 if after.quantity > 0 else -1,
                                                    float(after.avg_price), abs(after.quantity), stop, self._atr(fill.instrument))
            except ValueError:  # no usable stop and no ATR yet: no plan until one exists
                plans.pop(order.bot, None)
            return
        plans[order.bot] = self._policy(fill.instrument).on_fill(plan, fill.signed_qty)

    def on_bar(self, bar: Bar) -> list[ExitOrder]:
        """Advance every plan on ``bar.symbol``; return the exit orders to send."""
        armed = self._last_ts.get(bar.symbol, bar.ts_event - 1)
        self._last_ts[bar.symbol] = bar.ts_event
        if self._orphans.get(bar.symbol):
            self._adopt_orphans(bar.symbol)
        plans = self._plans.get(bar.symbol)
        if not plans:
            return []
        atr = self._atr(bar.symbol)
        policy = self._policy(bar.symbol)
        out = []
        changed = False
        for bot, plan in list(plans.items()):
            plans[bot], actions = policy.on_bar(plan, bar, atr)
            changed = changed or plans[bot] != plan
            if actions:
                # one order per bar and position (its signal id makes the order id): targets
                # reached together go as one limit at the nearest level, which the bar traded through
                out.append(_merge(bot, actions, armed))
        if changed:
            self._clock_ns = bar.ts_event
            self._save()
        return out

    # -- restart ------------------------------------------------------------------------
    def persist_to(self, state: Any, key: str) -> None:
        """Keep every plan in the store's ``risk_state`` document ``key`` (paper/live)."""
        from tradefleet.risk.store_state import StoreRiskState

        self._state = state if hasattr(state, "save_risk_state") else StoreRiskState.of(state)
        self._key = key

    def restore(self, positions: list[Position], pending: dict[tuple[str, str], Decimal]) -> int:
        """Warm start: reload the stored plan of every open position (its open quantity
        and pending exits brought in step with the restored book); a position without a
        usable plan gets a fresh one on its first bar with an ATR. Return plans loaded."""
        doc = (self._state.load_risk_state(self._key) if self._state is not None else None) or {}
        self._plans.clear()
        self._orphans.clear()
        loaded = 0
        for p in positions:
            if not p.quantity:
                continue
            raw = doc.get(p.instrument, {}).get(p.bot)
            plan = _plan_from(raw) if raw else None
            direction = 1 if p.quantity > 0 else -1
            if plan is None or plan.direction != direction or plan.stopped:
                self._orphans.setdefault(p.instrument, {})[p.bot] = p
                continue
            qty = abs(p.quantity)
            self._plans.setdefault(p.instrument, {})[p.bot] = replace(
                plan, open_quantity=qty, pending=min(pending.get((p.bot, p.instrument), Decimal(0)), qty))
            loaded += 1
        return loaded

    def _adopt_orphans(self, symbol: str) -> None:
        atr = self._atr(symbol)
        orphans = self._orphans[symbol]
        for bot, p in list(orphans.items()):
            try:
                plan = self._policy(symbol).open(symbol, 1 if p.quantity > 0 else -1, float(p.avg_price),
                                                 abs(p.quantity), None, atr)
            except ValueError:  # no ATR yet
                continue
            self._plans.setdefault(symbol, {})[bot] = plan
            del orphans[bot]

    def _save(self) -> None:
        if self._state is None:
            return
        doc = {inst: {bot: _plan_doc(plan) for bot, plan in plans.items()} for inst, plans in self._plans.items()
               if plans}
        self._state.save_risk_state(self._key, doc, self._clock_ns)

    def _policy(self, symbol: str) -> ScaledExitPolicy:
        policy = self._policies.get(symbol)
        if policy is None:
            policy = self._policies[symbol] = ScaledExitPolicy(self.config, targets_on_touch=self._touch)
        return policy

    def open_plans(self) -> int:
        return sum(len(p) for p in self._plans.values())

    def _atr(self, symbol: str) -> float | None:
        from tradefleet.risk.exits import wilder_atr

        high, low, close = self.market.hlc(symbol, ATR_PERIOD * 4)
        if len(close) <= ATR_PERIOD:
            return None
        return wilder_atr(high.tolist(), low.tolist(), close.tolist(), ATR_PERIOD)


def _plan_doc(plan: ExitPlan) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(plan).items()}


def _plan_from(doc: dict[str, Any]) -> ExitPlan | None:
    try:
        return ExitPlan(**{**doc, "quantity": Decimal(doc["quantity"]), "open_quantity": Decimal(doc["open_quantity"]),
                           "pending": Decimal(doc.get("pending", "0"))})
    except (TypeError, KeyError, ArithmeticError):  # a document from another version: no plan
        return None


def _merge(bot: str, actions: list[ExitAction], armed_ns: int) -> ExitOrder:
    first = actions[0]
    qty = sum((a.quantity for a in actions), Decimal(0))
    return ExitOrder(bot, first.instrument, first.side, qty, "+".join(a.reason for a in actions), first.trigger,
                     armed_ns)


def publish_exit_manager(services: Any) -> None:
    """Fill the kernel's exit-policy slot from ``[risk.exits]`` (called when a risk gate is built).

    The kernel never imports this package: the risk gates put an :class:`ExitManager` in
    ``services.extras[EXIT_POLICY]`` and the kernel's assembly hands it to the engine.
    Targets fill on a touch when the paper broker's limits do (``[paper] limit_fill``)."""
    cfg = getattr(services.config.risk, "exits", None)
    if cfg is not None and cfg.enabled and EXIT_POLICY not in services.extras:
        touch = getattr(services.config.paper, "limit_fill", None) == "touch"
        services.extras[EXIT_POLICY] = ExitManager(cfg, services.market, services.instruments, targets_on_touch=touch)
