"""What the ensemble and veto remember about the fleet: recent signals per instrument
(bot consensus, opposing-signal suppression) and just-closed trades per bot (veto rule).

Fed by the bus (``signals``, ``orders``, ``fills``) when the engine publishes there, and by
the gates themselves for every signal they see; duplicates are ignored by signal id. Only
events stamped at or before "now" are ever returned, so replay cannot peek ahead.

Memory stays bounded in a long run: each instrument keeps its last ``max_per_instrument``
signals, and with a ``retention`` (the shared tracker's is the longest window the ensemble
asks for, ``[ensemble] consensus_window_hours`` / ``opposing_window_hours``) an instrument
whose newest signal is older than that before the latest "now" asked is forgotten whole,
with the ids of signals that old (an expired option contract's leg signals, a market no bot
signals any more). No :meth:`SignalTracker.recent` answer changes: a signal older than the
retention is outside every window asked. A window longer than the retention extends it from
then on.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.domain import Direction, Fill, Order, Signal

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services

EXTRAS_KEY = "ai.tracker"
_WEEK_NS = 7 * 86_400 * NS


@dataclass(frozen=True)
class ClosedTrade:
    """A bot's position in an instrument went back to zero."""

    bot: str
    instrument: str
    direction: Direction  # the direction of the position that was closed
    ts_event: int


class SignalTracker:
    """Bounded in-memory memory of recent signals and closed trades."""

    def __init__(self, max_per_instrument: int = 256, retention_ns: int | None = None) -> None:
        self._cap = max_per_instrument
        self._signals: dict[str, deque[Signal]] = defaultdict(lambda: deque(maxlen=max_per_instrument))
        #: the same kept signals indexed per instrument per bot, in arrival order (what
        #: :meth:`recent` reads): instrument -> bot -> [its kept signals, in time order so far]
        self._by_bot: dict[str, dict[str, list[Any]]] = {}
        self._bots: dict[str, list[str]] = {}  # instrument -> its bots with kept signals, sorted
        self._seen: dict[str, int] = {}  # signal id -> its ts_event, in arrival order
        self._newest: dict[str, int] = {}  # instrument -> the newest ts_event of its signals
        #: forget what is older than this before the latest "now" asked (None: keep everything)
        self.retention_ns = retention_ns
        self._now = -(1 << 62)      # the latest "now" recent() was asked at
        self._next_sweep = -(1 << 62) if retention_ns is not None else 1 << 62  # when to look again
        self._order_bot: dict[str, str] = {}
        self._net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self._closed: dict[tuple[str, str], ClosedTrade] = {}

    @classmethod
    def shared(cls, services: Services) -> SignalTracker:
        """Return the one tracker of this kernel (created and subscribed on first use)."""
        tracker = services.extras.get(EXTRAS_KEY)
        if tracker is None:
            ens = services.config.ensemble
            hours = max(ens.consensus_window_hours, ens.opposing_window_hours)
            tracker = cls(retention_ns=int(hours * 3600 * NS))
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
        ts = signal.ts_event
        self._seen[sid] = ts
        instrument = signal.instrument
        if ts > self._newest.get(instrument, -(1 << 62)):
            self._newest[instrument] = ts
        kept = self._signals[instrument]
        by_bot = self._by_bot.get(instrument)
        if by_bot is None:
            by_bot = self._by_bot[instrument] = {}
        if len(kept) == self._cap and self._cap > 0:  # the oldest falls out of the deque: and of its bot's
            old = kept[0]
            entry = by_bot[old.bot]
            entry[0].popleft()
            if not entry[0]:
                del by_bot[old.bot]
                self._bots.pop(instrument, None)
        kept.append(signal)
        if self._cap <= 0:
            return
        entry = by_bot.get(signal.bot)
        if entry is None:
            by_bot[signal.bot] = [deque((signal,)), True]
            self._bots.pop(instrument, None)
        else:
            if signal.ts_event < entry[0][-1].ts_event:
                entry[1] = False
            entry[0].append(signal)

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
        """Return each other bot's latest signal on ``instrument`` within the window: of the
        kept signals stamped in [now - window, now], per bot the newest (of equal times the
        later arrival), in bot order."""
        if self.retention_ns is not None and window_ns > self.retention_ns:
            self.retention_ns = window_ns
        if now_ns > self._now:
            self._now = now_ns
            if now_ns >= self._next_sweep:
                self._sweep()
        by_bot = self._by_bot.get(instrument)
        if not by_bot:
            return []
        bots = self._bots.get(instrument)
        if bots is None:
            bots = self._bots[instrument] = sorted(by_bot)
        since_ns = now_ns - window_ns
        out = []
        for bot in bots:
            if bot == exclude_bot:
                continue
            signals, ordered = by_bot[bot]
            best = None
            if ordered:  # newest first: the first one stamped by now is the bot's latest
                ts = signals[-1].ts_event
                if ts <= now_ns:  # (the usual case: the newest one)
                    if ts >= since_ns:
                        out.append(signals[-1])
                    continue
                for s in reversed(signals):
                    if s.ts_event <= now_ns:
                        if s.ts_event >= since_ns:
                            best = s
                        break
            else:
                for s in signals:
                    ts = s.ts_event
                    if since_ns <= ts <= now_ns and (best is None or ts >= best.ts_event):
                        best = s
            if best is not None:
                out.append(best)
        return out

    def _sweep(self) -> None:
        """Forget the instruments whose newest signal is older than the retention before the
        latest "now", and the ids of signals that old; then wait a retention (at least a
        week) before looking again."""
        keep = self.retention_ns or 0
        cutoff = self._now - keep
        self._next_sweep = self._now + max(keep, _WEEK_NS)
        for instrument in [i for i, ts in self._newest.items() if ts < cutoff]:
            del self._newest[instrument]
            self._signals.pop(instrument, None)
            self._by_bot.pop(instrument, None)
            self._bots.pop(instrument, None)
        seen = self._seen
        for sid in [sid for sid, ts in seen.items() if ts < cutoff]:
            del seen[sid]

    def last_closed(self, bot: str, instrument: str, now_ns: int) -> ClosedTrade | None:
        """Return the bot's last closed trade in ``instrument`` if it closed by now."""
        trade = self._closed.get((bot, instrument))
        return trade if trade is not None and trade.ts_event <= now_ns else None
