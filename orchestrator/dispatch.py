"""The engine's intent path (Strategy API v2): intents to one decision each, then orders.

For every intent a bot returns, the dispatcher

* ``Target``: nets each wanted holding against position plus pending orders (deltas under
  the tolerance or one lot dropped) into one group, reductions first;
* ``OrderIntent``: turns the legs (ratios x the size cap; the risk gate sizes an unsized
  order) into one group; ``replaces`` cancels the old intent's open orders first;
* ``Quote``: trims levels to the inventory bound (worst case per side: position plus
  pending plus every same-side level filled), leaves live levels alone unless the price
  moved past ``refresh``, and judges the two sides as one group;
* ``Cancel``: cancels the open orders of the intent with that id;

an intent that carries an execution spec (``execution``) has it checked against the
registered algorithms before any gate (an unknown one is refused with one line, reason
``bad_execution_spec``), and its approved orders (a target's increases, a one-leg
market order) are handed to the execution layer as parents instead of being sent: the
layer sends their children. A parent counts as pending (its unfilled quantity) until it
is done, so netting never asks twice; ``Cancel`` and ``replaces`` stop it;

runs the group through every gate and the risk gate as ONE decision
(:mod:`tradefleet.orchestrator.pipeline.group`), stores every leg as a signal with its decisions,
and sends the approved orders: reductions before increases. A staged target's increases
wait until its reductions have filled (if one does not fill, they are dropped and the next
fire re-targets). A multi-leg intent approved with a hedge-on-fill plan is watched: once
none of its legs is working, legs that filled beyond the least-filled one are unwound
with reduce-only market orders, so no naked leg is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.domain import ZERO, Instrument, Order, OrderType, Side, Signal, Verdict
from tradefleet.orchestrator.errors import PluginError
from tradefleet.orchestrator.execution.algos.base import ExecSpec
from tradefleet.orchestrator.intents import (INTENT_TYPES, Atomic, Cancel, Intent, LegRisk, OrderIntent, Quote, Target,
                                  TargetKind, intent_id)
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.pipeline.group import GroupLeg, GroupResult, IntentGroup, run_group

if TYPE_CHECKING:
    from tradefleet.orchestrator.botrunner import BotRunner
    from tradefleet.orchestrator.context import Ctx
    from tradefleet.orchestrator.execution.oms import OrderManager
    from tradefleet.orchestrator.portfolio import Ledger
    from tradefleet.orchestrator.services import Services


class Engine(Protocol):
    """What the dispatcher uses of its :class:`tradefleet.orchestrator.engine.Engine` (a protocol, so
    the engine can import this module and this module never imports the engine)."""

    account: str
    services: Services
    oms: OrderManager
    ledger: Ledger
    route: Callable[[str], str]

    def stop_parents(self, bot: str, parents: list[str]) -> None: ...

    def _reduce(self, bot: str, instrument: str, side: Side, quantity: Decimal, price: float, ts_event: int,
                reason: str, detail: str, meta: dict[str, Any]) -> Order: ...


@dataclass
class LiveIntent:
    """An intent with orders at the venue (or waiting to be sent)."""

    bot: str
    kind: str
    orders: list[Order] = field(default_factory=list)
    deferred: list[Order] = field(default_factory=list)  # staged increases, sent once reductions filled
    hedge: tuple[tuple[str, Decimal], ...] = ()  # (client order id, approved quantity) of a hedge-on-fill intent
    quote_levels: dict[str, Decimal] = field(default_factory=dict)  # client order id -> level price


class IntentDispatcher:
    """Dispatches one bot's intents through the gates to the order manager."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.live: dict[str, LiveIntent] = {}
        self._owned: set[str] = set()  # client order ids sent for intents
        self._working: dict[str, Order] = {}  # sent and not yet known to be done
        self._intent_of: dict[str, str] = {}  # client order id -> intent id
        self._restored: set[str] = set()  # bots whose stored working orders were picked up
        self._specs: dict[str, ExecSpec] = {}  # client order id -> the execution spec its intent carries
        self._parents: set[str] = set()  # client order ids worked as parents by the execution layer
        self.unwinds = 0
        #: intent id -> signed exposure left naked after a hedge-on-fill unwind (under one lot)
        self.residuals: dict[str, dict[str, Decimal]] = {}

    def restore(self, bot: str) -> int:
        """Pick up ``bot``'s orders still working at the venue from the store (a restart):
        they count as pending for netting, and ``Cancel``/``replaces`` reach them by the
        intent id stored with their leg signal. Returns how many were picked up."""
        if bot in self._restored:
            return 0
        self._restored.add(bot)
        store = self.engine.services.store
        accounts = set(self.engine.oms.accounts())
        desk = self.engine.desk
        parents = [p for p in desk.layer.working() if desk.layer.templates[p.parent_id].bot == bot] \
            if desk is not None else []
        working = {p.parent_id for p in parents}
        recs = [r for r in store.open_orders(bot) if r.account in accounts and r.client_order_id not in self._working
                and not (desk is not None and desk.parent_of(r.client_order_id) in working)]  # a parent's share
        if not recs and not parents:
            return 0
        # a quote's orders live under its quote id, every other intent's under the intent id
        keys = {s.signal_id: str(s.meta.get("quote") or s.meta["intent"]) for s in store.signals(bot=bot)
                if s.meta.get("intent")}
        for p in parents:  # a parent an intent handed to the execution layer before the restart
            order = desk.layer.templates[p.parent_id]  # type: ignore[union-attr]
            key = keys.get(order.signal_id or "")
            if key:
                self._working[p.parent_id] = order
                self._parents.add(p.parent_id)
                self._owned.add(p.parent_id)
                self.live.setdefault(key, LiveIntent(bot, "restored")).orders.append(order)
        for r in recs:
            order = r.order
            if not order.is_contingent:
                self._working[order.client_order_id] = order
            key = keys.get(r.signal_id or "")
            if key:
                self._owned.add(order.client_order_id)
                self.live.setdefault(key, LiveIntent(bot, "restored")).orders.append(order)
        return len(recs) + len(parents)

    # -- context for the bot ------------------------------------------------------------
    def ctx(self, bot: str, now_ns: int, instruments: tuple[str, ...]) -> Ctx:
        """The read-only context a portfolio bot decides with."""
        from tradefleet.orchestrator.context import Ctx

        e = self.engine
        ledger, services = e.ledger, e.services
        positions = ledger.holdings(bot)
        marks = {}
        for sym in set(instruments) | set(positions):
            px = _mark(e, sym)
            if px is not None:
                marks[sym] = px
        insts = {s: services.instruments[s] for s in set(instruments) | set(positions) if s in services.instruments}
        ids = {cid: self._intent_of[cid] for cid, o in self._working.items() if o.bot == bot and cid in self._intent_of}
        for iid, live in self.live.items():
            if live.bot == bot and live.deferred:
                ids.update((o.client_order_id, iid) for o in live.deferred)
        equity = ledger.equity()
        return Ctx.build(bot, now_ns, equity, ledger.cash(), positions, self.open_orders(bot), insts, marks,
                         ids, getattr(e, "chains", None), equity * Decimal(repr(self._capital_fraction(bot))))

    def _capital_fraction(self, bot: str) -> float:
        """The bot's capital as a fraction of equity: its budget (1 without a risk gate that
        keeps budgets). Target weights are fractions of that capital."""
        share = getattr(self.engine.pipeline.risk, "capital_fraction", None)
        return float(share(bot)) if share is not None else 1.0

    def open_orders(self, bot: str) -> list[Order]:
        """The bot's working intent orders (their unfilled part), plus staged ones not yet
        sent. Tracked in memory and settled by primary-key reads of the store (a scan of
        every open order per fire would grow with the store)."""
        store = self.engine.services.store
        if bot not in self._restored:
            self.restore(bot)
        out = []
        for cid, order in list(self._working.items()):
            if order.bot != bot:
                continue
            if cid in self._parents:  # worked by the execution layer: what it has not filled yet
                left = self.engine.desk.unfilled(cid) if self.engine.desk is not None else None
                if left is None:
                    del self._working[cid]
                    continue
                out.append(replace(order, quantity=left) if left != order.quantity else order)
                continue
            rec = store.order(cid)
            if rec is not None and not rec.status.is_open:
                del self._working[cid]
                continue
            left = rec.remaining if rec is not None else order.quantity
            out.append(replace(order, quantity=left) if left != order.quantity else order)
        for live in self.live.values():
            if live.bot == bot:
                out.extend(live.deferred)
        return out

    def pending(self, bot: str, instrument: str) -> Decimal:
        """Signed unfilled quantity of the bot's non-contingent working orders (bracket
        children and OCO members are exits, not position the bot asked for)."""
        return self.pendings(bot).get(instrument, ZERO)

    def pendings(self, bot: str) -> dict[str, Decimal]:
        """:meth:`pending` of every instrument the bot has working orders on, from one read
        of its open orders (an intent's legs ask for each of theirs)."""
        out: dict[str, Decimal] = {}
        for o in self.open_orders(bot):
            if not o.is_contingent:
                out[o.instrument] = out.get(o.instrument, ZERO) + o.quantity * o.side.sign
        return out

    def owns(self, order: Order) -> bool:
        """Whether ``order`` was sent for an intent (a child of an intent's parent too)."""
        cid = order.client_order_id
        if cid in self._owned:
            return True
        desk = self.engine.desk
        return bool(self._parents) and desk is not None and desk.parent_of(cid) in self._parents

    # -- dispatch -----------------------------------------------------------------------
    def dispatch(self, runner: BotRunner, intents: list[Intent], now_ns: int) -> None:
        """Judge and send each intent in order (each is one decision)."""
        self.restore(runner.name)
        for seq, intent in enumerate(intents):
            if not isinstance(intent, INTENT_TYPES):
                raise PluginError(f"bot {runner.name}: returned {type(intent).__name__}, not an intent "
                                  "(Target, OrderIntent, Quote, Cancel)")
            iid = intent_id(runner.name, now_ns, seq, intent, self.engine.account)
            spec = getattr(intent, "execution", None)
            problem = self._spec_problem(spec) if spec is not None else ""
            if problem:
                self._refuse(runner, intent, iid, now_ns, "bad_execution_spec", problem)  # type: ignore[arg-type]
                continue
            if isinstance(intent, Cancel):
                self.cancel(intent.id)
            elif isinstance(intent, Target):
                self._target(runner, intent, iid, now_ns)
            elif isinstance(intent, OrderIntent):
                self._order(runner, intent, iid, now_ns)
            else:
                self._quote(runner, intent, iid, now_ns)

    def cancel(self, iid: str) -> int:
        """Cancel every working order of intent ``iid``; return how many were canceled."""
        live = self.live.get(iid)
        if live is None:
            return 0
        live.deferred.clear()
        n = 0
        for order in live.orders:
            if self._cancel_order(order):
                n += 1
        self.live.pop(iid, None)
        return n

    def _spec_problem(self, spec: ExecSpec) -> str:
        """One line on why ``spec`` cannot be worked here ('' when it can)."""
        desk = self.engine.desk
        if desk is None:
            return f"execution spec {spec.algorithm}: this kernel has no execution layer"
        if spec.algorithm not in desk.layer.algos:
            return (f"execution spec: unknown algorithm {spec.algorithm!r} "
                    f"(registered: {', '.join(sorted(desk.layer.algos))})")
        return ""

    def _cancel_order(self, order: Order) -> bool:
        desk = self.engine.desk
        if order.client_order_id in self._parents and desk is not None:
            stopped = desk.cancel(order.client_order_id, self.engine.services.clock.now_ns())
            self.engine.stop_parents(order.bot, [order.client_order_id] if stopped else [])
            self._working.pop(order.client_order_id, None)
            return stopped
        rec = self.engine.services.store.order(order.client_order_id)
        if rec is None or not rec.status.is_open:
            return False
        return bool(self.engine.oms.cancel(order.client_order_id))

    # -- targets ------------------------------------------------------------------------
    def _target(self, runner: BotRunner, target: Target, iid: str, now_ns: int) -> None:
        e = self.engine
        bot = runner.name
        equity = float(e.ledger.equity())
        capital = equity * self._capital_fraction(bot)
        legs: list[GroupLeg] = []
        skipped: list[str] = []
        pending = self.pendings(bot)  # nothing is sent until every leg is sized
        for sym, value in target.values:
            mark = _mark(e, sym)
            if mark is None or mark <= 0:
                skipped.append(sym)
                continue
            inst = self._instrument(sym, runner)
            mult = float(inst.multiplier)
            if target.kind is TargetKind.QUANTITIES:
                want = value
            elif target.kind is TargetKind.WEIGHTS:
                want = value * capital / (mark * mult)
            else:
                weigh = getattr(e.pipeline.risk, "conviction_weight", None)
                w = weigh(bot, sym, value) if weigh is not None else value / max(len(target.values), 1)
                want = w * equity / (mark * mult)
            held = self._held(bot, sym, pending)
            delta = inst.round_qty(Decimal(repr(want)) - held)
            if delta == 0:
                continue
            base = capital if target.kind is TargetKind.WEIGHTS else equity
            small = abs(float(delta)) if target.kind is TargetKind.QUANTITIES \
                else abs(float(delta)) * mark * mult / base if base > 0 else 0.0
            if small < target.tolerance:
                continue
            legs.append(GroupLeg(sym, delta, mark, held))
        if not legs:
            return
        legs.sort(key=lambda leg: not leg.reduces)  # reductions first
        meta: dict[str, Any] = {"target": target.kind.value, "tag": target.tag}
        if target.execution is not None:
            meta["execution"] = target.execution.as_data()
        if skipped:
            meta["no_price"] = skipped
        group = IntentGroup(bot, iid, "target", tuple(legs), now_ns, staged=True, meta=meta)
        result = self._judge(runner, group)
        if not result.approved:
            return
        orders = self._orders_for(group, result, runner, None)
        live = self.live.setdefault(iid, LiveIntent(bot, "target"))
        reductions = [o for o, leg in zip(orders, group.legs, strict=True) if o is not None and leg.reduces]
        increases = [o for o, leg in zip(orders, group.legs, strict=True) if o is not None and not leg.reduces]
        if target.execution is not None:  # increases are worked; reductions go at once
            self._specs.update((o.client_order_id, target.execution) for o in increases)
        for o in reductions:
            self._send(live, o)
        live.deferred.extend(increases)
        self._release(iid)

    def _release(self, iid: str) -> None:
        """Send a staged target's increases once none of its reductions is working; drop
        them if a reduction ended unfilled."""
        live = self.live.get(iid)
        if live is None or not live.deferred:
            return
        store = self.engine.services.store
        recs = [store.order(o.client_order_id) for o in live.orders]
        if any(r is not None and r.status.is_open for r in recs):
            return
        deferred, live.deferred = live.deferred, []
        if any(r is None or r.remaining > 0 for r in recs):
            self.engine.services.bus.publish(Topic.ALERTS, _note(
                "target_increases_dropped", f"{live.bot}: a reduction of intent {iid} did not fill; "
                f"{len(deferred)} increase(s) not sent (the next fire re-targets)", self.engine))
            return
        for o in deferred:
            self._send(live, o)

    # -- orders -------------------------------------------------------------------------
    def _order(self, runner: BotRunner, intent: OrderIntent, iid: str, now_ns: int) -> None:
        e = self.engine
        bot = runner.name
        if intent.replaces:
            self.cancel(intent.replaces)
        if iid in self.live and any(self._is_open(o) for o in self.live[iid].orders):
            return  # the same intent is already working (a re-fire with the same id)
        why = self._venue_refusal(intent)
        venue_atomic = intent.atomic is Atomic.VENUE_COMBO and self._venue_combo(intent)
        if why is None and intent.is_multi_leg and intent.order_type is not OrderType.MARKET and not venue_atomic:
            why = "multi-leg limit: a net price is sent only as a venue combo (atomic=venue_combo)"
        if why is not None:
            self._refuse(runner, intent, iid, now_ns, "venue_unsupported", why)
            return
        units = intent.size
        if units is None:  # unsized: the risk gate's sizing, as for a signal
            first = intent.legs[0].instrument
            weigh = getattr(e.pipeline.risk, "conviction_weight", None)
            w = abs(weigh(bot, first, 1.0)) if weigh is not None else 1.0
            gross = sum(abs(float(leg.ratio)) * (_mark(e, leg.instrument) or 0.0) for leg in intent.legs)
            if gross <= 0:
                self._refuse(runner, intent, iid, now_ns, "no_quote", ", ".join(intent.instruments))
                return
            units = Decimal(repr(w * float(e.ledger.equity()) / gross))
        legs = []
        pending = self.pendings(bot)  # nothing is sent until every leg is sized
        for leg in intent.legs:
            held = self._held(bot, leg.instrument, pending)
            qty = leg.ratio * units
            if intent.reduce_only:  # never past flat
                qty = max(min(qty, -held), ZERO) if held < 0 else min(max(qty, -held), ZERO)
            own = float(intent.limit or intent.stop or 0) if not intent.is_multi_leg else 0.0
            if self._binary(leg.instrument):
                price = own or self._reference(leg.instrument, qty)
            else:  # the gates judge the leg at the market now: a resting limit or stop is meant to be away
                price = self._reference(leg.instrument, qty) or own
            legs.append(GroupLeg(leg.instrument, qty, price, held))
        if all(leg.quantity == 0 for leg in legs):
            return
        group = IntentGroup(bot, iid, "order", tuple(legs), now_ns, venue_atomic=venue_atomic,
                            leg_risk=intent.leg_risk, meta={"order_type": intent.order_type.value, "tag": intent.tag,
                                                            "atomic": intent.atomic.value,
                                                            **({"limit": str(intent.limit)} if intent.limit else {}),
                                                            **({"execution": intent.execution.as_data()}
                                                               if intent.execution is not None else {}),
                                                            **({"edge": intent.edge / len(intent.legs),
                                                                "edge_basis": "touch"}
                                                               if intent.edge is not None and intent.edge > 0
                                                               else {}),
                                                            **({"stop": str(intent.stop)} if intent.stop else {})})
        result = self._judge(runner, group)
        if not result.approved:
            return
        orders = self._orders_for(group, result, runner, intent)
        live = self.live.setdefault(iid, LiveIntent(bot, "order"))
        sent = [o for o in orders if o is not None]
        if venue_atomic and intent.is_multi_leg:
            self._send_combo(live, intent, sent)
            return
        sent.sort(key=lambda o: not o.reduce_only)
        if intent.execution is not None:
            self._specs.update((o.client_order_id, intent.execution) for o in sent)
        for o in sent:
            if intent.bracket is None:
                self._send(live, o)
                continue
            group = [o, *_bracket(o, intent, self._instrument(o.instrument, runner))]
            if intent.execution is None:  # one group: the venue's own bracket where it has one
                self._send_linked(live, group)
            else:  # an entry worked by the execution layer: its exits wait in the order manager
                for order in group:
                    self._send(live, order)
        if intent.is_multi_leg and intent.leg_risk is LegRisk.HEDGE and not venue_atomic:
            live.hedge = tuple((o.client_order_id, o.quantity) for o in sent)
            self.check_hedges()

    def _binary(self, sym: str) -> bool:
        from tradefleet.orchestrator.binary import is_binary

        inst = self.engine.services.instruments.get(sym)
        return inst is not None and is_binary(inst.asset_class)

    def _reference(self, sym: str, qty: Decimal) -> float:
        """A market leg's reference price: the touch it would take (the ask to buy, the bid to
        sell; for a binary contract a sell buys NO, quoted as 1 - YES bid, see
        :mod:`tradefleet.orchestrator.binary`), else its mark (last close, else the mid) when
        that side is not quoted. Judged at the mid, an option leg would look past its entry
        by the half-spread to the rules veto, which refused every one."""
        from tradefleet.orchestrator.binary import is_binary, no_price

        quote = self.engine.services.market.quote(sym)
        if quote is None:
            return _mark(self.engine, sym) or 0.0
        inst = self.engine.services.instruments.get(sym)
        if inst is not None and is_binary(inst.asset_class):
            return quote[1] if qty > 0 else no_price(quote[0])
        touch = quote[1] if qty > 0 else quote[0]
        return touch if touch > 0 else (_mark(self.engine, sym) or 0.0)

    def check_hedges(self) -> None:
        """Unwind legs of hedge-on-fill intents that filled beyond their siblings once no
        leg is working any more."""
        store = self.engine.services.store
        for iid, live in list(self.live.items()):
            if not live.hedge:
                continue
            recs = [(store.order(cid), ratio) for cid, ratio in live.hedge]
            if any(r is not None and r.status.is_open for r, _ in recs):
                continue
            # each leg's filled share of what was approved; a leg never stored was blocked
            # before the venue (a halted account): nothing of it filled
            done = min((r.filled_quantity if r is not None else ZERO) / qty for r, qty in recs)
            residual: dict[str, Decimal] = {}
            for r, qty in recs:
                if r is None:
                    continue
                inst = self.engine.services.instruments.get(r.instrument) or Instrument(r.instrument, _default_class())
                naked = r.filled_quantity - done * qty
                extra = inst.round_qty(naked)
                if extra > 0:
                    side = Side.SELL if r.side is Side.BUY else Side.BUY
                    self.engine._reduce(live.bot, r.instrument, side, extra, _mark(self.engine, r.instrument) or 0.0,
                                        self.engine.services.clock.now_ns(), "hedge_on_fill",
                                        f"intent {iid}: a sibling leg did not fill", {"intent": iid})
                    self.unwinds += 1
                if naked > 0:  # what stays naked once the unwind fills: under one lot
                    residual[r.instrument] = (naked - extra) * (1 if r.side is Side.BUY else -1)
            if residual:
                self.residuals[iid] = residual
                legs = ", ".join(f"{s} {q}" for s, q in residual.items())
                self.engine.services.bus.publish(Topic.ALERTS, _note(
                    "hedge_on_fill", f"{live.bot}: intent {iid} filled one-sided; unwound, residual exposure {legs}",
                    self.engine))
            live.hedge = ()

    # -- quotes -------------------------------------------------------------------------
    def _quote(self, runner: BotRunner, quote: Quote, iid: str, now_ns: int) -> None:
        e = self.engine
        bot = runner.name
        qid = quote.id or f"quote:{bot}:{quote.instrument}"
        held = e.ledger.position(bot, quote.instrument)
        pos = held.quantity if held is not None else ZERO
        why = self._venue_refusal(quote)
        if why is not None:
            self._refuse(runner, quote, iid, now_ns, "venue_unsupported", why)
            return
        live = self.live.get(qid)
        if e.control.halted:  # a halt withdraws resting quotes; the gates refuse new ones
            self.cancel(qid)
            live = None
        if live is not None:
            keep = self._unchanged(live, quote)
            if keep:
                return
            self.cancel(qid)
        pend = self.pending(bot, quote.instrument)
        bids = _bounded(quote.bids, pos + max(pend, ZERO), quote.max_inventory, +1)
        asks = _bounded(quote.asks, pos + min(pend, ZERO), quote.max_inventory, -1)
        legs = []
        if bids:
            legs.append(GroupLeg(quote.instrument, sum((lv.size for lv in bids), ZERO),
                                 float(max(lv.price for lv in bids)), pos))
        if asks:
            legs.append(GroupLeg(quote.instrument, -sum((lv.size for lv in asks), ZERO),
                                 float(min(lv.price for lv in asks)), pos))
        if not legs:
            return
        group = IntentGroup(bot, qid + f"@{now_ns}", "quote", tuple(legs), now_ns, sides=True,
                            meta={"tag": quote.tag, "quote": qid})
        result = self._judge(runner, group)
        if not result.approved:
            return
        inst = self._instrument(quote.instrument, runner)
        live = self.live[qid] = LiveIntent(bot, "quote")
        k = 0
        sides = [(bids, Side.BUY), (asks, Side.SELL)]
        for i, (levels, side) in enumerate([x for x in sides if x[0]]):
            wanted, approved = group.legs[i].quantity, result.quantities[i]
            f = abs(approved) / abs(wanted) if wanted else ZERO
            sig = group.leg_signal(i, e.account, now_ns)
            for lv in levels:
                size = inst.round_qty(lv.size * f)
                if size <= 0:
                    continue
                o = Order(Order.child_id(sig.signal_id, f"level-{k}"), bot, quote.instrument, side, size, now_ns,
                          OrderType.LIMIT, inst.round_price(lv.price), sig.signal_id, e.route(quote.instrument),
                          post_only=quote.post_only)
                k += 1
                live.quote_levels[o.client_order_id] = lv.price
                self._send(live, o)

    def _unchanged(self, live: LiveIntent, quote: Quote) -> bool:
        """True when every live level is still working and within ``refresh`` of the new
        level on its side (nothing to requote)."""
        if quote.refresh <= 0 or not live.orders:
            return False
        working = [o for o in live.orders if self._is_open(o)]
        if len(working) != len(live.orders):
            return False
        new = {Side.BUY: [lv.price for lv in quote.bids], Side.SELL: [lv.price for lv in quote.asks]}
        old = {Side.BUY: [live.quote_levels[o.client_order_id] for o in working if o.side is Side.BUY],
               Side.SELL: [live.quote_levels[o.client_order_id] for o in working if o.side is Side.SELL]}
        for side in (Side.BUY, Side.SELL):
            if len(new[side]) != len(old[side]):
                return False
            for a, b in zip(sorted(new[side]), sorted(old[side]), strict=True):
                if b == 0 or abs(float(a - b) / float(b)) > quote.refresh:
                    return False
        return True

    # -- shared -------------------------------------------------------------------------
    def _judge(self, runner: BotRunner, group: IntentGroup) -> GroupResult:
        e = self.engine
        ctx = GateContext(e.services.clock.now_ns(), runner.spec, e.services.market, e.ledger,
                          e.control.halted, e.control.halt_reason)
        result = run_group(e.pipeline.gates, e.pipeline.risk, group, ctx, e.account)
        store, bus = e.services.store, e.services.bus
        outcome = result.outcome
        for i, decisions in enumerate(result.decisions):
            sig = group.leg_signal(i, e.account, ctx.now_ns)
            last = decisions[-1]
            leg_outcome = f"rejected:{last.gate}:{last.reason}" if last.verdict is Verdict.REJECT \
                else "ordered" if result.quantities[i] else "noop"
            store.record_signal(sig, list(decisions), leg_outcome)
            runner.stats.signals += 1
            bus.publish(Topic.SIGNALS, sig)
            bus.publish(Topic.DECISIONS, (sig.signal_id, decisions))
        if outcome.startswith("rejected"):
            runner.stats.rejected += 1
        return result

    def _orders_for(self, group: IntentGroup, result: GroupResult, runner: BotRunner,
                    intent: OrderIntent | None) -> list[Order | None]:
        e = self.engine
        out: list[Order | None] = []
        for i, (leg, qty) in enumerate(zip(group.legs, result.quantities, strict=True)):
            if qty == 0:
                out.append(None)
                continue
            sig = group.leg_signal(i, e.account, e.services.clock.now_ns())
            inst = self._instrument(leg.instrument, runner)
            kw: dict[str, Any] = {}
            if intent is not None and not intent.is_multi_leg:
                kw = {"order_type": intent.order_type,
                      "limit_price": inst.round_price(intent.limit) if intent.limit is not None else None,
                      "stop_price": inst.round_price(intent.stop) if intent.stop is not None else None,
                      "trail_amount": intent.trail, "trail_percent": intent.trail_percent,
                      "time_in_force": intent.tif, "expire_ns": intent.expire_ns, "post_only": intent.post_only}
            out.append(Order(Order.make_id(sig.signal_id), group.bot, leg.instrument,
                             Side.BUY if qty > 0 else Side.SELL, abs(qty), sig.ts_init, signal_id=sig.signal_id,
                             account=e.route(leg.instrument), reduce_only=leg.reduces or bool(intent and intent.reduce_only),
                             **kw))
        return out

    def _send(self, live: LiveIntent, order: Order) -> None:
        e = self.engine
        self._track(live, order)
        spec = self._specs.pop(order.client_order_id, None)
        if spec is not None and e.desk is not None and not order.reduce_only:
            out = e.desk.route(order, None, spec)
            if e.desk.working(order.client_order_id) or out != [order]:  # a parent: the layer sends its children
                self._parents.add(order.client_order_id)
                for child in out:
                    e.oms.submit(child)
                return
        if e.oms.submit(order) is None:
            self._untrack_unstored(order)

    def _send_combo(self, live: LiveIntent, intent: OrderIntent, orders: list[Order]) -> None:
        """Send an approved multi-leg intent as ONE venue combo: whole units of the
        structure (each leg its ratio x units; lot rounding that broke a ratio rounds the
        units down), at the intent's net limit per unit."""
        if len(orders) != len(intent.legs):
            return  # a leg rounded to nothing: the structure cannot be sent whole
        ratio = {leg.instrument: abs(leg.ratio) for leg in intent.legs}
        units = min((o.quantity / ratio[o.instrument]).to_integral_value(rounding="ROUND_DOWN") for o in orders)
        if units <= 0:
            return
        legs = [replace(o, quantity=ratio[o.instrument] * units) for o in orders]
        for o in legs:
            self._track(live, o)
        for o, ack in zip(legs, self.engine.oms.submit_combo(legs, units, intent.limit), strict=True):
            if ack is None:
                self._untrack_unstored(o)

    def _send_linked(self, live: LiveIntent, orders: list[Order]) -> None:
        """An entry and its bracket exits, sent as one group (native at the venue where it can be)."""
        for o in orders:
            self._track(live, o)
        for o, ack in zip(orders, self.engine.oms.submit_linked(orders), strict=True):
            if ack is None:
                self._untrack_unstored(o)

    def _track(self, live: LiveIntent, order: Order) -> None:
        e = self.engine
        live.orders.append(order)
        self._intent_of[order.client_order_id] = next((k for k, v in self.live.items() if v is live), "")
        self._owned.add(order.client_order_id)
        runner = e.runners.get(order.bot)
        if runner is not None:
            runner.stats.orders += 1
        if not order.is_contingent:  # bracket children and OCO members are exits, never pending
            self._working[order.client_order_id] = order

    def _untrack_unstored(self, order: Order) -> None:
        if self.engine.services.store.order(order.client_order_id) is None:
            self._working.pop(order.client_order_id, None)  # blocked before the venue: never stored

    def _refuse(self, runner: BotRunner, intent: OrderIntent | Target | Quote, iid: str, now_ns: int, reason: str,
                detail: str) -> None:
        from tradefleet.orchestrator.domain import Decision, Direction

        e = self.engine
        if isinstance(intent, OrderIntent):
            sym, sign, price, kind = intent.legs[0].instrument, float(intent.legs[0].ratio), float(intent.limit or 0), "order"
        elif isinstance(intent, Target):
            sym, sign, price, kind = intent.values[0][0], intent.values[0][1], 0.0, "target"
        else:
            sym, sign, price, kind = intent.instrument, 0.0, 0.0, "quote"
        sig = Signal(runner.name, sym, Direction.from_sign(sign), 1.0, price, now_ns, e.services.clock.now_ns(),
                     meta={"intent": iid, "kind": kind}, account=e.account, intent=f"{iid}#0")
        e.services.store.record_signal(sig, [Decision.rejected("dispatch", reason, detail)],
                                       f"rejected:dispatch:{reason}")
        runner.stats.rejected += 1

    def on_update(self) -> None:
        """Fills or cancels happened: release staged increases, check hedge plans, and
        forget target intents that have nothing working or waiting any more."""
        for iid in [k for k, v in self.live.items() if v.deferred]:
            self._release(iid)
        done = [k for k, v in self.live.items() if v.kind == "target" and not v.deferred
                and not any(o.client_order_id in self._working for o in v.orders)]
        for k in done:
            for o in self.live.pop(k).orders:
                self._intent_of.pop(o.client_order_id, None)
        if any(v.hedge for v in self.live.values()):
            self.check_hedges()

    def _held(self, bot: str, instrument: str, pending: dict[str, Decimal]) -> Decimal:
        """The bot's position in ``instrument`` plus its working orders' (``pending``: the
        bot's :meth:`pendings`, read once for all the legs of an intent)."""
        pos = self.engine.ledger.position(bot, instrument)
        return (pos.quantity if pos is not None else ZERO) + pending.get(instrument, ZERO)

    def _is_open(self, order: Order) -> bool:
        rec = self.engine.services.store.order(order.client_order_id)
        return rec is not None and rec.status.is_open

    def _instrument(self, sym: str, runner: BotRunner) -> Instrument:
        return self.engine.services.instruments.get(sym) or Instrument(sym, runner.spec.asset_class)

    def _venue_refusal(self, intent: OrderIntent | Quote) -> str | None:
        """Why the venue(s) the intent routes to cannot take it as asked (refused up front,
        before the risk gate, never degraded), or None."""
        from tradefleet.orchestrator.execution.capability import intent_refusal

        oms, route = self.engine.oms, self.engine.route
        return intent_refusal(intent, lambda sym: oms.broker(route(sym)))

    def _venue_combo(self, intent: OrderIntent) -> bool:
        from tradefleet.orchestrator.execution.capability import has_combo

        oms, route = self.engine.oms, self.engine.route
        return has_combo([oms.broker(route(s)) for s in intent.instruments], intent.instruments)


