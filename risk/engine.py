"""The portfolio risk gate: the single writer between every bot and every broker.

:class:`PortfolioRiskGate` is registered as gate ``risk`` (the kernel's fixed-fraction
gate stays available as ``basic-risk``). For each signal it returns one decision (pass,
resize or reject with a machine-readable reason; ``data`` holds the evidence) and the
signed order quantity.

Exits (a FLAT signal, the closing leg of a flip) always pass, whatever the state. An
entry goes through, in order:

1. trading state (``HALTED``/``REDUCING`` on fleet, ``fleet:<name>``,
   ``account:<venue>``, ``bot:<name>``, ``instrument:<symbol>``, ``class:<asset class>``
   or ``venue:<name>``; an engine halt in ``ctx.halted``) and the daily-loss halt;
2. blockers: shorting allowed, re-entry cooldown, contradictory positions;
3. count limits: max concurrent positions and max trades per day (global, bot, fleet);
4. sizing: the bot's capital budget (:mod:`tradefleet.risk.budgets`), shared by its instruments, x
   one intensity in [0, 1],
   the strongest of the cuts: Kelly relative to the prior's edge, HRP multiplier (capped
   at 1), regime_scale, fleet_weight, losing-streak cut and upstream scale (they do not
   multiply);
5. notional caps (each may only shrink it): risk-per-trade at the stop, max position,
   gross exposure (global, bot, fleet), correlated-cluster cap, cash for buys;
6. portfolio Greeks limits (when a provider is wired);
7. pre-trade VaR/CVaR (historical and parametric, 95/99): shrunk until within the
   limits, or rejected;
8. live notional threshold: waits for confirmation (:mod:`tradefleet.risk.confirm`).

Inputs from upstream, read from ``Signal.meta``: ``fleet_weight`` (float in [0, 1], the
Thompson-sampling controller's allocation to this bot, set by the fleet bots on their
signals; default 1), ``regime_scale`` (float in [0, 1], default 1) and ``fleet`` (str,
overrides the bot's fleet; default ``[risk].fleet_of`` or the bot's family). The regime
gate in ``ai/regime`` applies its size multiplier as a resize, which arrives here as the
pipeline's ``scale``; a source should use one channel or the other, never both (they
multiply). Values outside [0, 1] are clipped; a non-number counts as 1.

Reason codes (``Decision.reason``): ``sized`` (pass), ``exit``, ``noop_flat``,
``noop_already_positioned``, ``noop_entry_pending``, ``noop_exit_pending``; resizes name the binding cap: ``scaled`` (upstream, regime,
fleet or losing-streak factor), ``risk_per_trade``, ``max_position``,
``gross_exposure_{global,bot,fleet}``, ``capital_budget`` (the bot's budget left after its
open positions), ``correlation_cluster``, ``cash``, ``var_limit``;
rejections: ``halted``, ``state_reducing``, ``state_halted``, ``daily_loss_halt``,
``short_not_allowed``, ``cooldown``, ``contradictory_position``,
``max_positions_{global,bot,fleet}``, ``max_trades_per_day_{global,bot,fleet}``,
``greeks_{delta,gamma,theta,vega,rho}``, ``no_quote``, ``no_equity``, ``size_below_lot`` (the
budget's share rounds below one lot or ``min_notional``), ``no_edge`` (measured Kelly edge
<= 0), ``<factor>_zero`` (another cut at 0),
``awaiting_confirmation`` and any cap above when it leaves nothing. A flip whose new leg
is refused returns ``<reason>_exit_only`` (resize to 0) with the closing quantity.
``Decision.data`` carries ``equity``, ``price``, ``factors``, ``desired``, ``notional``,
``var`` (measures after the order) and ``confirmation_id`` where relevant.

Outcomes feed Kelly, the losing-streak cut and the cooldown. The gate notices closed
trades itself from the portfolio's realised P&L; :meth:`PortfolioRiskGate.record_outcome`
lets an engine report them directly instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.orchestrator.binary import is_binary, no_price
from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.domain import ZERO, Decision, Instrument, Signal
from tradefleet.orchestrator.duration import parse_timeframe
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.errors import StoreError
from tradefleet.risk.alerts import AlertSink, RiskAlert
from tradefleet.risk.blockers import Blockers
from tradefleet.risk.budgets import CapitalBudgets, declared
from tradefleet.risk.scoped_loss import ScopedDailyLoss, pnl_by_bot
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.confirm import ConfirmationBook
from tradefleet.risk.daily_loss import DailyLossGuard, ResumeRefused
from tradefleet.risk.exit_manager import publish_exit_manager
from tradefleet.risk.exposure import ExposureBook
from tradefleet.risk.kelly import KellySizer
from tradefleet.risk.limits import Headroom, ScopedLimits, TradeCounter, count_breach, notional_headroom, resolve
from tradefleet.risk.market_model import MarketModel
from tradefleet.risk.persistence import FLEET_SCOPE, RISK_ACTOR, ControlStore, MemoryRiskStore, RiskStateStore
from tradefleet.risk.report import KEY as REPORT_KEY
from tradefleet.risk.prechecks import OutcomeWatcher, Snapshot, greeks_breach, var_fit
from tradefleet.risk.state import CircuitBreakers, StateBook, TradingState, instrument_scopes
from tradefleet.risk.var import VarProbe

if TYPE_CHECKING:
    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.pipeline.group import IntentGroup
    from tradefleet.orchestrator.services import Services

GATE = "risk"
OUTCOMES_KEY = "outcomes"  # Kelly records, cooldowns and losing streaks, kept across restarts


class PortfolioRiskGate:
    """Sizing, limits, VaR, blockers and trading states in one risk gate."""

    name: ClassVar[str] = "risk"
    api_version: ClassVar[int] = 1

    def __init__(self, config: PortfolioRiskConfig, clock: Clock, *, timezone: str = "America/New_York",
                 control: ControlStore | None = None, state: RiskStateStore | None = None,
                 bus: Any = None, instruments: dict[str, Instrument] | None = None, live: bool = False,
                 universe: Callable[[], Sequence[str]] | None = None,
                 fleet_of: dict[str, str] | None = None,
                 greeks_provider: Callable[[list[Any]], Any] | None = None,
                 poll_seconds: float = 1.0, daily_scope: str = "fleet") -> None:
        mem = MemoryRiskStore()
        self.config = config
        self.clock = clock
        self.live = live
        self.instruments = instruments or {}
        self.universe = universe
        self.greeks_provider = greeks_provider
        self.store: RiskStateStore = state or _state_store(control) or mem
        self.alerts = AlertSink(bus)
        self.states = StateBook(self.alerts, self.store)
        self.breakers = CircuitBreakers(config.breakers, self.states, self._describe)
        self.daily = DailyLossGuard(config.daily_loss, timezone, control or mem, self.store, self.alerts, poll_seconds,
                                    daily_scope)
        self.kelly = KellySizer(config.kelly)
        self.blockers = Blockers(config.blockers)
        saved = self.store.load_risk_state(OUTCOMES_KEY) or {}
        self.kelly.load(saved.get("kelly", {}))
        self.blockers.load(saved.get("blockers", {}))
        self.trades = TradeCounter(config.daily_loss.timezone or timezone, self.store)
        self.confirmations = ConfirmationBook(clock, config.confirm.ttl_seconds, self.alerts)
        self.model = MarketModel(config)
        self._fleet_of = {**(fleet_of or {}), **config.fleet_of}
        self.budgets = CapitalBudgets(*declared(config, ()), default_pct=config.position_pct)
        self.scoped_loss = ScopedDailyLoss(config, timezone, self.states, self.store)
        self._limits: dict[tuple[str, str], ScopedLimits] = {}
        self._outcomes = OutcomeWatcher()
        self._exits_approved: dict[tuple[str, str], int] = {}
        self._last_tick = -1
        self._rebuild_ns = int(config.rebuild_seconds * NS)
        self.report_every_ns = int(config.snapshot_seconds * NS)
        self._report_ns = -(1 << 62)
        self.snap: Snapshot | None = None
        self.bar_seconds: dict[str, float] = {}
        self._universe: tuple[int, set[str]] = (-1, set())
        self._universe_seen: set[str] = set()  # every symbol the universe has shown (option contracts too)
        self._var_models: dict[tuple[Any, ...], Any] = {}
        self._option_cols: tuple[tuple[int, Any], dict[str, Any]] = ((0, None), {})  # (tick, build) -> columns

    @classmethod
    def build(cls, services: Services) -> PortfolioRiskGate:
        """Wire the gate from the kernel's services (store, clock, bus, registry) and
        publish it as ``services.extras["risk_gate"]``."""
        cfg = services.config
        specs = services.registry.bots()
        fleets = {name: spec.family or "default" for name, spec in specs.items()}
        data = services.data
        gate = cls(cfg.risk, services.clock, timezone=cfg.engine.timezone, control=services.store,
                   state=_state_store(services.store, _scope(services)), bus=services.bus,
                   instruments=services.instruments,
                   live=cfg.mode == "live", universe=getattr(data, "symbols", None), fleet_of=fleets,
                   greeks_provider=services.extras.get("greeks_provider") or _default_greeks(services),
                   poll_seconds=cfg.engine.control_poll_seconds, daily_scope=_daily_scope(services))
        for spec in specs.values():
            gate.learn_timeframe(spec.instruments, spec.timeframe)
        if cfg.mode == "replay":  # simulated days pass in milliseconds: one report per simulated day
            gate.report_every_ns = max(gate.report_every_ns, 86_400 * NS)
        # the dashboard and Telegram (same process) reach confirmations, resume and the
        # report through here
        services.extras["risk_gate"] = gate
        publish_exit_manager(services)  # the kernel's exit-policy slot: [risk.exits]
        return gate

    # -- the gate -------------------------------------------------------------------
    def approve(self, signal: Signal, ctx: GateContext, scale: float) -> tuple[Decision, Decimal]:
        """Judge ``signal``; return the decision and the signed quantity to order."""
        if signal.instrument not in self.bar_seconds:
            self.learn_timeframe((signal.instrument,), ctx.spec.timeframe)
        snap = self._snapshot(ctx)
        pos = ctx.portfolio.position(signal.bot, signal.instrument)
        held = pos.quantity if pos is not None else ZERO
        want = signal.direction.sign
        held_sign = (held > 0) - (held < 0)
        fleet = self.fleet(signal)
        pending = snap.book.holding(signal.bot, signal.instrument)
        if want == 0:
            if held == 0:
                return Decision.passed(GATE, "noop_flat"), ZERO
            if pending is None:
                return Decision.passed(GATE, "noop_exit_pending", "an approved exit has not filled yet"), ZERO
            self._book(signal, fleet, -held, ctx, entry=False)
            return Decision.passed(GATE, "exit", f"close {held}"), -held
        if want == held_sign:
            return Decision.passed(GATE, "noop_already_positioned"), ZERO
        if held == 0 and pending is not None and pending.sign == want:
            return Decision.passed(GATE, "noop_entry_pending", "an approved entry has not filled yet"), ZERO
        close = -held
        why = self._entry_blocked(signal, ctx, snap, fleet, want)
        if why is not None:
            return self._exit_only(signal, fleet, close, ctx, *why)
        decision, qty = self._size(signal, ctx, snap, fleet, want, close, scale)
        if qty == 0:
            return self._exit_only(signal, fleet, close, ctx, decision.reason, decision.detail, decision.data)
        self._book(signal, fleet, close + want * qty, ctx, entry=True)
        return decision, close + want * qty

    def approve_group(self, group: IntentGroup, ctx: GateContext, scale: float) -> tuple[Decision, tuple[Decimal, ...]]:
        """Judge a target set, multi-leg order or quote pair as ONE decision: one scale
        factor for every leg, all legs or none (see :mod:`tradefleet.risk.group`)."""
        from tradefleet.risk.group import approve_group

        return approve_group(self, group, ctx, scale)

    def capital_fraction(self, bot: str) -> float:
        """The bot's capital as a fraction of account equity: its budget (the whole account
        when no running bots were declared). Target weights are fractions of it."""
        return self.budgets.bot_fraction(bot, self._fleet_of.get(bot, "default"))

    def conviction_weight(self, bot: str, instrument: str, conviction: float) -> float:
        """The signed equity fraction a conviction target (or an unsized order) gets."""
        from tradefleet.risk.group import conviction_weight

        return conviction_weight(self, bot, instrument, conviction)

    # -- public API for the engine, dashboard, Telegram and CLI ----------------------
    def observe(self, ctx: GateContext) -> None:
        """Run the per-tick checks (breakers, daily loss, outcomes, report) without a
        signal; an engine may call it on every bar so halts and alerts do not wait for
        the next signal."""
        self._snapshot(ctx)

    def set_running(self, bots: list[str]) -> None:
        """Declare the bots this account runs: each gets its capital budget (:mod:`tradefleet.risk.budgets`)."""
        self.budgets.set_running({b: self._fleet_of.get(b, "default") for b in bots})

    def fleet(self, signal: Signal) -> str:
        """Return the fleet a signal's bot belongs to."""
        meta = signal.meta.get("fleet")
        return str(meta) if meta else self._fleet_of.get(signal.bot, "default")

    def learn_timeframe(self, instruments: tuple[str, ...] | list[str], timeframe: str) -> None:
        """Remember the bar length of ``instruments`` (the slowest timeframe traded wins)."""
        seconds = float(parse_timeframe(timeframe).seconds)
        for sym in instruments:
            if seconds > self.bar_seconds.get(sym, 0.0):
                self.bar_seconds[sym] = seconds

    def record_outcome(self, bot: str, instrument: str, pnl: float, now_ns: int, cooldown: bool = True) -> None:
        """Feed one closed trade to Kelly, the losing-streak cut and (unless told not to)
        the re-entry cooldown."""
        self.kelly.record(bot, instrument, pnl)
        self.blockers.record_outcome(bot, pnl)
        if cooldown:
            self.blockers.on_exit(bot, instrument, now_ns)
        self._save_outcomes(now_ns)

    def _save_outcomes(self, now_ns: int) -> None:
        self.store.save_risk_state(OUTCOMES_KEY, {"kelly": self.kelly.to_dict(),
                                                  "blockers": self.blockers.to_dict()}, now_ns)

    def resume(self, actor: str) -> None:
        """Lift the daily-loss halt (authorised actors only) at the current equity."""
        equity = self.snap.book.equity if self.snap is not None else self.daily.base
        self.daily.resume(actor, self.clock.now_ns(), equity)

    def on_control(self, changes: list[Any], now_ns: int) -> None:
        """Follow operator resumes seen by the engine (``Engine.reload_control``): a resume
        of ``bot:<name>`` or ``fleet:<name>`` lifts that scope's daily-loss hold, a
        whole-fleet resume (``fleet``) lifts every one; each is re-based at the resume
        (:mod:`tradefleet.risk.scoped_loss`). An actor not in ``resume_actors`` is refused
        with an alert and the hold stays."""
        held = self.scoped_loss.held()
        if not held:
            return
        for row in changes:
            if getattr(row, "paused", False) or getattr(row, "halted", False):
                continue
            scope, actor = str(row.scope), str(getattr(row, "actor", "") or "operator")
            if actor == RISK_ACTOR:
                continue
            for target in held if scope == FLEET_SCOPE else [scope] if scope in held else []:
                try:
                    self.scoped_loss.resume(target, actor, now_ns)
                except ResumeRefused as exc:
                    self.alerts.emit(RiskAlert("daily_loss_resume_refused", target, str(exc), now_ns))
            held = self.scoped_loss.held()

    def report(self) -> dict[str, Any]:
        """Return the state, every limit with its use, VaR/CVaR, clusters and blockers."""
        from tradefleet.risk.report import build_report

        return build_report(self)

    # -- internals ------------------------------------------------------------------
    def _universe_now(self) -> set[str]:
        """The data's symbols without option contracts (options enter the risk model through
        their Greeks, not as return series of their own); recomputed only when it grows."""
        raw = self.universe() if self.universe is not None else []
        n = len(raw)
        if self._universe[0] != n:
            insts, seen = self.instruments, self._universe_seen
            new = set(raw).difference(seen)
            seen |= new
            if len(seen) == n:  # symbols only arrived: classify the new ones, re-check the kept
                self._universe = (n, {s for s in (*self._universe[1], *new)
                                      if getattr(insts.get(s), "option", None) is None})
            else:  # some left: classify them all again
                self._universe_seen = set(raw)
                self._universe = (n, {s for s in raw if getattr(insts.get(s), "option", None) is None})
        return self._universe[1]

    def mult(self, instrument: str) -> float:
        """The contract multiplier of ``instrument`` (100 for an option, else 1)."""
        from tradefleet.orchestrator.occ import multiplier

        m = multiplier(instrument, self.instruments)
        return float(m) if m is not None else 1.0

    def _snapshot(self, ctx: GateContext) -> Snapshot:
        key = (ctx.now_ns, ctx.portfolio.cash(), ctx.portfolio.open_position_count(),
               getattr(ctx.portfolio, "buying_power", None))  # an account refresh rebuilds too
        snap = self.snap
        if snap is not None and snap.key == key:
            return snap
        changes = getattr(ctx.portfolio, "changes", None)
        if snap is not None and snap.key[1:] == key[1:] and self._revalued(snap, ctx, changes):
            snap.key = key
            if ctx.now_ns != self._last_tick:
                self._tick(ctx, snap)
            return snap
        book = ExposureBook.build(ctx.portfolio, ctx.market, lambda b: self._fleet_of.get(b, "default"), self.mult)
        self.snap = snap = Snapshot(key, book, snap.greeks if snap is not None else None, built_ns=ctx.now_ns,
                                    changes=changes)
        for bot, instrument, pnl in self._outcomes.scan(book):
            # an exit this gate approved already started the cooldown; others (stops,
            # scaled exits, manual closes) start it when noticed
            self.record_outcome(bot, instrument, pnl, ctx.now_ns,
                                cooldown=self._exits_approved.pop((bot, instrument), None) is None)
        if ctx.now_ns != self._last_tick:
            self._tick(ctx, snap)
        return snap

    def _revalued(self, snap: Snapshot, ctx: GateContext, changes: int | None) -> bool:
        """Bring the book of a tick with the same cash and open positions up to now without
        rebuilding it, where that is exact; False: rebuild."""
        if ctx.now_ns - snap.built_ns < self._rebuild_ns:
            # no fill since the last build: same positions (plus the orders approved since,
            # still pending), new marks
            snap.book.remark(ctx.market)
            return True
        if changes is not None and snap.changes == changes and snap.book.rebuilt(ctx.portfolio, ctx.market):
            # due for a rebuild, but the positions provably unchanged (the ledger's change
            # counter) and no order approved since: the same book a rebuild would give,
            # revalued in place (every tick of a daily-bar replay)
            snap.built_ns = ctx.now_ns
            return True
        return False

    def _tick(self, ctx: GateContext, snap: Snapshot) -> None:
        """Once per clock tick: breakers, daily loss, market model, Greeks."""
        self._last_tick = ctx.now_ns
        insts = self.instruments
        # an option's premium moves tens of percent a day: its risk is its underlying's (held
        # through the Greeks), not a breaker or a return series of its own
        held = {i for (_, i) in snap.book.holdings if getattr(insts.get(i), "option", None) is None}
        self.breakers.evaluate(ctx.market, held, ctx.now_ns, self.bar_seconds)
        self.daily.update(ctx.now_ns, snap.book.equity)
        if self.scoped_loss.enabled:
            self._scoped_loss(ctx, snap.book.equity)
        universe = held | self._universe_now()
        if self.model.needs_refresh(ctx.now_ns, universe):
            self.model.rebuild(ctx.market, universe, ctx.now_ns)
        if self.greeks_provider is not None:
            snap.greeks = self.greeks_provider(ctx.portfolio.positions())
        if ctx.now_ns - self._report_ns >= self.report_every_ns:
            self.save_report(ctx.now_ns)

    def _scoped_loss(self, ctx: GateContext, equity: float) -> None:
        def capital(scope: str) -> float:
            kind, name = scope.split(":", 1)
            if kind == "fleet":
                frac = self.budgets.fleet_fraction(name) if self.budgets.known else self.budgets.default_pct
            else:
                frac = self.budgets.bot_fraction(name, self._fleet_of.get(name, "default"))
            return frac * equity

        mark = getattr(ctx.market, "last_close", None) or (lambda _i: None)
        self.scoped_loss.update(ctx.now_ns, pnl_by_bot(ctx.portfolio.positions(), mark),
                                lambda b: self._fleet_of.get(b, "default"), capital)

    def save_report(self, now_ns: int) -> None:
        """Save the report now (the CLI and dashboard read it); a replay saves one at its end."""
        self._report_ns = now_ns
        try:
            lazy = getattr(self.store, "save_lazy", None)
            if lazy is not None:  # built when committed or asked for, not on every simulated day
                lazy(REPORT_KEY, lambda: _jsonable(self.report()), now_ns)
            else:
                self.store.save_risk_state(REPORT_KEY, _jsonable(self.report()), now_ns)
        except StoreError as exc:  # the report is informational: alert, keep judging signals
            self.alerts.emit(RiskAlert("report_not_saved", "fleet", str(exc), now_ns))

    def _entry_blocked(self, signal: Signal, ctx: GateContext, snap: Snapshot, fleet: str,
                       want: int) -> tuple[str, str] | None:
        if ctx.halted:
            return "halted", ctx.halt_reason
        state, why, scope = self.states.effective(self.scopes_of(signal.bot, signal.instrument, fleet,
                                                                 ctx.spec.asset_class.value))
        if state is not TradingState.ACTIVE:
            return f"state_{state.label}", f"{scope}: {why}"
        if self.daily.halted:
            return "daily_loss_halt", self.daily.reason
        if want < 0 and not self.config.allow_short:
            return "short_not_allowed", signal.instrument
        left = self.blockers.cooldown_left(signal.bot, signal.instrument, ctx.now_ns)
        if left > 0:
            return "cooldown", f"{left / 60:.1f} min left on {signal.instrument}"
        other = self.blockers.contradiction(signal.bot, signal.instrument, want,
                                            snap.book.holders(signal.instrument, getattr(ctx.market, "last_close", None)))
        if other is not None:
            return "contradictory_position", f"{other[0]} holds the opposite side of {other[1]}"
        limits = self._scoped(signal.bot, fleet)
        if snap.book.holding(signal.bot, signal.instrument) is None:
            breach = count_breach(limits, snap.book, signal.bot, fleet)
            if breach is not None:
                return breach, f"{snap.book.count} open"
        breach = self.trades.breach(limits, signal.bot, fleet, ctx.now_ns)
        if breach is not None:
            return breach, "entries today at the limit"
        if snap.greeks is not None:
            g = greeks_breach(self.config.greeks, snap.greeks)
            if g is not None:
                return g
        return None

    def _size(self, signal: Signal, ctx: GateContext, snap: Snapshot, fleet: str, want: int,
              close: Decimal, scale: float) -> tuple[Decision, Decimal]:
        quote = ctx.market.quote(signal.instrument)
        if quote is None:
            return Decision.rejected(GATE, "no_quote", signal.instrument), ZERO
        price = quote[1] if want > 0 else quote[0]
        if want < 0 and is_binary(ctx.spec.asset_class):
            price = no_price(quote[0])  # a binary short buys NO: its capital at risk is 1 - YES bid
        book = snap.book
        equity = book.equity
        if equity <= 0 or price <= 0:
            return Decision.rejected(GATE, "no_equity", f"equity {equity:.2f}, price {price}"), ZERO
        unit = price * self.mult(signal.instrument)  # one unit's notional: an option contract is 100 shares
        budget = self.budgets.bot_fraction(signal.bot, fleet) * equity
        per_entry = budget / max(len(ctx.spec.instruments), 1)  # a bot's instruments share its budget
        factors = {
            "kelly": self.kelly.relative(signal.bot, signal.instrument),
            "hrp": min(self.model.hrp_multiplier(signal.instrument), 1.0) if self.config.hrp.enabled else 1.0,
            "regime_scale": _unit(signal.meta.get("regime_scale", 1.0)),
            "fleet_weight": _unit(signal.meta.get("fleet_weight", 1.0)),
            "loss_streak": self.blockers.size_multiplier(signal.bot),
            "upstream_scale": _unit(scale),
        }
        # one intensity within the budget: the strongest cut wins; the factors never compound
        cut, intensity = min(factors.items(), key=lambda kv: kv[1])
        desired = per_entry * intensity
        caps = self._caps(signal, book, fleet, want, close, price, unit)
        if self.budgets.known:  # the bot's open positions use its budget up
            caps.append(Headroom("capital_budget", budget - book.gross_bot.get(signal.bot, 0.0) + abs(float(close) * unit)))
        binding, notional = "sized", desired
        for c in caps:
            if c.notional < notional:
                binding, notional = c.reason, max(c.notional, 0.0)
        data: dict[str, Any] = {"equity": equity, "price": price, "budget": budget, "factors": factors,
                                "intensity": intensity, "cut": cut if intensity < 1.0 else "", "desired": desired}
        var_note = None
        if notional > 0 and self.model.var is not None and self.config.var.enabled:
            fitted, var_note = var_fit(self.config.var, self._probe(snap, ctx, signal.instrument), signal.instrument,
                                       want * notional / equity, float(close) * unit / equity)
            if fitted * equity < notional - 1e-9:
                binding, notional = "var_limit", fitted * equity
            data["var"] = var_note
        inst = self.instruments.get(signal.instrument) or Instrument(signal.instrument, ctx.spec.asset_class)
        qty = inst.round_qty(Decimal(repr(notional / unit)))
        if qty <= 0 or float(qty) * unit < self.config.min_notional:
            reason = binding if binding != "sized" else ("no_edge" if intensity <= 0 and cut == "kelly" else
                                                         f"{cut}_zero" if intensity <= 0 else "size_below_lot")
            return Decision.rejected(GATE, reason, f"{notional:.2f} at {price}", data), ZERO
        final = float(qty) * unit
        data["notional"] = final
        if self.live and self.config.confirm.live_notional_threshold is not None \
                and final > self.config.confirm.live_notional_threshold:
            ok = self.confirmations.consume(signal.bot, signal.instrument, want)
            if ok is None:
                req = self.confirmations.request(signal.bot, signal.instrument, want, qty, final, signal.signal_id)
                data["confirmation_id"] = req.id
                return Decision.rejected(GATE, "awaiting_confirmation", f"{final:,.0f} > threshold; id {req.id}",
                                         data), ZERO
            qty = min(qty, ok.quantity)
        detail = f"{qty} @ ~{price:.6g} ({final / equity:.2%} of equity {equity:,.2f})"
        ratio = min(final / desired, 1.0) if desired > 0 else 0.0
        scaled = any(factors[k] < 1.0 for k in ("regime_scale", "fleet_weight", "loss_streak", "upstream_scale"))
        if binding == "sized" and not scaled:
            return Decision.passed(GATE, "sized", detail, data), qty
        return Decision.resized(GATE, ratio, binding if binding != "sized" else "scaled", detail, data), qty

    def _probe(self, snap: Snapshot, ctx: GateContext, symbol: str) -> VarProbe:
        """Return the VaR probe of the book as it stands (rebuilt after each approval), with
        the option legs held and ``symbol`` (when an option) measured through their underlying."""
        key = (snap.book.version, self.model.built_ns or 0)
        probe = snap.probe
        if probe is None or snap.probe_key != key or (symbol not in probe.pv.index and self._is_option(symbol)):
            pv = self.var_model(ctx, {i for (_, i) in snap.book.holdings} | {symbol})
            assert pv is not None
            snap.probe, snap.probe_key = pv.probe(pv.weights(snap.book.exposures())), key
        return snap.probe

    def _is_option(self, symbol: str) -> bool:
        return getattr(self.instruments.get(symbol), "option", None) is not None

    def var_model(self, ctx: GateContext, symbols: set[str]) -> Any:
        """The market model's :class:`~tradefleet.risk.var.PortfolioVar`, plus a delta-gamma
        scenario column for each option among ``symbols`` (:mod:`tradefleet.risk.options.scenarios`);
        the model itself when none is an option. Cached per tick and model build, and each
        option's column once per tick and build whatever set it is asked with."""
        pv = self.model.var
        options = frozenset(s for s in symbols if self._is_option(s))
        if pv is None or not options:
            return pv
        key = (ctx.now_ns, self.model.built_ns, options)
        hit = self._var_models.get(key)
        if hit is None:
            from tradefleet.risk.options.scenarios import option_columns

            if len(self._var_models) > 64 or any(k[0] != ctx.now_ns for k in self._var_models):
                self._var_models.clear()
            when = (ctx.now_ns, self.model.built_ns)
            if self._option_cols[0] != when:
                self._option_cols = (when, {})
            cols = self._option_cols[1]
            todo = options.difference(cols)
            if todo:
                got = option_columns(pv, todo, self.instruments, ctx.market, ctx.now_ns)
                cols.update({sym: got.get(sym) for sym in todo})  # None: an option it cannot measure
            hit = self._var_models[key] = pv.with_columns(
                {sym: cols[sym] for sym in sorted(options) if cols[sym] is not None})
        return hit

    def _caps(self, signal: Signal, book: ExposureBook, fleet: str, want: int, close: Decimal,
              price: float, unit: float) -> list[Headroom]:
        """Return every notional cap on this entry (each can only shrink it); ``unit`` is one
        unit's notional (``price`` x contract multiplier)."""
        equity = book.equity
        closing = float(close) * unit  # signed value of a flip's closing leg
        caps = [Headroom(c.reason, c.notional + abs(closing)) if c.reason.startswith("gross") else c
                for c in notional_headroom(self._scoped(signal.bot, fleet), book, signal.bot, fleet, 0.0)]
        if signal.stop is not None and (signal.entry - signal.stop) * want > 0:
            # the notional whose loss at the stop is the allowed risk (the same per share as per contract)
            caps.append(Headroom("risk_per_trade", self.config.risk_per_trade_pct * equity
                                 / abs(signal.entry - signal.stop) * price))
        others = [s for s in self.model.cluster(signal.instrument) if s != signal.instrument]
        used = book.cluster_gross(others) + abs(book.net_symbol.get(signal.instrument, 0.0) + closing)
        caps.append(Headroom("correlation_cluster", self.config.correlation.cluster_cap_pct * equity - used))
        if want > 0:  # the account's buying power (margin: above its cash; unsettled sales: below)
            kind, spendable = book.spendable(signal.instrument)
            caps.append(Headroom(kind, spendable - closing))
        return caps

    def _exit_only(self, signal: Signal, fleet: str, close: Decimal, ctx: GateContext, reason: str,
                   detail: str = "", data: dict[str, Any] | None = None) -> tuple[Decision, Decimal]:
        if close == 0:
            return Decision.rejected(GATE, reason, detail, data), ZERO
        self._book(signal, fleet, close, ctx, entry=False)
        return Decision.resized(GATE, 0.0, f"{reason}_exit_only", detail, data), close

    def _book(self, signal: Signal, fleet: str, qty: Decimal, ctx: GateContext, entry: bool) -> None:
        if self.snap is None:
            return
        quote = ctx.market.quote(signal.instrument)
        price = (quote[0] + quote[1]) / 2 if quote is not None else 0.0
        snap = self.snap
        fresh = snap.probe is not None and snap.probe_key == (snap.book.version, self.model.built_ns or 0)
        snap.book.apply(signal.bot, signal.instrument, fleet, float(qty), price)
        if fresh and snap.probe is not None and snap.book.equity > 0:
            # keep the VaR probe in step with the book instead of rebuilding it
            # the weight moves by the order's notional: units x price x the contract multiplier (100 an option)
            if snap.probe.shift(signal.instrument, float(qty) * price * self.mult(signal.instrument) / snap.book.equity):
                snap.probe_key = (snap.book.version, self.model.built_ns or 0)
        if entry:
            self.trades.add(signal.bot, fleet, ctx.now_ns)
        else:
            self.blockers.on_exit(signal.bot, signal.instrument, ctx.now_ns)
            self._exits_approved[(signal.bot, signal.instrument)] = ctx.now_ns
            self._save_outcomes(ctx.now_ns)

    def _scoped(self, bot: str, fleet: str) -> ScopedLimits:
        key = (bot, fleet)
        hit = self._limits.get(key)
        if hit is None:
            hit = self._limits[key] = resolve(self.config, bot, fleet)
        return hit

    def scopes_of(self, bot: str, instrument: str, fleet: str, asset_class: str | None = None) -> tuple[str, ...]:
        """Return every scope whose state an entry of ``bot`` in ``instrument`` must respect."""
        asset, venue = self._describe(instrument)
        return ("fleet", f"fleet:{fleet}", f"account:{venue}", f"bot:{bot}",
                *instrument_scopes(instrument, asset if asset != "unknown" else (asset_class or asset), venue))

    def _describe(self, instrument: str) -> tuple[str, str]:
        inst = self.instruments.get(instrument)
        return (inst.asset_class.value, inst.venue) if inst is not None else ("unknown", "paper")

    def _venue(self, instrument: str) -> str:
        inst = self.instruments.get(instrument)
        return inst.venue if inst is not None else "paper"


def _unit(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 1.0
    return 0.0 if not v > 0 else min(v, 1.0)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x if isinstance(x, str | int | float | bool) or x is None else str(x)


def _default_greeks(services: Services) -> Callable[[list[Any]], Any] | None:
    if not services.config.risk.greeks.enabled:
        return None
    from tradefleet.risk.greeks_hook import MarketGreeksProvider

    return MarketGreeksProvider(services.market, services.clock, services.config.risk.greeks.rate)


def _scope(services: Services) -> str:
    """Replay runs are separate simulated accounts: each keeps its own risk state."""
    account = getattr(services.portfolio, "account", "")
    return f"{account}/" if services.config.mode == "replay" and account else ""


def _daily_scope(services: Services) -> str:
    """A replay's daily-loss halt holds its own simulated account, never the live fleet."""
    account = getattr(services.portfolio, "account", "")
    return f"account:{account}" if services.config.mode == "replay" and account else "fleet"


def _state_store(store: Any, scope: str = "") -> RiskStateStore | None:
    if isinstance(store, RiskStateStore):
        return store
    if getattr(store, "engine", None) is not None:
        from tradefleet.risk.store_state import StoreRiskState

        return StoreRiskState.of(store, scope)
    return None
