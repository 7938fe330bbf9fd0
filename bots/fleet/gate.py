"""The fleet gate: sizes each sub-bot's entries by its Thompson-sampling allocation.

For a signal from a fleet member, the gate resizes by ``weight / max(weight)`` (the
best-allocated sub-bot trades at full size, the others in proportion) and records every
sub-bot's weight in ``Decision.data`` (so the allocation over time is in the store).
Closed trades update the posterior: on every fill the gate reads each member's realised
P&L from the portfolio, and a change is one outcome, as a return on equity in percent.
The fleet's own risk budget (daily loss, positions, exposure) is enforced by the risk
engine under ``fleet:<name>``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from bots.fleet.config import FleetConfig
from bots.fleet.thompson import ThompsonAllocator
from orchestrator.bus import Topic
from orchestrator.domain import Decision, Signal
from orchestrator.pipeline.gate import GateContext, PortfolioView

if TYPE_CHECKING:
    from orchestrator.services import Services

GATE = "fleet"


class FleetGate:
    """Allocates capital between fleet members by Thompson sampling."""

    name: ClassVar[str] = GATE
    api_version: ClassVar[int] = 1

    def __init__(self, config: FleetConfig, members: list[str], portfolio: PortfolioView) -> None:
        self.config = config
        self.members = frozenset(members)
        self.portfolio = portfolio
        self.allocator = ThompsonAllocator.over(sorted(members) or ["(none)"], decay=config.decay,
                                                floor=min(config.floor, 1.0 / max(1, len(members))),
                                                samples=config.samples, seed=config.seed)
        self._realized: dict[str, Decimal] = {m: Decimal(0) for m in members}
        self._weights: dict[str, float] | None = None  # valid until the next outcome
        self._store: Any = None  # the kernel store (set by build)
        self._state: Any = None  # a RiskStateStore once restored (paper/live keep posteriors)

    @classmethod
    def build(cls, services: Services) -> FleetGate:
        cfg: FleetConfig = getattr(services.config, "fleet", FleetConfig())
        bots = services.registry.bots()
        if cfg.members is not None:
            members = [m for m in cfg.members if m in bots]
        else:
            members = [n for n, s in bots.items() if s.family in cfg.families]
        gate = cls(cfg, members if cfg.enabled else [], services.portfolio)
        gate._store = services.store
        services.bus.subscribe(Topic.FILLS, lambda _topic, _fill: gate.observe())
        return gate

    def observe(self) -> None:
        """Turn any change in a member's realised P&L into an outcome for its arm."""
        totals: dict[str, Decimal] = {}
        for p in self.portfolio.positions():
            if p.bot in self.members:
                totals[p.bot] = totals.get(p.bot, Decimal(0)) + p.realized_pnl
        equity = float(self.portfolio.equity()) or 1.0
        for bot, total in totals.items():
            delta = total - self._realized[bot]
            if delta:
                self._realized[bot] = total
                self.allocator.update(bot, float(delta) / equity * 100.0)
                self._weights = None
                self._save()

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
        from risk.store_state import StoreRiskState

        self._state = StoreRiskState.of(self._store)
        doc = self._state.load_risk_state(self.state_key) or {}
        for name, raw in (doc.get("arms") or {}).items():
            if name in self.allocator.arms:
                arm = self.allocator.arms[name]
                arm.n, arm.mean, arm.m2, arm.trades = (float(raw["n"]), float(raw["mean"]), float(raw["m2"]),
                                                       int(raw["trades"]))
        totals: dict[str, Decimal] = {}
        for p in portfolio.positions():
            if p.bot in self.members:
                totals[p.bot] = totals.get(p.bot, Decimal(0)) + p.realized_pnl
        saved = {b: Decimal(str(v)) for b, v in (doc.get("realized") or {}).items() if b in self.members}
        self._realized.update({**totals, **saved})
        self._weights = None

    def _save(self) -> None:
        if self._state is None:
            return
        arms = {n: {"n": a.n, "mean": a.mean, "m2": a.m2, "trades": a.trades} for n, a in self.allocator.arms.items()}
        self._state.save_risk_state(self.state_key, {"arms": arms, "realized": {b: str(v) for b, v in
                                                                                 self._realized.items()}}, 0)

    def weights(self) -> dict[str, float]:
        """The current allocation; re-sampled only after a new outcome, so one set of
        posteriors always gives one allocation."""
        if not self.members:
            return {}
        if self._weights is None:
            self._weights = self.allocator.weights()
        return self._weights

    def evaluate(self, signal: Signal, ctx: GateContext) -> Decision:
        if signal.bot not in self.members:
            return Decision.passed(GATE, "not_in_fleet")
        w = self.weights()
        scale = w[signal.bot] / max(w.values())
        data: dict[str, Any] = {"fleet": self.config.name, "weights": w,
                                "trades": {b: a.trades for b, a in self.allocator.arms.items()}}
        if scale >= 1.0:
            return Decision.passed(GATE, "fleet_top_allocation", f"weight {w[signal.bot]:.3f}", data)
        return Decision.resized(GATE, scale, "fleet_allocation", f"weight {w[signal.bot]:.3f} of max {max(w.values()):.3f}", data)
