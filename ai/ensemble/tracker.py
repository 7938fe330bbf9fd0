"""What the ensemble and veto remember about the fleet: recent signals per instrument
(bot consensus, opposing-signal suppression) and just-closed trades per bot (veto rule).

Fed by the bus (``signals``, ``orders``, ``fills``) when the engine publishes there, and by
the gates themselves for every signal they see; duplicates are ignored by signal id. Only
events stamped at or before "now" are ever returned, so replay cannot peek ahead.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.domain import Direction, Fill, Order, Signal

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services

EXTRAS_KEY = "ai.tracker"


@dataclass(frozen=True)
class ClosedTrade:
    """A bot's position in an instrument went back to zero."""

    bot: str
    instrument: str
    direction: Direction  # the direction of the position that was closed
    ts_event: int


class SignalTracker:
    """Bounded in-memory memory of recent signals and closed trades."""

    def __init__(self, max_per_instrument: int = 256) -> None:
        self._signals: dict[str, deque[Signal]] = defaultdict(lambda: deque(maxlen=max_per_instrument))
        self._ordered: dict[str, bool] = {}  # instrument -> its signals arrived in time order so far
        self._seen: set[str] = set()
        self._order_bot: dict[str, str] = {}
        self._net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self._closed: dict[tuple[str, str], ClosedTrade] = {}

    @classmethod
    def shared(cls, services: Services) -> SignalTracker:
        """Return the one tracker of this kernel (created and subscribed on first use)."""
        tracker = services.extras.get(EXTRAS_KEY)
        if tracker is None:
            tracker = cls()
            services.extras[EXTRAS_KEY] = tracker
            from tradefleet.orchestrator.bus import Topic

            services.bus.subscribe(Topic.SIGNALS, tracker.on_event)
            services.bus.subscribe(Topic.ORDERS, tracker.on_event)
            services.bus.subscribe(Topic.FILLS, tracker.on_event)
        return tracker  # type: ignore[no-any-return]

    # -- inputs -------------------------------------------------------------------------
    def on_event(self, topic: Any, event: Any) -> None:
        """Bus handler: accept Signal, Order and Fill events, ignore anything else."""
        if isinstance(event, Signal):
            self.note_signal(event)
        elif isinstance(event, Order):
            self._order_bot[event.client_order_id] = event.bot
        elif isinstance(event, Fill):
            self.note_fill(event)

    def note_signal(self, signal: Signal) -> None:
        sid = signal.signal_id
        if sid in self._seen:
            return
        self._seen.add(sid)
        kept = self._signals[signal.instrument]
        if kept and signal.ts_event < kept[-1].ts_event:
            self._ordered[signal.instrument] = False
        kept.append(signal)

    def note_order(self, order: Order) -> None:
        self._order_bot[order.client_order_id] = order.bot

    def note_fill(self, fill: Fill) -> None:
        bot = self._order_bot.get(fill.client_order_id)
        if bot is None:
            return
        key = (bot, fill.instrument)
        before = self._net[key]
        after = before + fill.signed_qty
        self._net[key] = after
        if before != 0 and (after == 0 or (after > 0) != (before > 0)):
            closed = Direction.LONG if before > 0 else Direction.SHORT
            self._closed[key] = ClosedTrade(bot, fill.instrument, closed, fill.ts_event)

    # -- queries ------------------------------------------------------------------------
    def recent(self, instrument: str, now_ns: int, window_ns: int, exclude_bot: str | None = None) -> list[Signal]:
        """Return each other bot's latest signal on ``instrument`` within the window."""
        kept = self._signals.get(instrument)
        if not kept:
            return []
        if self._ordered.get(instrument, True):
            return self._recent_ordered(kept, now_ns, now_ns - window_ns, exclude_bot)
        latest: dict[str, Signal] = {}
        for s in kept:
            if s.bot == exclude_bot or s.ts_event > now_ns or s.ts_event < now_ns - window_ns:
                continue
            if s.bot not in latest or s.ts_event >= latest[s.bot].ts_event:
                latest[s.bot] = s
        return [latest[b] for b in sorted(latest)]

    @staticmethod
    def _recent_ordered(kept: deque[Signal], now_ns: int, since_ns: int, exclude_bot: str | None) -> list[Signal]:
        """:meth:`recent` over signals kept in time order: walk back from the newest and stop
        at the first one older than the window (the same answer as the full scan: per bot
        the newest, and of equal times the later arrival, is met first)."""
        latest: dict[str, Signal] = {}
        for s in reversed(kept):
            ts = s.ts_event
            if ts < since_ns:
                break
            if ts > now_ns or s.bot == exclude_bot or s.bot in latest:
                continue
            latest[s.bot] = s
        return [latest[b] for b in sorted(latest)]

    def last_closed(self, bot: str, instrument: str, now_ns: int) -> ClosedTrade | None:
        """Return the bot's last closed trade in ``instrument`` if it closed by now."""
        trade = self._closed.get((bot, instrument))
        return trade if trade is not None and trade.ts_event <= now_ns else None
