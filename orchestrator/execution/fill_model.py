"""The one fill model: a pure, versioned matching function over bars or quotes.

``match(state, event, config) -> (fills, state)`` decides what one order fills on one
market event; ``match_book`` runs it over a set of orders and resolves their links
(bracket children armed by their parent's fill, one-cancels-other groups). The paper
broker calls it for every order on every bar, the golden-bar suite pins it, and
:mod:`tradefleet.backtest.kernel` ports the same rules to numba. Nothing here reads a clock, a store or
a venue: the same inputs always give the same fills.

Conventions (each a :class:`FillConfig` field, printed by :meth:`FillConfig.describe`):

- an order arrives at ``ts_init + latency_ns`` and may fill only on bars that close after
  it arrived (never on a price the bot already saw);
- market orders fill at that bar's **open** (``market_fill="next-open"``, the default), or
  at the close of the bar they were decided on (``"close"``: the caller matches the order
  against :func:`at_close` of that bar);
- a stop (sell: low <= stop; buy: high >= stop) fills at the stop, or at the open when the
  bar gapped through it, never better, then pays slippage;
- a limit fills only when the bar trades through it (``limit_fill="through"``; ``"touch"``
  also fills on an equal extreme) at the limit, or at the open when the open is better;
- when several members of one OCO group would fill on one bar, a fill at the open comes
  first, then the adverse one (``same_bar="adverse"``; ``"favourable"`` reverses it); the
  others are canceled;
- a fill takes at most ``max_volume_share`` of the bar's volume (0: no cap; bars with no
  volume are not capped), so a large order fills over several bars;
- takers pay half the spread, ``slippage_bps`` and an impact that grows with the order's
  share of the bar's volume; limit fills pay none of these (maker), unless the limit was
  marketable on arrival (taker, at the open);
- a resting maker limit on a quoted binary contract (prediction markets) fills only against
  public trade prints (:func:`match_prints`), never on the quote: a print through its price
  fills it, a print at its price only once the size queued ahead of it (the displayed size
  at that price when it arrived) has traded;
- time in force: DAY lives through the bars of the UTC day of its first eligible bar, GTD
  until ``expire_ns``, IOC and FOK get one bar (FOK all or nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from tradefleet.orchestrator.domain import Bar, Order, OrderType, Side, TimeInForce

MATCH_VERSION = "1"
"""Bumped whenever a rule changes; reports print it with the conventions."""

ZERO = Decimal(0)
DAY_NS = 86_400 * 1_000_000_000


class MarketFill(StrEnum):
    NEXT_OPEN = "next-open"
    CLOSE = "close"


class LimitFill(StrEnum):
    THROUGH = "through"
    TOUCH = "touch"


class SameBar(StrEnum):
    ADVERSE = "adverse"
    FAVOURABLE = "favourable"


class Status(StrEnum):
    """Where an order stands in the matcher (venue-neutral)."""

    PENDING = "pending"
    """A bracket child waiting for its parent's fill."""
    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def done(self) -> bool:
        return self not in (Status.PENDING, Status.OPEN)


@dataclass(frozen=True, slots=True)
class FillConfig:
    """The fill conventions; every field is printed in reports."""

    market_fill: MarketFill = MarketFill.NEXT_OPEN
    limit_fill: LimitFill = LimitFill.THROUGH
    same_bar: SameBar = SameBar.ADVERSE
    spread_bps: float = 0.0
    slippage_bps: float = 0.0
    impact_bps_per_pct_volume: float = 0.0
    max_impact_bps: float = 0.0
    max_volume_share: float = 0.0
    latency_ns: int = 0

    def describe(self) -> str:
        """One printable line with every convention (and the model's version)."""
        cap = f"{self.max_volume_share:.0%} of bar volume" if self.max_volume_share > 0 else "no volume cap"
        return (f"fill model v{MATCH_VERSION}: market at {self.market_fill.value}"
                f" (latency {self.latency_ns / 1e9:g} s); stop at stop or gap open, never better;"
                f" limit on {self.limit_fill.value} at limit or better open; TP+SL in one bar:"
                f" {self.same_bar.value} first; {cap}; takers pay half of {self.spread_bps:g} bps spread"
                f" + {self.slippage_bps:g} bps slippage + impact {self.impact_bps_per_pct_volume:g} bps"
                f" per % of volume (max {self.max_impact_bps:g} bps)")

    def as_dict(self) -> dict[str, object]:
        return {"version": MATCH_VERSION, "market_fill": self.market_fill.value,
                "limit_fill": self.limit_fill.value, "same_bar": self.same_bar.value,
                "spread_bps": self.spread_bps, "slippage_bps": self.slippage_bps,
                "impact_bps_per_pct_volume": self.impact_bps_per_pct_volume,
                "max_impact_bps": self.max_impact_bps, "max_volume_share": self.max_volume_share,
                "latency_ns": self.latency_ns}


