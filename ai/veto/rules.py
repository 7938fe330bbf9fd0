"""The default, offline, deterministic veto: ``rules``.

In order, a signal is vetoed when: the fleet is halted; the instrument's data is stale;
the price has already run past the entry (or through the stop or target); a scheduled
event (FOMC, CPI, ...) falls within the horizon; it reverses a trade the bot closed
within the cooldown; or the instrument's market is out of session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from tradefleet.ai.config import VetoConfig
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.ai.veto.base import VetoVerdict
from tradefleet.ai.veto.events import EventCalendar, load_calendar
from tradefleet.orchestrator.binary import is_binary, paid_price
from tradefleet.orchestrator.clock import NS, ns_to_dt
from tradefleet.orchestrator.domain import Signal
from tradefleet.orchestrator.duration import parse_timeframe

if TYPE_CHECKING:
    from tradefleet.orchestrator.pipeline.gate import GateContext
    from tradefleet.orchestrator.services import Services

SESSION_CALENDARS = {"equity": "NYSE", "index": "NYSE", "option": "NYSE", "fx": "FX", "crypto": "CRYPTO"}


class RulesVeto:
    """Veto provider ``rules``."""

    name: ClassVar[str] = "rules"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self, config: VetoConfig, tracker: SignalTracker, events: EventCalendar | None = None) -> None:
        self.config = config
        self.tracker = tracker
        self.events = events if events is not None else load_calendar(config.event_calendar)

    @classmethod
    def build(cls, services: Services) -> RulesVeto:
        return cls(services.config.veto, SignalTracker.shared(services))

    def review(self, signal: Signal, ctx: GateContext) -> VetoVerdict:
        for rule in (self._halted, self._stale, self._price, self._events, self._reversal, self._session):
            verdict = rule(signal, ctx)
            if verdict is not None:
                return verdict
        return VetoVerdict(self.name, True, "ok", "ok")

    def _no(self, reason: str, category: str, detail: str, **data: object) -> VetoVerdict:
        return VetoVerdict(self.name, False, reason, category, detail, dict(data))

    def _halted(self, signal: Signal, ctx: GateContext) -> VetoVerdict | None:
        if ctx.halted:
            return self._no("halted", "halted", ctx.halt_reason or "the fleet is halted")
        return None

    def _stale(self, signal: Signal, ctx: GateContext) -> VetoVerdict | None:
        bar = ctx.market.last_bar(signal.instrument)
        if bar is None:
            return self._no("no_data", "stale_data", f"no bar for {signal.instrument} yet")
        length = parse_timeframe(ctx.spec.timeframe).seconds
        allowed = self.config.stale_bars * length * NS
        if length >= 86_400 and ctx.spec.asset_class.value != "crypto":
            allowed += 4 * 86_400 * NS  # weekends and holidays between daily bars
        age = ctx.now_ns - bar.ts_event
        if age > allowed:
            return self._no("stale_data", "stale_data",
                            f"last {signal.instrument} bar is {age / NS / 3600:.1f}h old", age_s=age // NS)
        return None

    def _price(self, signal: Signal, ctx: GateContext) -> VetoVerdict | None:
        quote = ctx.market.quote(signal.instrument)
        if quote is None or signal.entry <= 0 or signal.meta.get("kind") == "quote":
            # a quote's level is a resting limit: it fills at its own price or not at all,
            # so the touch drifting away from it is no reason to refuse it
            return None
        bid, ask = quote
        # what we would pay (long) or receive (short); for a binary contract both sides are
        # purchases quoted like the signal's entry (a SHORT buys NO at 1 - YES bid)
        px, sign = paid_price(signal.direction.sign, bid, ask, is_binary(ctx.spec.asset_class))
        drift = sign * (px - signal.entry) / signal.entry * 100.0
        if signal.stop is not None and sign * (px - signal.stop) <= 0:
            return self._no("price_past_stop", "price_moved", f"price {px:g} already through stop {signal.stop:g}")
        if signal.target is not None and sign * (px - signal.target) >= 0:
            return self._no("price_past_target", "price_moved", f"price {px:g} already at target {signal.target:g}")
        if drift > self.config.max_entry_drift_pct:
            return self._no("price_past_entry", "price_moved",
                            f"price {px:g} is {drift:.2f}% past entry {signal.entry:g}", drift_pct=round(drift, 4))
        return None

    def _events(self, signal: Signal, ctx: GateContext) -> VetoVerdict | None:
        horizon = int(self.config.event_horizon_hours * 3600 * NS)
        hits = self.events.upcoming(ctx.now_ns, horizon, ctx.spec.asset_class.value, signal.instrument)
        if hits:
            e = hits[0]
            when = ns_to_dt(e.ts_ns).strftime("%Y-%m-%d %H:%M UTC")
            return self._no("event_conflict", "event_risk", f"{e.name} at {when}", event=e.name, event_ts=e.ts_ns)
        return None

    def _reversal(self, signal: Signal, ctx: GateContext) -> VetoVerdict | None:
        if signal.meta.get("kind") == "quote":
            return None  # a market maker's sides alternate by design; a quote is not a reversal
        closed = self.tracker.last_closed(signal.bot, signal.instrument, ctx.now_ns)
        if closed is None:
            return None
        cooldown = int(self.config.closed_trade_cooldown_hours * 3600 * NS)
        if ctx.now_ns - closed.ts_event <= cooldown and closed.direction.sign == -signal.direction.sign:
            hours = (ctx.now_ns - closed.ts_event) / NS / 3600
            return self._no("against_closed_trade", "against_recent_trade",
                            f"{signal.bot} closed a {closed.direction.value} {hours:.1f}h ago")
        return None

    def _session(self, signal: Signal, ctx: GateContext) -> VetoVerdict | None:
        name = ctx.spec.schedule.calendar or SESSION_CALENDARS.get(ctx.spec.asset_class.value)
        if name is None:
            return None
        from tradefleet.orchestrator.calendars import get_calendar

        cal = get_calendar(name)
        now = ctx.now_ns
        if cal.is_open(now):
            return None
        grace = int(self.config.session_grace_minutes * 60 * NS)
        today = cal.trading_date(now)
        for d in (today, today.fromordinal(today.toordinal() - 1)):
            close = cal.close_ns(d)
            if close is not None and 0 <= now - close <= grace:
                return None  # just after the close: on-close orders are still fine
        return self._no("outside_session", "session", f"{name} is closed at {ns_to_dt(now):%Y-%m-%d %H:%M} UTC")
