"""An intent as ONE decision: its legs through every gate, then the risk gate once.

The engine nets a target set, a multi-leg order or a quote pair into an
:class:`IntentGroup`: one signed quantity per leg (the bot's size is the cap), a reference
price, and whether the leg reduces an existing position. The gates before risk judge each
leg that adds exposure as a signal (a leg that only reduces always passes, as an exit
does); one reject refuses the whole intent, and the smallest scale of any leg becomes the
one scale for all. The risk gate then approves every leg with one factor, or none.

A risk gate takes part through ``approve_group(group, ctx, scale)`` returning the decision
and the approved signed quantity of every leg (all non-zero or all zero, except that a
target leg may round to nothing). A risk gate without it refuses groups that add exposure
(``group_unsupported``) and passes groups that only reduce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from tradefleet.orchestrator.domain import ZERO, Decision, Direction, Signal, Verdict
from tradefleet.orchestrator.intents import LegRisk
from tradefleet.orchestrator.pipeline.gate import Gate, GateContext, RiskGate

GroupKind = Literal["target", "order", "quote"]


@dataclass(frozen=True, slots=True)
class GroupLeg:
    """One leg: the signed quantity wanted (a cap), at about ``price`` per unit.

    ``held`` is the bot's position plus pending orders before the leg; a leg ``reduces``
    when it moves that towards zero without crossing it."""

    instrument: str
    quantity: Decimal
    price: float
    held: Decimal = ZERO

    @property
    def reduces(self) -> bool:
        after = self.held + self.quantity
        return self.held != 0 and abs(after) < abs(self.held) and (after == 0 or (after > 0) == (self.held > 0))

    @property
    def after(self) -> Decimal:
        return self.held + self.quantity


@dataclass(frozen=True)
class IntentGroup:
    """The legs of one intent, to be judged as one decision.

    ``venue_atomic``: the venue fills all legs or none (a native combo), so one-leg-filled
    states need no check. ``staged``: reductions are sent first and increases only once
    they filled (targets), so the states to check are "reductions done, one increase".
    ``sides``: a quote's legs are alternatives (bid side, ask side), never filled together
    as a set; each is checked alone (its worst case)."""

    bot: str
    intent_id: str
    kind: GroupKind
    legs: tuple[GroupLeg, ...]
    ts_event: int
    venue_atomic: bool = False
    staged: bool = False
    sides: bool = False
    leg_risk: LegRisk = LegRisk.REFUSE
    capped: bool = True  # quantities are the bot's caps (False: conviction, the risk gate sizes)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def reduces_only(self) -> bool:
        return all(leg.reduces for leg in self.legs)

    def leg_signal(self, i: int, account: str, now_ns: int) -> Signal:
        """Leg ``i`` as a signal for the gates and the store: the direction of the
        position it leads to, entered at its reference price."""
        leg = self.legs[i]
        sign = (leg.after > 0) - (leg.after < 0)
        return Signal(self.bot, leg.instrument, Direction.from_sign(sign), float(self.meta.get("confidence", 1.0)),
                      leg.price, self.ts_event, now_ns,
                      meta={**self.meta, "intent": self.intent_id, "kind": self.kind, "leg": i,
                            "legs": len(self.legs), "quantity": str(leg.quantity)},
                      account=account, intent=f"{self.intent_id}#{i}")


@dataclass(frozen=True)
class GroupResult:
    """Every leg's decisions (the gates', then the one risk decision) and the approved
    signed quantities (zero: nothing sent for that leg)."""

    decisions: tuple[tuple[Decision, ...], ...]
    quantities: tuple[Decimal, ...]

    @property
    def final(self) -> Decision:
        """The decision that settled the intent (the risk gate's, or the first refusal)."""
        for ds in self.decisions:
            if ds and ds[-1].verdict is Verdict.REJECT and ds[-1].reason != "sibling_refused":
                return ds[-1]
        return self.decisions[0][-1]

    @property
    def approved(self) -> bool:
        return any(q != 0 for q in self.quantities)

    @property
    def outcome(self) -> str:
        last = self.final
        if last.verdict is Verdict.REJECT:
            return f"rejected:{last.gate}:{last.reason}"
        return "ordered" if self.approved else "noop"


def run_group(gates: list[Gate], risk: RiskGate, group: IntentGroup, ctx: GateContext, account: str) -> GroupResult:
    """Judge ``group`` through ``gates`` then ``risk`` as one decision."""
    n = len(group.legs)
    per_leg: list[list[Decision]] = [[] for _ in range(n)]
    scale = 1.0
    refused: Decision | None = None
    signals = [group.leg_signal(i, account, ctx.now_ns) for i in range(n)]
    for gate in gates:
        for i, leg in enumerate(group.legs):
            d = gate.evaluate(signals[i], ctx)
            if leg.reduces and d.verdict is not Verdict.PASS:
                d = Decision.passed(gate.name, "exit_passes", f"{d.verdict.value}:{d.reason} ignored for a reduction",
                                    d.data)
            per_leg[i].append(d)
            if d.verdict is Verdict.REJECT and refused is None:
                refused = Decision.rejected(gate.name, d.reason, f"leg {leg.instrument}: {d.detail}".strip(), d.data)
            scale = min(scale, _leg_scale(per_leg[i]))
        if refused is not None:
            break
    if refused is not None:  # one leg refused: the whole intent is refused
        sibling = Decision.rejected(refused.gate, "sibling_refused", refused.detail, {"reason": refused.reason})
        return GroupResult(tuple(tuple(ds) if ds and ds[-1].verdict is Verdict.REJECT else tuple(ds) + (sibling,)
                                 for ds in per_leg), tuple(ZERO for _ in range(n)))
    approve = getattr(risk, "approve_group", None)
    if approve is not None:
        decision, qtys = approve(group, ctx, scale)
    elif group.reduces_only:
        decision, qtys = Decision.passed(risk.name, "exit", "reductions only"), tuple(leg.quantity for leg in group.legs)
    else:
        decision, qtys = Decision.rejected(risk.name, "group_unsupported",
                                           f"risk gate {risk.name} cannot judge a {group.kind} intent as one decision"), \
            tuple(ZERO for _ in range(n))
    if decision.verdict is Verdict.REJECT:
        qtys = tuple(ZERO for _ in range(n))
    return GroupResult(tuple(tuple(ds) + (decision,) for ds in per_leg), tuple(qtys))


def _leg_scale(decisions: list[Decision]) -> float:
    s = 1.0
    for d in decisions:
        s *= d.scale
    return s