@dataclass(frozen=True, slots=True)
class QuoteTick:
    """A top-of-book quote: buys trade at the ask, sells at the bid (touch fills)."""

    symbol: str
    ts_event: int
    bid: float
    ask: float
    bid_size: float = 0.0
    ask_size: float = 0.0


@dataclass(frozen=True, slots=True)
class OrderState:
    """One order as the matcher tracks it (immutable: ``match`` returns a new one)."""

    order: Order
    status: Status = Status.OPEN
    filled: Decimal = ZERO
    notional: Decimal = ZERO
    triggered: bool = False
    trigger: float | None = None
    """A trailing stop's current trigger (None until its first bar)."""
    watermark: float | None = None
    day: int | None = None
    bars: int = 0
    reason: str = ""
    lot: Decimal = Decimal(1)
    arrival_ns: int | None = None
    """When the order reached the market; ``ts_init + latency`` unless set (bracket
    children arrive with their parent's fill)."""
    queue: Decimal | None = None
    """Size queued ahead of a resting limit at its price (prints at the price fill it only
    once this has traded); None: unknown, only prints through the price fill it."""

    @classmethod
    def new(cls, order: Order, lot: Decimal = Decimal(1), *, arrival_ns: int | None = None) -> OrderState:
        return cls(order, Status.PENDING if order.parent_id else Status.OPEN, lot=lot, arrival_ns=arrival_ns)

    @property
    def remaining(self) -> Decimal:
        return self.order.quantity - self.filled

    @property
    def avg_price(self) -> Decimal | None:
        return self.notional / self.filled if self.filled else None

    def arrived(self, config: FillConfig) -> int:
        return self.arrival_ns if self.arrival_ns is not None else self.order.ts_init + config.latency_ns


@dataclass(frozen=True, slots=True)
class MatchFill:
    """One fill decided by the matcher."""

    client_order_id: str
    quantity: Decimal
    price: Decimal
    liquidity: str
    ts_event: int
    rule: str
    """Which rule priced it: market, limit, limit_gap (a resting limit at a better open),
    limit_open (marketable on arrival), stop, stop_gap (at the open), stop_limit."""


def at_close(bar: Bar) -> Bar:
    """The bar as a single price at its close: what a same-close (``market_fill="close"``)
    order is matched against on the bar it was decided on."""
    return Bar(bar.symbol, bar.ts_event, bar.close, bar.close, bar.close, bar.close, bar.volume, bar.ts_init)


def _px(value: float) -> Decimal:
    return Decimal(repr(round(value, 10)))


def _side_bar(q: QuoteTick, side: Side) -> Bar:
    px, size = (q.ask, q.ask_size) if side is Side.BUY else (q.bid, q.bid_size)
    return Bar(q.symbol, q.ts_event, px, px, px, px, size, q.ts_event)


def _expired(state: OrderState, ts: int) -> bool:
    o = state.order
    if o.time_in_force is TimeInForce.GTD and o.expire_ns is not None and ts > o.expire_ns:
        return True
    return o.time_in_force is TimeInForce.DAY and state.day is not None and ts // DAY_NS > state.day


def _cap(state: OrderState, bar: Bar, config: FillConfig) -> Decimal:
    """The most this bar can fill of the order (lot-rounded down)."""
    if config.max_volume_share <= 0 or bar.volume <= 0:
        return state.remaining
    room = Decimal(repr(config.max_volume_share * bar.volume))
    room = (room / state.lot).quantize(Decimal(1), ROUND_DOWN) * state.lot
    return min(state.remaining, room)


def _taker(price: float, side: Side, qty: Decimal, bar: Bar, config: FillConfig) -> float:
    impact = 0.0
    if config.impact_bps_per_pct_volume > 0 and bar.volume > 0:
        impact = min(config.impact_bps_per_pct_volume * float(qty) / bar.volume * 100.0, config.max_impact_bps)
    bps = config.spread_bps / 2.0 + config.slippage_bps + impact
    return price * (1.0 + side.sign * bps / 10_000.0)


def stop_hit(side: Side, stop: float, bar: Bar) -> bool:
    """A stop triggers when the bar trades at or through it."""
    return bar.low <= stop if side is Side.SELL else bar.high >= stop


def stop_price(side: Side, stop: float, bar: Bar) -> float:
    """Where a triggered stop fills before slippage: the stop, or the open on a gap."""
    return min(stop, bar.open) if side is Side.SELL else max(stop, bar.open)


