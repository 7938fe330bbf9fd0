"""The exit manager: the risk engine's scaled-exit policy applied to every open position.

One :class:`~risk.exits.ExitPlan` per (bot, instrument) position, opened on the entry fill
(the stop is the signal's, else ``default_stop_atr`` ATRs), advanced on every closed bar of
its instrument, and kept in step with every fill. Triggered tranches become reduce-only
orders that the engine sends through the order manager like any other order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrator.domain import Bar, Fill, Instrument, Order, Position, Side
from orchestrator.market import MarketState
from risk.config import ExitsConfig
from risk.exits import ExitAction, ExitPlan, ScaledExitPolicy

ATR_PERIOD = 14


@dataclass(frozen=True)
class ExitOrder:
    """Exit actions of one position on one bar, merged into one reduce-only order."""

    bot: str
    instrument: str
    side: Side
    quantity: Decimal
    reason: str
    trigger: float
    armed_ns: int = 0
    """When the levels this exit triggered on were set: the close of the bar before the
    one that triggered it (the exit is matched against that bar as a resting order)."""

    @property
    def is_stop(self) -> bool:
        return "stop" in self.reason.split("+")[0]


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

    def expect(self, order: Order, stop: float | None) -> None:
        """Remember the stop of the signal behind an entry order."""
        self._stops[order.client_order_id] = stop

    def on_fill(self, order: Order, fill: Fill, before: Position | None, after: Position) -> None:
        """Open, update or drop the plan of the position this fill changed."""
        plans = self._plans.setdefault(fill.instrument, {})
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
        plans = self._plans.get(bar.symbol)
        if not plans:
            return []
        atr = self._atr(bar.symbol)
        policy = self._policy(bar.symbol)
        out = []
        for bot, plan in list(plans.items()):
            plans[bot], actions = policy.on_bar(plan, bar, atr)
            if actions:
                out.extend(_merge(bot, group, armed) for group in _split(actions))
        return out

    def _policy(self, symbol: str) -> ScaledExitPolicy:
        policy = self._policies.get(symbol)
        if policy is None:
            policy = self._policies[symbol] = ScaledExitPolicy(self.config, targets_on_touch=self._touch)
        return policy

    def open_plans(self) -> int:
        return sum(len(p) for p in self._plans.values())

    def _atr(self, symbol: str) -> float | None:
        from risk.exits import wilder_atr

        high, low, close = self.market.hlc(symbol, ATR_PERIOD * 4)
        if len(close) <= ATR_PERIOD:
            return None
        return wilder_atr(high.tolist(), low.tolist(), close.tolist(), ATR_PERIOD)


def _split(actions: list[ExitAction]) -> list[list[ExitAction]]:
    """Actions of one bar grouped by price: each level is one resting order."""
    groups: dict[float, list[ExitAction]] = {}
    for a in actions:
        groups.setdefault(a.trigger, []).append(a)
    return list(groups.values())


def _merge(bot: str, actions: list[ExitAction], armed_ns: int) -> ExitOrder:
    first = actions[0]
    qty = sum((a.quantity for a in actions), Decimal(0))
    return ExitOrder(bot, first.instrument, first.side, qty, "+".join(a.reason for a in actions), first.trigger,
                     armed_ns)
