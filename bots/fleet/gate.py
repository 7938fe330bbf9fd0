"""The fleet gate: the Thompson-sampling controller that moves capital between bots.

Members are grouped by fleet (the risk engine's fleets: ``[risk].fleet_of``, else each
bot's family), one allocator per fleet, over the bots the account actually runs. The
allocation is a *capital budget*: each member's weight (probability matching, floored
for exploration, capped per bot, summing to 1) times its fleet's capital budget
(:mod:`tradefleet.risk.budgets`), pushed to the risk gate, which sizes the bot's entries within it.
Winners get more than an equal share, losers less; nobody is shrunk towards zero by a
multiplier. Signals pass this gate unresized; ``Decision.data`` records the weights.

Rewards are returns on the capital each bot was given: on every fill the gate reads each
member's realised P&L from the portfolio, and a change is one outcome, in percent of the
bot's budget at that time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.bots.fleet.config import FleetConfig
from tradefleet.bots.fleet.thompson import ThompsonAllocator
from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.domain import Decision, Signal
from tradefleet.orchestrator.pipeline.gate import GateContext, PortfolioView

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services

GATE = "fleet"


class FleetGate:
    """Allocates capital between fleet members by Thompson sampling."""

    name: ClassVar[str] = GATE
    api_version: ClassVar[int] = 1

    def __init__(self, config: FleetConfig, members: list[str], portfolio: PortfolioView,
                 fleet_of: dict[str, str] | None = None, budgets: Any = None) -> None:
        self.config = config
        self.portfolio = portfolio
        self.fleet_of = dict(fleet_of or {})
        self.budgets = budgets  # tradefleet.risk.budgets.CapitalBudgets of the risk gate, when wired
        self._store: Any = None  # the kernel store (set by build)
        self._state: Any = None  # a RiskStateStore once restored (paper/live keep posteriors)
        self._extras: dict[str, Any] = {}
        self._configure(members)

    def _configure(self, members: list[str]) -> None:
        self.members = frozenset(members)
        groups: dict[str, list[str]] = {}
        for m in sorted(members):
            groups.setdefault(self.group(m), []).append(m)
        cfg = self.config
        self.allocators = {
            fleet: ThompsonAllocator.over(names, decay=cfg.decay, floor=min(cfg.floor, 1.0 / len(names)),
                                          samples=cfg.samples, seed=cfg.seed)
            for fleet, names in groups.items()}
        self._realized: dict[str, Decimal] = {m: Decimal(0) for m in members}
        self._weights: dict[str, dict[str, float]] = {}  # per fleet, valid until its next outcome
        self._dirty: set[str] = set()  # fleets with outcomes not yet turned into budgets
        self._seen: int | None = None  # the ledger's change counter at the last observe (None: scan all)
        self._push()

    def group(self, bot: str) -> str:
        """The fleet whose capital ``bot`` shares."""
        return self.fleet_of.get(bot, self.config.name)

    @property
    def allocator(self) -> ThompsonAllocator:
        """The allocator of the first fleet (single-fleet setups and tests)."""
        return next(iter(self.allocators.values()))

    def set_running(self, bots: list[str]) -> None:
        """Allocate only between the member bots this account runs (the kernel calls this)."""
        if self.budgets is None:
            gate = self._extras.get("risk_gate")
            self.budgets = getattr(gate, "budgets", None)
        self._configure([b for b in bots if b in self.members])

    @classmethod
    def build(cls, services: Services) -> FleetGate:
        cfg: FleetConfig = getattr(services.config, "fleet", FleetConfig())
        bots = services.registry.bots()
        if cfg.members is not None:
            members = [m for m in cfg.members if m in bots]
        else:
            members = [n for n, s in bots.items() if s.family in cfg.families]
        risk_cfg = services.config.risk
        fleet_of = {n: (getattr(risk_cfg, "fleet_of", {}) or {}).get(n) or s.family or "default"
                    for n, s in bots.items()}
        gate = cls(cfg, members if cfg.enabled else [], services.portfolio, fleet_of)
        gate._store = services.store
        gate._extras = services.extras
        services.bus.subscribe(Topic.FILLS, lambda _topic, _fill: gate.observe())
        return gate

    def observe(self) -> None:
        """Turn any change in a member's realised P&L into an outcome for its arm: the
        return on the capital budget the bot had."""
        totals = self._totals()
        equity = None
        moved: set[str] = set()
        for bot, total in totals.items():
            delta = total - self._realized[bot]
            if delta:
                if equity is None:
                    equity = float(self.portfolio.equity()) or 1.0
                self._realized[bot] = total
                fleet = self.group(bot)
                self.allocators[fleet].update(bot, float(delta) / self.capital(bot, equity) * 100.0)
                self._weights.pop(fleet, None)
                self._dirty.add(fleet)  # re-sampled when a member next needs its budget (sync)
                moved.add(fleet)
                self._save()
        for fleet in sorted(moved):  # that re-sample's draws start now, in the background
            self.allocators[fleet].draw_ahead()

    def _totals(self) -> dict[str, Decimal]:
        """Realised P&L of the members whose books may have changed since the last call:
        only those the ledger says changed (one fill changes one owner), or all of them
        on the first call and after a restore."""
        changed = getattr(self.portfolio, "owners_changed", None)
        if changed is not None and self._seen is not None:
            owners, self._seen = changed(self._seen)
            return {b: self.portfolio.realized(b) for b in owners if b in self.members}  # type: ignore[attr-defined]
        if changed is not None:
            self._seen = changed(0)[1]
        totals: dict[str, Decimal] = {}
        for p in self.portfolio.positions():
            if p.bot in self.members:
                totals[p.bot] = totals.get(p.bot, Decimal(0)) + p.realized_pnl
        return totals

    def capital(self, bot: str, equity: float) -> float:
        """The capital ``bot`` was given (its budget), in account currency."""
        fleet = self.group(bot)
        if self.budgets is not None and self.budgets.known:
            budget = self.budgets.bot_fraction(bot, fleet) * equity
        else:
            budget = self.weights(fleet).get(bot, 0.0) * equity
        return budget if budget > 0 else equity

    def sync(self, fleet: str | None = None) -> None:
        """Turn the outcomes seen since the last sync into budgets (one re-sample per fleet)."""
        for name in [fleet] if fleet is not None else sorted(self._dirty):
            if name in self._dirty:
                self._dirty.discard(name)
                self._push(name)

    def _push(self, fleet: str | None = None) -> None:
        """Hand the current allocation to the risk gate's capital budgets."""
        if self.budgets is None:
            return
        for name in [fleet] if fleet is not None else list(self.allocators):
            self.budgets.set_weights(name, self.weights(name))

    # -- restart ---------------------------------------------------------------------
    @property
    def state_key(self) -> str:
        return f"fleet:{self.config.name}"

    def restore(self, portfolio: PortfolioView) -> None:
        """Warm start: reload the posteriors and the realised P&L already counted, then keep
        them current in the store. Realised P&L of the restored book that no stored state
        accounts for is taken as the baseline (never as a new outcome)."""
        if self._store is None or not self.members:
            return
        from tradefleet.risk.store_state import StoreRiskState

        self._state = StoreRiskState.of(self._store)
        doc = self._state.load_risk_state(self.state_key) or {}
        arms = {n: a for alloc in self.allocators.values() for n, a in alloc.arms.items()}
        for name, raw in (doc.get("arms") or {}).items():
            if name in arms:
                arm = arms[name]
                arm.n, arm.mean, arm.m2, arm.trades = (float(raw["n"]), float(raw["mean"]), float(raw["m2"]),
                                                       int(raw["trades"]))
        totals: dict[str, Decimal] = {}
        for p in portfolio.positions():
            if p.bot in self.members:
                totals[p.bot] = totals.get(p.bot, Decimal(0)) + p.realized_pnl
        saved = {b: Decimal(str(v)) for b, v in (doc.get("realized") or {}).items() if b in self.members}
        self._realized.update({**totals, **saved})
        self._seen = None
        self._weights = {}
        self._push()

    def _save(self) -> None:
        if self._state is None:
            return
        arms = {n: {"n": a.n, "mean": a.mean, "m2": a.m2, "trades": a.trades}
                for alloc in self.allocators.values() for n, a in alloc.arms.items()}
        self._state.save_risk_state(self.state_key, {"arms": arms, "realized": {b: str(v) for b, v in
                                                                                 self._realized.items()}}, 0)

    def weights(self, fleet: str | None = None) -> dict[str, float]:
        """The current allocation of ``fleet`` (default: the first), floored and capped,
        summing to 1; re-sampled only after a new outcome, so one set of posteriors always
        gives one allocation."""
        if not self.members:
            return {}
        fleet = fleet if fleet is not None else next(iter(self.allocators))
        if fleet not in self.allocators:
            return {}
        if fleet not in self._weights:
            self._weights[fleet] = cap_weights(self.allocators[fleet].weights(), self.config.cap)
        return self._weights[fleet]

    def evaluate(self, signal: Signal, ctx: GateContext) -> Decision:
        if signal.bot not in self.members:
            return Decision.passed(GATE, "not_in_fleet")
        fleet = self.group(signal.bot)
        self.sync(fleet)
        w = self.weights(fleet)
        equal = 1.0 / len(w)
        data: dict[str, Any] = {"fleet": fleet, "weights": w, "equal_share": equal,
                                "trades": {b: a.trades for b, a in self.allocators[fleet].arms.items()}}
        if self.budgets is not None and self.budgets.known:
            data["budget_of_equity"] = self.budgets.bot_fraction(signal.bot, fleet)
        return Decision.passed(GATE, "fleet_budget", f"weight {w[signal.bot]:.3f} ({w[signal.bot] / equal:.2f}x an "
                               f"equal share of fleet {fleet})", data)


def cap_weights(weights: dict[str, float], cap: float) -> dict[str, float]:
    """Clip every weight at ``cap`` and hand the excess to the others in proportion
    (a cap below an equal share is raised to it, so the weights still sum to 1)."""
    if not weights:
        return {}
    cap = max(cap, 1.0 / len(weights))
    w = dict(weights)
    for _ in range(len(w)):
        over = {k: v for k, v in w.items() if v > cap + 1e-12}
        if not over:
            break
        excess = sum(v - cap for v in over.values())
        free = {k: v for k, v in w.items() if v < cap - 1e-12}
        total = sum(free.values())
        for k in over:
            w[k] = cap
        for k, v in free.items():
            w[k] = v + excess * (v / total if total > 0 else 1.0 / len(free))
    s = sum(w.values())
    return {k: v / s for k, v in w.items()}