def limit_hit(side: Side, limit: float, bar: Bar, rule: LimitFill) -> bool:
    """A limit fills when the bar trades through it (or touches it, under ``touch``)."""
    if side is Side.BUY:
        return bar.low < limit or (rule is LimitFill.TOUCH and bar.low <= limit)
    return bar.high > limit or (rule is LimitFill.TOUCH and bar.high >= limit)


def limit_price(side: Side, limit: float, bar: Bar) -> float:
    """A filled limit's price: the limit, or the open when the open is better."""
    return min(limit, bar.open) if side is Side.BUY else max(limit, bar.open)


def _trail(o: Order, best: float) -> float:
    dist = float(o.trail_amount) if o.trail_amount is not None else best * float(o.trail_percent or 0) / 100.0
    return best - dist if o.side is Side.SELL else best + dist


def match(state: OrderState, event: Bar | QuoteTick, config: FillConfig) -> tuple[list[MatchFill], OrderState]:
    """What ``state``'s order fills on ``event``; return the fills and the new state.

    Pure: no clock, no I/O. An order that is done, pending its parent, for another symbol,
    or not yet arrived is returned unchanged."""
    o = state.order
    if state.status is not Status.OPEN or event.symbol != o.instrument:
        return [], state
    if event.ts_event <= state.arrived(config):
        return [], state
    quote = isinstance(event, QuoteTick)
    bar = _side_bar(event, o.side) if isinstance(event, QuoteTick) else event
    if _expired(state, bar.ts_event):
        return [], replace(state, status=Status.EXPIRED, reason=f"{o.time_in_force.value} expired")
    first = state.bars == 0
    state = replace(state, bars=state.bars + 1,
                    day=state.day if state.day is not None else bar.ts_event // DAY_NS)
    rule_limit = LimitFill.TOUCH if quote else config.limit_fill
    price, rule, taker = _price(state, bar, config, rule_limit, first)
    if o.order_type is OrderType.TRAILING_STOP:
        state = _advance_trail(state, bar, triggered=price is not None)
    if price is None:
        if state.triggered is False and o.order_type is OrderType.STOP_LIMIT and stop_hit(o.side, float(o.stop_price or 0), bar):
            state = replace(state, triggered=True)
        return [], _one_bar_tif(state)
    if o.order_type is OrderType.STOP_LIMIT:
        state = replace(state, triggered=True)
    if o.post_only and taker:
        return [], replace(state, status=Status.REJECTED, reason="post-only limit would take liquidity")
    qty = _cap(state, bar, config)
    if o.time_in_force is TimeInForce.FOK and qty < state.remaining:
        return [], replace(state, status=Status.CANCELED, reason="fill-or-kill: bar volume too small")
    if qty <= 0:
        return [], _one_bar_tif(state)
    if taker:
        price = _taker(price, o.side, qty, bar, config)
    px = _px(price)
    filled = state.filled + qty
    status = Status.FILLED if filled >= o.quantity else Status.OPEN
    state = replace(state, filled=filled, notional=state.notional + qty * px, status=status)
    fill = MatchFill(o.client_order_id, qty, px, "taker" if taker else "maker", bar.ts_event, rule)
    return [fill], _one_bar_tif(state)


def _one_bar_tif(state: OrderState) -> OrderState:
    if state.status is Status.OPEN and state.order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        return replace(state, status=Status.CANCELED, reason=f"{state.order.time_in_force.value}: rest canceled")
    return state


def _price(state: OrderState, bar: Bar, config: FillConfig, rule: LimitFill,
           first: bool) -> tuple[float | None, str, bool]:
    """(base price, rule, taker) if the order fills on ``bar``, else (None, "", False)."""
    o = state.order
    t = o.order_type
    if t is OrderType.MARKET:
        return bar.open, "market", True
    if t is OrderType.LIMIT or (t is OrderType.STOP_LIMIT and state.triggered):
        lim = float(o.limit_price or 0)
        marketable = bar.open <= lim if o.side is Side.BUY else bar.open >= lim
        if first and marketable and t is OrderType.LIMIT:
            return bar.open, "limit_open", True  # crossed on arrival: it takes, at the open
        if limit_hit(o.side, lim, bar, rule):
            return limit_price(o.side, lim, bar), "limit_gap" if marketable and bar.open != lim else "limit", False
        return None, "", False
    if t is OrderType.STOP:
        stop = float(o.stop_price or 0)
        if stop_hit(o.side, stop, bar):
            gap = (bar.open < stop) if o.side is Side.SELL else (bar.open > stop)
            return stop_price(o.side, stop, bar), "stop_gap" if gap else "stop", True
        return None, "", False
    if t is OrderType.STOP_LIMIT:
        stop, lim = float(o.stop_price or 0), float(o.limit_price or 0)
        if not stop_hit(o.side, stop, bar):
            return None, "", False
        at = stop_price(o.side, stop, bar)  # where it turned into a limit
        ok = at >= lim if o.side is Side.SELL else at <= lim
        return (at, "stop_limit", False) if ok else (None, "", False)
    # trailing stop: the trigger as of the previous bar, adverse first
    trig = state.trigger
    if trig is None:
        trig = float(o.stop_price) if o.stop_price is not None else _trail(o, bar.open)
    if stop_hit(o.side, trig, bar):
        gap = (bar.open < trig) if o.side is Side.SELL else (bar.open > trig)
        return stop_price(o.side, trig, bar), "stop_gap" if gap else "stop", True
    return None, "", False


def _advance_trail(state: OrderState, bar: Bar, triggered: bool) -> OrderState:
    """Move a trailing stop's watermark with this bar's favourable extreme (after the
    bar was checked against the previous trigger)."""
    o = state.order
    if triggered:
        return state
    sell = o.side is Side.SELL
    best = bar.high if sell else bar.low
    if state.watermark is not None:
        best = max(best, state.watermark) if sell else min(best, state.watermark)
    trig = _trail(o, best)
    if state.trigger is None and o.stop_price is not None:
        init = float(o.stop_price)
        trig = max(trig, init) if sell else min(trig, init)
    elif state.trigger is not None:
        trig = max(trig, state.trigger) if sell else min(trig, state.trigger)
    return replace(state, watermark=best, trigger=trig)


# -- many orders: links resolved inside the matcher ------------------------------------
def match_book(states: Sequence[OrderState], event: Bar | QuoteTick,
               config: FillConfig) -> tuple[list[MatchFill], list[OrderState]]:
    """Match every order on ``event`` and resolve their links; return fills and states.

    A bracket child (``parent_id``) is armed when its parent fills and matched on the same
    bar from then on; it is canceled when its parent ends unfilled. Members of one OCO
    group (``oco_id``) that would fill on the same bar fill in path order (fills at the
    open first, then adverse or favourable per ``config.same_bar``); the first to fill
    cancels the others, which never fill."""
    out = list(states)
    fills: list[MatchFill] = []
    index = {s.order.client_order_id: i for i, s in enumerate(out)}
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(out):
        if s.order.oco_id is not None and not s.status.done:
            groups.setdefault(s.order.oco_id, []).append(i)
    done_groups: set[str] = set()
    was_open = [s.status is Status.OPEN for s in out]  # children armed below were matched on this event already
    for i in range(len(out)):
        s = out[i]
        if s.status is not Status.OPEN or not was_open[i]:
            continue
        oco = s.order.oco_id
        if oco is not None and oco in groups:
            if oco in done_groups:
                continue
            done_groups.add(oco)
            new_fills = _match_group(out, groups[oco], event, config)
        else:
            new_fills, out[i] = match(s, event, config)
        fills.extend(new_fills)
        fills.extend(_arm_children(out, index, new_fills, event, config))
    _cancel_orphans(out, index)
    return fills, out


_AT_OPEN = frozenset({"stop_gap", "limit_open", "limit_gap", "market"})


def _match_group(out: list[OrderState], members: list[int], event: Bar | QuoteTick,
                 config: FillConfig) -> list[MatchFill]:
    """Match one OCO group: the first member to fill (in path order) wins."""
    trial = [(j, *match(out[j], event, config)) for j in members if out[j].status is Status.OPEN]
    hits = [(j, f, st) for j, f, st in trial if f]
    for j, _f, st in trial:
        if not _f:
            out[j] = st  # expiry, trigger and trail updates of members that did not fill
    if not hits:
        return []
    bar_open = event.open if isinstance(event, Bar) else None

    def order_key(h: tuple[int, list[MatchFill], OrderState]) -> tuple[int, float]:
        j, f, _st = h
        px = float(f[0].price)
        at_open = 0 if (bar_open is not None and f[0].rule in _AT_OPEN) else 1
        worse = px if out[j].order.side is Side.SELL else -px  # lower sells / higher buys are adverse
        return at_open, worse if config.same_bar is SameBar.ADVERSE else -worse

    j, f, st = min(hits, key=order_key)
    out[j] = st
    for k in members:
        if k != j and not out[k].status.done:
            out[k] = replace(out[k], status=Status.CANCELED, reason=f"oco: {out[j].order.client_order_id} filled")
    return f


def _arm_children(out: list[OrderState], index: dict[str, int], fills: list[MatchFill],
                  event: Bar | QuoteTick, config: FillConfig) -> list[MatchFill]:
    """Arm the bracket children of orders that just filled, and match them on this bar."""
    more: list[MatchFill] = []
    for f in fills:
        children = [i for i, s in enumerate(out)
                    if s.status is Status.PENDING and s.order.parent_id == f.client_order_id]
        for i in children:  # armed as of just before this bar: they may trade on it
            out[i] = replace(out[i], status=Status.OPEN, arrival_ns=event.ts_event - 1)
        if children:
            sub, states = match_book([out[i] for i in children], event, config)
            for i, st in zip(children, states, strict=True):
                out[i] = st
            more.extend(sub)
    return more


def _cancel_orphans(out: list[OrderState], index: dict[str, int]) -> None:
    for i, s in enumerate(out):
        if s.status is Status.PENDING and s.order.parent_id in index:
            parent = out[index[s.order.parent_id]]
            if parent.status.done and parent.status is not Status.FILLED and parent.filled == 0:
                out[i] = replace(s, status=Status.CANCELED, reason=f"parent {parent.order.client_order_id} "
                                 f"{parent.status.value}")


# -- trade prints: resting maker limits of quoted contracts --------------------------------
@dataclass(frozen=True, slots=True)
class TradePrint:
    """One public trade: its time, price and size (any taker side)."""

    symbol: str
    ts_event: int
    price: float
    size: float


def queue_ahead(side: Side, limit: float, bid: float, ask: float, bid_size: float,
                ask_size: float) -> Decimal | None:
    """The size ahead of a new resting limit: the displayed size when it joins the touch,
    nothing when it improves on it, unknown (None) when it rests behind it."""
    touch, size = (bid, bid_size) if side is Side.BUY else (ask, ask_size)
    better = limit > touch if side is Side.BUY else limit < touch
    if better:
        return ZERO
    if abs(limit - touch) < 1e-9:
        return Decimal(repr(float(size)))
    return None


def match_prints(states: Sequence[OrderState], prints: Sequence[TradePrint],
                 config: FillConfig) -> tuple[list[MatchFill], list[OrderState]]:
    """Fill resting limits against trade prints, in time order; return fills and states.

    A print counts for an order only after the order arrived. A buy at ``L`` fills on a
    print below ``L`` (it traded through: a seller would have hit the higher bid first),
    at ``L`` only beyond the size queued ahead of it; a sell mirrors this. The order fills
    at its limit (maker) for at most the print's size; one print's size is shared by the
    orders it reaches, best price first. Orders that are not open limits are untouched."""
    out = list(states)
    fills: list[MatchFill] = []
    for tp in prints:
        left = Decimal(repr(float(tp.size)))
        # best price first: highest bids, then lowest asks
        order = sorted((i for i, s in enumerate(out) if s.status is Status.OPEN
                        and s.order.order_type is OrderType.LIMIT and s.order.instrument == tp.symbol),
                       key=lambda i: -float(out[i].order.limit_price or 0) * out[i].order.side.sign)
        for i in order:
            s = out[i]
            o = s.order
            if tp.ts_event <= s.arrived(config):
                continue
            if _expired(s, tp.ts_event):  # a print after its expiry ends it, used up or not
                out[i] = replace(s, status=Status.EXPIRED, reason=f"{o.time_in_force.value} expired")
                continue
            if left <= 0:
                continue
            lim = float(o.limit_price or 0)
            through = tp.price < lim - 1e-12 if o.side is Side.BUY else tp.price > lim + 1e-12
            at = abs(tp.price - lim) <= 1e-12
            avail = left
            if not through:
                if not at or s.queue is None:
                    continue
                if s.queue >= avail:  # the print only ate into the queue ahead
                    out[i] = replace(s, queue=s.queue - avail)
                    left = ZERO
                    continue
                avail -= s.queue
                s = replace(s, queue=ZERO)
            qty = min(s.remaining, (avail / s.lot).quantize(Decimal(1), ROUND_DOWN) * s.lot)
            if qty <= 0:
                out[i] = s
                continue
            px = _px(lim)
            filled = s.filled + qty
            status = Status.FILLED if filled >= o.quantity else Status.OPEN
            out[i] = replace(s, filled=filled, notional=s.notional + qty * px, status=status,
                             day=s.day if s.day is not None else tp.ts_event // DAY_NS)
            left = avail - qty  # what is left of the print for orders behind this one
            fills.append(MatchFill(o.client_order_id, qty, px, "maker", tp.ts_event, "print"))
    return fills, out
