"""Scaled exits as a policy object, not per-bot code.

Default plan (``[risk.exits]``): 33% out at 1R, 33% at 2R, the last 34% on a trailing stop
1.5 ATR behind the best price since entry; the stop moves to break-even after the first
target. ``R`` is the distance from entry to the signal's stop (or ``default_stop_atr``
ATRs when the signal has none).

How the engine drives it (plans are immutable values; keep one per open position)::

    policy = ScaledExitPolicy(config.risk.exits)
    plan = policy.open(instrument, direction=+1, entry=fill.price, stop=signal.stop,
                       quantity=fill.quantity, atr=atr)          # on the entry fill
    plan, actions = policy.on_bar(plan, bar, atr)                # on every closed bar
    for a in actions:                                            # send reduce-only orders
        submit(Order(..., side=a.side, quantity=a.quantity, reduce_only=True))
    plan = policy.on_fill(plan, signed_qty)                      # on every fill of the position

``on_bar`` evaluates the stop before the targets within one bar (the conservative order
when a bar spans both), never emits more than the open quantity, and marks a target as
triggered as soon as its action is emitted so a later bar cannot emit it twice.
``on_fill`` keeps the open quantity in step with what actually filled (entries add,
exits subtract and settle the ``pending`` quantity of emitted actions); a plan whose open
quantity reaches zero is ``closed``. After a stop fires the plan is ``stopped`` and emits
nothing more. If an emitted exit is cancelled, the caller reopens it with
``replace(plan, pending=plan.pending - qty)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

from tradefleet.orchestrator.domain import Bar, Side
from tradefleet.risk.config import ExitsConfig

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ExitPlan:
    """The exit state of one open position."""

    instrument: str
    direction: int
    entry: float
    initial_stop: float
    stop: float
    risk: float
    quantity: Decimal
    open_quantity: Decimal
    targets_hit: int = 0
    best_price: float = 0.0
    trailing: bool = False
    pending: Decimal = ZERO
    stopped: bool = False

    @property
    def closed(self) -> bool:
        return self.open_quantity <= ZERO

    @property
    def free_quantity(self) -> Decimal:
        """Open quantity not already covered by an exit action awaiting its fill."""
        return max(self.open_quantity - self.pending, ZERO)

    def target_price(self, r_multiple: float) -> float:
        """Return the price ``r_multiple`` R away from entry in the position's favour."""
        return self.entry + self.direction * r_multiple * self.risk


@dataclass(frozen=True, slots=True)
class ExitAction:
    """One exit order to send (reduce-only)."""

    instrument: str
    side: Side
    quantity: Decimal
    reason: str
    trigger: float


def wilder_atr(high: Sequence[float], low: Sequence[float], close: Sequence[float], n: int = 14) -> float | None:
    """Return the last Average True Range (Wilder's smoothing) of the bars, or None
    with fewer than ``n + 1`` bars. The engine passes it to :meth:`ScaledExitPolicy.on_bar`."""
    if n < 1:
        raise ValueError(f"ATR period must be >= 1, got {n}")
    if not len(high) == len(low) == len(close):
        raise ValueError("high, low and close must have the same length")
    if len(close) < n + 1:
        return None
    tr = [max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
          for i in range(1, len(close))]
    atr = sum(tr[:n]) / n
    for x in tr[n:]:
        atr = (atr * (n - 1) + x) / n
    return atr


class ScaledExitPolicy:
    """Turn bars and fills into scaled exit actions for a position."""

    def __init__(self, config: ExitsConfig | None = None, lot_size: Decimal = Decimal("1"),
                 targets_on_touch: bool = True) -> None:
        self.config = config or ExitsConfig()
        self.lot_size = lot_size
        # False: a target is reached only when a bar trades through it (the fill model's
        # default limit rule), so the take-profit order it emits fills on that bar
        self.targets_on_touch = targets_on_touch

    def open(self, instrument: str, direction: int, entry: float, quantity: Decimal,
             stop: float | None = None, atr: float | None = None) -> ExitPlan:
        """Return the plan of a new position (``direction`` +1 long, -1 short)."""
        if direction not in (1, -1):
            raise ValueError(f"direction must be +1 or -1, got {direction}")
        if stop is not None and (stop - entry) * direction < 0:
            risk = abs(entry - stop)
        elif atr is not None and atr > 0:
            risk = self.config.default_stop_atr * atr
            stop = entry - direction * risk
        else:
            raise ValueError(f"{instrument}: need a stop on the losing side of entry, or an ATR")
        return ExitPlan(instrument, direction, entry, stop, stop, risk, abs(quantity), abs(quantity),
                        best_price=entry)

    def on_fill(self, plan: ExitPlan, signed_qty: Decimal) -> ExitPlan:
        """Return the plan after a fill of ``signed_qty`` on the position's instrument."""
        delta = signed_qty * plan.direction
        open_qty = max(plan.open_quantity + delta, ZERO)
        if delta > 0:
            return replace(plan, open_quantity=open_qty, quantity=plan.quantity + delta)
        return replace(plan, open_quantity=open_qty, pending=max(plan.pending + delta, ZERO))

    def on_bar(self, plan: ExitPlan, bar: Bar, atr: float | None = None) -> tuple[ExitPlan, list[ExitAction]]:
        """Return the updated plan and the exits this bar triggers."""
        if plan.closed or plan.stopped:
            return plan, []
        d = plan.direction
        side = Side.SELL if d > 0 else Side.BUY
        adverse = bar.low if d > 0 else bar.high
        favour = bar.high if d > 0 else bar.low
        if (adverse - plan.stop) * d <= 0:
            reason = "trailing_stop" if plan.trailing else "breakeven_stop" if plan.targets_hit else "stop"
            qty = plan.free_quantity
            done = replace(plan, stopped=True, pending=plan.pending + qty)
            return done, [ExitAction(plan.instrument, side, qty, reason, plan.stop)] if qty > ZERO else []
        actions: list[ExitAction] = []
        remaining = plan.free_quantity
        hit = plan.targets_hit
        stop = plan.stop
        for i in range(plan.targets_hit, len(self.config.targets_r)):
            price = plan.target_price(self.config.targets_r[i])
            if (favour - price) * d < 0 or (not self.targets_on_touch and favour == price):
                break
            qty = min(self._lots(plan.quantity * Decimal(repr(self.config.fractions[i]))), remaining)
            hit = i + 1
            if qty > ZERO:
                actions.append(ExitAction(plan.instrument, side, qty, f"target_{i + 1}", price))
                remaining -= qty
            if i == 0 and self.config.breakeven_after_first:
                stop = plan.entry if (plan.entry - stop) * d > 0 else stop
        best = max(plan.best_price * d, favour * d) * d
        trailing = hit >= len(self.config.targets_r)
        if trailing and atr is not None and atr > 0:
            trail = best - d * self.config.trail_atr * atr
            if (trail - stop) * d > 0:
                stop = trail
        emitted = plan.free_quantity - remaining
        new = replace(plan, targets_hit=hit, stop=stop, best_price=best, trailing=trailing,
                      pending=plan.pending + emitted)
        return new, actions

    def _lots(self, qty: Decimal) -> Decimal:
        return (qty / self.lot_size).quantize(Decimal(1), ROUND_DOWN) * self.lot_size