def _default_class() -> Any:
    from tradefleet.orchestrator.domain import AssetClass

    return AssetClass.EQUITY


def _bounded(levels: tuple[Any, ...], start: Decimal, cap: Decimal | None, sign: int) -> list[Any]:
    """Keep levels (best first) while the worst case of this side stays within ``cap``:
    ``start`` plus every kept level filled."""
    if cap is None:
        return list(levels)
    ordered = sorted(levels, key=lambda lv: -lv.price * sign)
    kept, worst = [], start
    for lv in ordered:
        room = cap - worst * sign
        if room <= 0:
            break
        size = min(lv.size, room)
        kept.append(replace(lv, size=size) if size != lv.size else lv)
        worst += size * sign
    return kept


def _bracket(entry: Order, intent: OrderIntent, inst: Instrument) -> list[Order]:
    """The take-profit and stop-loss of a bracket: reduce-only, armed by the entry's
    fill (``parent_id``), one-cancels-other (``oco_id``)."""
    assert intent.bracket is not None
    b = intent.bracket
    exit_side = Side.SELL if entry.side is Side.BUY else Side.BUY
    oco = Order.child_id(entry.client_order_id, "oco")
    out = []
    if b.take_profit is not None:
        out.append(Order(Order.child_id(entry.client_order_id, "target"), entry.bot, entry.instrument, exit_side,
                         entry.quantity, entry.ts_init, OrderType.LIMIT, inst.round_price(b.take_profit),
                         entry.signal_id, entry.account,
                         reduce_only=True, parent_id=entry.client_order_id, oco_id=oco))
    if b.stop_loss is not None:
        out.append(Order(Order.child_id(entry.client_order_id, "stop"), entry.bot, entry.instrument, exit_side,
                         entry.quantity, entry.ts_init, OrderType.STOP, stop_price=inst.round_price(b.stop_loss),
                         signal_id=entry.signal_id, account=entry.account, reduce_only=True,
                         parent_id=entry.client_order_id, oco_id=oco))
    return out


def _mark(engine: Engine, sym: str) -> float | None:
    market = engine.services.market
    last = getattr(market, "last_close", None)
    if last is not None:
        px = last(sym)
        if px is not None:
            return float(px)
    quote = market.quote(sym)
    return (quote[0] + quote[1]) / 2 if quote is not None else None


def _note(kind: str, message: str, engine: Engine) -> Any:
    from tradefleet.orchestrator.execution.oms import Alert

    return Alert(kind, message, engine.services.clock.now_ns(), engine.account)

