"""The engine: bots' signals through the gates to the order manager, fills to the books.

The same engine runs replay, paper and live; a driver (``tradefleet.app.replay`` or the live
loop) feeds it bars and schedule fires on its clock. Control (pause, resume, halt) is
persisted in the store, so it survives restarts and can be changed from another process
(the CLI, the dashboard, Telegram); the engine re-reads it every
``engine.control_poll_seconds`` of wall time and on every control event on the bus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.bot import TickContext
from tradefleet.orchestrator.botrunner import BotRunner
from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.capital import CapitalUse
from tradefleet.orchestrator.domain import ZERO, Bar, Decision, Direction, Fill, Order, OrderType, Side, Signal
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.pipeline.runner import GatePipeline, PipelineResult
from tradefleet.orchestrator.errors import PluginError
from tradefleet.orchestrator.registry import PluginStatus
from tradefleet.orchestrator.store.records import FLEET, bot_scope

if TYPE_CHECKING:
    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.orchestrator.execution.desk import ExecutionDesk
    from tradefleet.orchestrator.execution.oms import OrderManager
    from tradefleet.orchestrator.exits import ExitOrder, ExitPolicy
    from tradefleet.orchestrator.store import Store
    from tradefleet.orchestrator.execution.paper import PaperBroker
    from tradefleet.orchestrator.portfolio import Ledger
    from tradefleet.orchestrator.services import Services

def record_bot(store: Store, spec: BotSpec, status: str, error: str, now_ns: int) -> None:
    """Store a bot's registration and health."""
    store.upsert_bot(spec.name, strategy=f"{spec.bot.__module__}.{spec.bot.__qualname__}", family=spec.family,
                     asset_class=spec.asset_class.value, status=status, error=error or None, updated_ns=now_ns)


@dataclass(frozen=True)
class ControlState:
    """Pause and halt as currently stored."""

    fleet_paused: bool = False
    halted: bool = False
    halt_reason: str = ""
    paused_bots: frozenset[str] = frozenset()
    #: operator force-exit requests not yet sent: (bot, instrument, reason, actor)
    exits: tuple[tuple[str, str, str, str], ...] = ()


class Engine:
    """Owns the bot runners, the pipeline, the order manager and the book of one account."""

    def __init__(self, services: Services, runners: dict[str, BotRunner], pipeline: GatePipeline,
                 oms: OrderManager, ledger: Ledger, account: str, paper: PaperBroker | None = None,
                 exits: ExitPolicy | None = None, route: Callable[[str], str] | None = None) -> None:
        self.services = services
        self.route = route or (lambda _instrument: account)
        self.runners = runners
        self.pipeline = pipeline
        self.oms = oms
        self.ledger = ledger
        self.account = account
        self.paper = paper
        self.exits = exits
        #: the execution layer's desk (``tradefleet.orchestrator.execution.desk``), set by the kernel assembly
        self.desk: ExecutionDesk | None = None
        #: event bots' recorded tick sources (replay): bot name -> source with ``at(now_ns)``
        self.tick_sources: dict[str, Any] = {}
        #: called with every bar after the engine handled it (a component's market service:
        #: option chains quoted and option expiries settled on the underlying's bar)
        self.bar_hooks: list[Callable[[Bar], None]] = []
        #: underlying -> its option chain now (set by the options component); bots read it
        #: through ``ctx.chain(underlying)``
        self.chains: Callable[[str], Any] | None = None
        #: client order ids of exercises, assignments, expiries and deliveries booked here
        self.settlements: set[str] = set()
        #: (bot, instrument) -> market exits the engine sent past the gate (force exits, scaled exits
        #: on venues without resting exits), netted from the bot's own orders on their side while they
        #: work (in memory: a restart does not restore them)
        self.market_exits: dict[tuple[str, str], list[str]] = {}
        self.control = ControlState()
        self._controls_seen: dict[str, Any] | None = None  # the control rows at the last reload
        self.fills = 0
        self.fills_by_bot: dict[str, int] = {}
        self.trade_results: dict[str, list[Decimal]] = {}
        self.capital = CapitalUse()
        from tradefleet.orchestrator.dispatch import IntentDispatcher

        #: Strategy API v2: targets, orders, quotes and cancels, each one decision
        self.intents = IntentDispatcher(self)
        # a bus event may arrive on another thread (the dashboard's, Telegram's): it refreshes
        # pause/halt at once; the risk gate hears of the change at the engine's own next poll
        services.bus.subscribe(Topic.CONTROL, lambda _t, _e: self.reload_control(notify=False))

    # -- control ----------------------------------------------------------------------
    def reload_control(self, notify: bool = True) -> ControlState:
        """Re-read pause/halt from the store.

        Rows that changed since the previous reload (an operator's pause, resume or halt
        written by the CLI, the dashboard, Telegram or the API, from any process) are
        handed to the risk gate's optional ``on_control(changes, now_ns)``, so holds the
        risk gate keeps itself (a bot's or fleet's daily-loss budget) follow a resume. The
        first reload only takes the baseline: rows written before the engine started are
        not news. ``notify=False`` (a bus event, possibly on another thread) leaves the risk
        gate to the engine thread's next poll."""
        controls = {c.scope: c for c in self.services.store.controls()}
        if notify or self._controls_seen is None:
            seen, self._controls_seen = self._controls_seen, controls
            changes = [c for scope, c in controls.items() if seen is not None and seen.get(scope) != c]
            hook = getattr(self.pipeline.risk, "on_control", None)
            if changes and hook is not None:
                hook(changes, self.services.clock.now_ns())
        fleet = controls.get(FLEET)
        paused = frozenset(name for name in self.runners if (c := controls.get(bot_scope(name))) is not None and c.paused)
        exits = tuple((bot, inst, c.reason, c.actor) for s, c in controls.items()
                      if s.startswith("exit:") and c.paused for bot, _, inst in [s[5:].partition(":")]
                      if bot in self.runners)
        self.control = ControlState(
            fleet_paused=bool(fleet and fleet.paused), halted=bool(fleet and fleet.halted),
            halt_reason=(fleet.reason if fleet and fleet.halted else "") or "", paused_bots=paused, exits=exits,
        )
        return self.control

    def _force_exits(self, bar: Bar) -> None:
        """Close the positions an operator asked to exit (on the engine's own thread, at the
        instrument's next bar), then mark each request done in the store."""
        for bot, instrument, reason, actor in self.control.exits:
            if instrument != bar.symbol:
                continue
            pos = self.ledger.position(bot, instrument)
            now = self.services.clock.now_ns()
            done = "nothing to close"
            if pos is not None and pos.quantity:
                order = self._reduce(bot, instrument, Side.SELL if pos.quantity > 0 else Side.BUY, abs(pos.quantity),
                                     bar.close, bar.ts_event, "force_exit", f"{reason} (by {actor})",
                                     {"force_exit": actor})
                done = f"exit sent: {order.client_order_id}"
            self.services.store.set_control(f"exit:{bot}:{instrument}", paused=False, reason=done,
                                            actor="engine", ts_ns=now)
            self.control = replace(self.control, exits=tuple(e for e in self.control.exits
                                                             if (e[0], e[1]) != (bot, instrument)))

    # -- events -----------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """A bar closed: resting paper orders may fill; exit plans may trigger."""
        if self.control.exits:
            self._force_exits(bar)
        if self.paper is not None and self.paper.has_resting_orders():
            self.paper.on_bar(bar)
            self.oms.collect_fills(self.account)
        emulator = self.oms.emulator
        if emulator.held or emulator.expiries:  # stops and expiries the venues cannot hold
            self.oms.on_bar(bar)
        if self.exits is not None:
            for exit_order in self.exits.on_bar(bar):
                self.submit_exit(exit_order, bar)
        if self.intents.live:
            self.intents.on_update()
        if self.desk is not None:
            self._send_children(self.desk.on_bar(bar))
        for hook in self.bar_hooks:
            hook(bar)

    def _send_children(self, children: list[Order]) -> None:
        """Send an execution algorithm's due children (after any cancels it asked for)."""
        assert self.desk is not None
        for cid in self.desk.drain_cancels():
            self.oms.cancel(cid)
        for child in children:
            if self.exits is not None and not child.reduce_only and not self.intents.owns(child):
                self.exits.expect(child, self.desk.stop_for(child))  # an intent carries its own exits
            self.oms.submit(child)

    def stop_parents(self, bot: str, parents: list[str]) -> None:
        """Cancel every child of stopped ``parents`` still open at the venue (a market child
        sent at this bar's close would otherwise fill after the exit that stopped it)."""
        assert self.desk is not None
        for cid in self.desk.drain_cancels():
            self.oms.cancel(cid)
        if not parents:
            return
        stopped = set(parents)
        for rec in self.services.store.open_orders(bot):
            if self.desk.parent_of(rec.client_order_id) in stopped:
                self.oms.cancel(rec.client_order_id)

    def submit_exit(self, exit_order: ExitOrder, bar: Bar) -> Order:
        """Send a scaled-exit tranche as a reduce-only order, stored with its reason.

        On a venue that matches bars (the paper broker) the exit is the resting order it
        stands for, armed at the close before this bar: a stop order at the stop (filled at
        the stop or the gap open, never better) or a take-profit limit at the target. Other
        venues get a market order (their native resting stops are the order manager's)."""
        kind = None
        if getattr(self.oms.broker(self.route(exit_order.instrument)), "matches_bars", False):
            kind = (OrderType.STOP if exit_order.is_stop else OrderType.LIMIT, exit_order.armed_ns)
        return self._reduce(exit_order.bot, exit_order.instrument, exit_order.side, exit_order.quantity,
                            exit_order.trigger, bar.ts_event, "scaled_exit", exit_order.reason,
                            {"exit": exit_order.reason}, kind)

    def settle(self, instrument: str, outcome_yes: bool, ts_ns: int) -> list[Order]:
        """A binary contract resolved: close every bot's position in it at 1 or 0."""
        if self.paper is None:
            return []
        self.paper.settle(instrument, outcome_yes)
        price = 1.0 if outcome_yes else 0.0
        return [self._reduce(p.bot, instrument, Side.SELL if p.quantity > 0 else Side.BUY, abs(p.quantity), price,
                             ts_ns, "settlement", "yes" if outcome_yes else "no", {"settlement": price})
                for p in self.ledger.positions() if p.instrument == instrument and p.quantity]

    def book_settlement(self, bot: str, instrument: str, side: Side, quantity: Decimal, price: Decimal,
                        reason: str, detail: str, meta: dict[str, Any], reduces: bool = True) -> Order | None:
        """Book an exercise, assignment, expiry or delivery on the paper account: an order
        stored with its reason and settled at ``price`` without fees (a live venue reports
        its own; None then). ``reduces``: it closes (part of) a position."""
        if self.paper is None or self.route(instrument) != self.account:
            return None
        now = self.services.clock.now_ns()
        signal = Signal(bot, instrument, Direction.FLAT if reduces else Direction.from_sign(side.sign), 1.0,
                        float(price), now, now, meta={**meta, "quantity": str(quantity), "settlement": reason},
                        account=self.account, intent=f"{reason}:{detail}")
        self.services.store.record_signal(signal, [Decision.passed("settlement", reason, detail,
                                                                    {"price": str(price)})], "ordered")
        order = Order(Order.make_id(signal.signal_id, 2), bot, instrument, side, quantity, now, OrderType.MARKET,
                      signal_id=signal.signal_id, account=self.account, reduce_only=reduces)
        self.paper.book_at(order.client_order_id, price)
        self.settlements.add(order.client_order_id)
        self.oms.submit(order)
        return order

    def _reduce(self, bot: str, instrument: str, side: Side, quantity: Decimal, price: float, ts_event: int,
                reason: str, detail: str, meta: dict[str, Any],
                resting: tuple[OrderType, int] | None = None) -> Order:
        """A reduce-only order decided by policy (exits, settlement), stored with its reason.
        ``resting``: (STOP or LIMIT, when it was armed) for an exit matched as a resting order."""
        now = self.services.clock.now_ns()
        signal = Signal(bot, instrument, Direction.FLAT, 1.0, price, ts_event, now,
                        meta={**meta, "quantity": str(quantity)}, account=self.account,
                        intent=reason)  # its own id: the bot's own flat at this bar is another signal
        decision = Decision.passed("risk", reason, detail, {"price": price, "quantity": str(quantity)})
        self.services.store.record_signal(signal, [decision], "ordered")
        oid, account = Order.make_id(signal.signal_id, 1), self.route(instrument)
        if resting is not None and price > 0:
            level = Decimal(repr(price))
            kind, armed = resting
            order = Order(oid, bot, instrument, side, quantity, armed, kind, level if kind is OrderType.LIMIT else None,
                          signal.signal_id, account, True, level if kind is OrderType.STOP else None)
        else:
            order = Order(oid, bot, instrument, side, quantity, now, OrderType.MARKET,
                          signal_id=signal.signal_id, account=account, reduce_only=True)
            self.market_exits.setdefault((bot, instrument), []).append(oid)
        runner = self.runners.get(bot)
        if runner is not None:
            runner.stats.orders += 1
        self.oms.submit(order)
        return order

    def on_fire(self, name: str, now_ns: int) -> None:
        """A bot's schedule fired: evaluate it and process what it signals."""
        runner = self.runners[name]
        if runner.fault:
            return
        if self.control.fleet_paused or name in self.control.paused_bots:
            runner.stats.skipped_paused += 1
            return
        intents: list[Any] = []
        try:
            if runner.spec.bot.portfolio:
                signals, intents = [], self._decide(runner, now_ns)
            elif runner.spec.bot.event_driven:
                signals = self._tick(runner, now_ns)
                intents = [x for x in signals if not isinstance(x, Signal)]
                signals = [x for x in signals if isinstance(x, Signal)]
            elif runner.tables:
                signals = runner.replay_signals(now_ns)
            else:
                signals = runner.live_signals(
                    {i: self.services.data.frame(i, runner.bot.warmup_bars()) for i in runner.spec.instruments}, now_ns)
        except Exception as exc:  # a faulty bot is isolated; the fleet keeps running
            self.fault(runner, exc)
            return
        for signal in signals:
            self.process_signal(runner, signal)
        if intents:
            try:
                self.intents.dispatch(runner, intents, now_ns)
            except PluginError as exc:  # not an intent: the bot is faulty, the fleet keeps running
                self.fault(runner, exc)

    def _decide(self, runner: BotRunner, now_ns: int) -> list[Any]:
        """A portfolio bot's fire: its precomputed weights row, or ``decide(panel, ctx)``
        on a point-in-time panel of its universe."""
        from tradefleet.orchestrator.bot import PortfolioBot
        from tradefleet.orchestrator.intents import Target

        runner.stats.evaluations += 1
        members = runner.members(self.services.data, now_ns)
        bot = runner.bot
        if runner.weights is not None and type(bot).decide is PortfolioBot.decide:
            row = runner.weights.row_at(now_ns)
            w = runner.weights.weights(row) if row >= 0 else None
            if w is None:
                return []
            keep = set(members)
            wanted = {s: v for s, v in w.items() if s in keep}
            for instrument in self.ledger.holdings(runner.name):  # left the universe: close it
                if instrument not in keep:
                    wanted[instrument] = 0.0
            return [Target.weights(wanted, getattr(bot, "target_tolerance", 0.0))]
        from tradefleet.orchestrator.panel import Panel

        warm = bot.warmup_bars()
        data = self.services.data
        arrays = getattr(data, "arrays", None)
        if runner.panel is not None and set(members) <= set(runner.panel.instruments):
            # replay: a view of the preloaded history, each member's last bars closed at or before now
            panel = runner.panel.window(now_ns, warm, members)
        elif arrays is not None:
            panel = Panel.from_arrays({s: arrays(s, warm) for s in members}, members)
        else:
            panel = Panel.from_frames({s: data.frame(s, warm) for s in members}, members)
        return list(bot.decide(panel, self.intents.ctx(runner.name, now_ns, members)))  # type: ignore[attr-defined]

    def _tick(self, runner: BotRunner, now_ns: int) -> list[Signal]:
        """An event bot's tick: the latest recorded data at or before now."""
        source = self.tick_sources.get(runner.name)
        data = source.at(now_ns) if source is not None else None
        if data is None:
            return []
        runner.stats.evaluations += 1
        ledger, bot = self.ledger, runner.name

        def position(instrument: str) -> Decimal:
            pos = ledger.position(bot, instrument)
            return pos.quantity if pos is not None else Decimal(0)

        return runner.bot.on_tick(TickContext(runner.name, now_ns, runner.spec.instruments,  # type: ignore[attr-defined]
                                              self.services.market, data, position))

    def fault(self, runner: BotRunner, exc: BaseException) -> None:
        """Mark a bot faulted with its error, store it and alert."""
        from tradefleet.orchestrator.execution.oms import Alert

        runner.fault = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        runner.stats.faults += 1
        registry = self.services.registry
        if runner.name in registry.records["bots"]:
            registry.mark_faulted("bots", runner.name, runner.fault)
        record_bot(self.services.store, runner.spec, PluginStatus.FAULTED.value, runner.fault, self.services.clock.now_ns())
        self.services.bus.publish(Topic.ALERTS, Alert("bot_faulted", f"{runner.name}: {runner.fault}",
                                                      self.services.clock.now_ns()))

    def process_signal(self, runner: BotRunner, signal: Signal) -> Order | None:
        """Run one signal through every gate; store it with the decisions; send the order."""
        signal = replace(signal, account=self.account)
        runner.stats.signals += 1
        if self.desk is not None and self.desk.layer.has_work(signal.instrument):  # an exit or a flip stops a working entry
            self.stop_parents(signal.bot, self.desk.stop_against(signal.bot, signal.instrument, signal.direction.sign,
                                                                 self.services.clock.now_ns()))
        ctx = GateContext(self.services.clock.now_ns(), runner.spec, self.services.market, self.ledger,
                          self.control.halted, self.control.halt_reason)
        result = self.pipeline.run(signal, ctx)
        if result.quantity and self.market_exits:
            result = self._net_market_exits(signal, result)
        store = self.services.store
        store.record_signal(signal, list(result.decisions), result.outcome)
        self.capital.on_decision(signal.bot, signal.direction.sign != 0, result.outcome)
        self.services.bus.publish(Topic.SIGNALS, signal)
        self.services.bus.publish(Topic.DECISIONS, (signal.signal_id, result.decisions))
        if not result.quantity:
            if result.outcome.startswith("rejected"):
                runner.stats.rejected += 1
            return None
        qty = result.quantity
        order = Order(
            client_order_id=Order.make_id(signal.signal_id), bot=signal.bot, instrument=signal.instrument,
            side=Side.BUY if qty > 0 else Side.SELL, quantity=abs(qty), ts_init=ctx.now_ns,
            order_type=OrderType.MARKET, signal_id=signal.signal_id, account=self.route(signal.instrument),
            reduce_only=signal.direction.sign == 0,
        )
        runner.stats.orders += 1
        for out in self.desk.route(order, signal) if self.desk is not None else [order]:
            if self.exits is not None and not out.reduce_only:
                self.exits.expect(out, signal.stop)
            self.oms.submit(out)
        return order

    def _net_market_exits(self, signal: Signal, result: PipelineResult) -> PipelineResult:
        """An order on the side of market exits still working on its position (a flat, or a
        flip's closing leg) leaves out what they are already closing."""
        key = (signal.bot, signal.instrument)
        side = Side.BUY if result.quantity > 0 else Side.SELL
        working, pending = [], ZERO
        for cid in self.market_exits.get(key, ()):
            rec = self.services.store.order(cid)
            if rec is not None and rec.status.is_open:
                working.append(cid)
                if rec.order.side is side:
                    pending += rec.order.quantity - rec.filled_quantity
        if not working:
            self.market_exits.pop(key, None)
            return result
        self.market_exits[key] = working
        if not pending:
            return result
        left = max(abs(result.quantity) - pending, ZERO)
        qty = left.copy_sign(result.quantity) if left else ZERO
        detail = f"{pending} already being closed by {', '.join(working)}"
        reason = "exit_netted" if left else "noop_exit_pending"
        return PipelineResult((*result.decisions, Decision.passed("engine", reason, detail, {"quantity": str(qty)})), qty)

    def on_fill(self, order: Order, fill: Fill) -> None:
        """Book a fill (called by the order manager after it stored the fill)."""
        before = self.ledger.position(order.bot, fill.instrument)
        position = self.ledger.apply_fill(order.bot, fill)
        self.services.store.save_position(position, fill.ts_init)
        if not position.quantity and self.market_exits:
            self.market_exits.pop((order.bot, fill.instrument), None)  # closed: nothing left to net
        if self.exits is not None and not self.intents.owns(order) and order.client_order_id not in self.settlements:
            # an intent carries its own exits; shares delivered by an assignment belong to its structure
            self.exits.on_fill(order, fill, before, position)
        if self.desk is not None:
            self.desk.on_fill(order, fill)
        self.fills += 1
        self.fills_by_bot[order.bot] = self.fills_by_bot.get(order.bot, 0) + 1
        self.mark(self.services.clock.now_ns())
        if before is not None and before.quantity and (before.quantity > 0) != (fill.signed_qty > 0):
            # a reducing fill closes (part of) a trade: its realised P&L net of fees
            self.trade_results.setdefault(order.bot, []).append(position.realized_pnl - before.realized_pnl)

    # -- reporting --------------------------------------------------------------------
    def mark(self, ts_ns: int) -> None:
        """Mark the book at ``ts_ns`` for the risk gate: daily-loss budgets and circuit
        breakers judge every bar and every fill, not only the next signal."""
        observe = getattr(self.pipeline.risk, "observe", None)
        if observe is not None:
            observe(GateContext(ts_ns, None, self.services.market, self.ledger,  # type: ignore[arg-type]
                                self.control.halted, self.control.halt_reason))

    def fleet_of(self, bot: str) -> str:
        """The fleet ``bot`` belongs to (the risk gate's mapping, else its family)."""
        mapping = getattr(self.pipeline.risk, "_fleet_of", None)
        if mapping and bot in mapping:
            return str(mapping[bot])
        runner = self.runners.get(bot)
        return (runner.spec.family if runner is not None else "") or "default"

    def _sample_capital(self, equity: float) -> None:
        last_close = getattr(self.services.market, "last_close", lambda _i: None)
        held = []
        for bot, instrument, qty, avg, _realized in self.ledger.open_books():
            mark = last_close(instrument)
            price = float(avg) if mark is None else mark
            held.append((bot, abs(float(qty)) * price))
        self.capital.sample(held, equity, self.fleet_of)

    def capital_report(self) -> dict[str, object]:
        """Capital utilisation and size refusals so far (``run --json`` ``capital``)."""
        budgets = getattr(self.pipeline.risk, "budgets", None)
        budget_of = (lambda b: budgets.bot_fraction(b, self.fleet_of(b))) if budgets is not None else None
        return self.capital.report(budget_of, self.runners)

    def snapshot_equity(self, ts_ns: int) -> tuple[Decimal, Decimal, Decimal]:
        """Mark the book, store (cash, positions value, equity) at ``ts_ns`` and return them."""
        self.mark(ts_ns)
        cash, value = self.ledger.cash(), self.ledger.positions_value()
        self._sample_capital(float(cash + value))
        self.services.store.record_equity(ts_ns, cash, value, cash + value, account=self.account)
        return cash, value, cash + value
