"""Follow the stored alerts and deliver them to one channel from another process.

Every process stores its alerts first (:class:`~tradefleet.orchestrator.alerts.store.AlertStore`).
A process that did not raise them (the standalone ``tradefleet telegram`` bot) follows the
``alerts`` table by id and delivers each alert its channel wants. The store's delivery rows
make it exactly once across processes and restarts: a delivery is claimed before it is sent
(the process that stored the alert may be racing for it), marked ``sent`` after, released
for a retry on failure (``failed`` after ``[alerts].retries`` attempts), and a claim left by
a process that stopped mid-send is taken over after ``[alerts].claim_seconds``. At start
the tail looks back ``[alerts].backlog_minutes``, so alerts stored while it was down are
sent, and those already sent are not.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from tradefleet.orchestrator.alerts.config import AlertsConfig, ChannelConfig
from tradefleet.orchestrator.alerts.store import AlertStore, StoredAlert
from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.execution.secrets import redact

_log = logging.getLogger("tradefleet.alerts")


class AlertTail:
    """Claims the stored alerts ``channel`` has not settled, oldest first.

    Usage: ``for alert in tail.claim(): tail.done(alert, ok, error)`` (the sending itself
    is the caller's: the Telegram bot sends on its own event loop)."""

    def __init__(self, store: Any, channel: str, config: AlertsConfig, clock: Clock,
                 wants: Callable[[str], bool], rate_per_minute: int | None = None) -> None:
        self.alerts = AlertStore(store)
        self.channel = channel
        self.config = config
        self.clock = clock
        self.wants = wants
        self.rate = rate_per_minute or config.rate_per_minute
        self.after_id: int | None = None  # every alert at or below is settled for this channel
        self._sent: deque[int] = deque()
        self._pause_until = 0

    def claim(self, limit: int = 50) -> list[StoredAlert]:
        """Claim the next alerts to send (at most the rate limit's room); settle the ones the
        channel does not want (``filtered``) or that repeat a recent one (``duplicate``)."""
        now = self.clock.now_ns()
        if now < self._pause_until:
            return []
        if self.after_id is None:
            self.after_id = self.alerts.first_id_since(now - int(self.config.backlog_minutes * 60 * NS))
        while self._sent and self._sent[0] <= now - 60 * NS:
            self._sent.popleft()
        room = min(limit, self.rate - len(self._sent))
        lease = int(self.config.claim_seconds * NS)
        out: list[StoredAlert] = []
        first_open: int | None = None  # the first alert not settled after this pass
        last = self.after_id
        for alert in self.alerts.unsent(self.channel, self.after_id, now - lease, limit):
            last = alert.id
            status = self._skip(alert)
            if status is not None:  # settled (a row another process wrote first settles it as well)
                self.alerts.open_delivery(alert.id, self.channel, status, now)
                continue
            if len(out) < room and self.alerts.claim(alert.id, self.channel, now, lease):
                out.append(alert)  # open until done()
            if first_open is None:  # claimed here, or held by another process, or no room yet
                first_open = alert.id
        self.after_id = first_open - 1 if first_open is not None else last
        return out

    def _skip(self, alert: StoredAlert) -> str | None:
        if not self.wants(alert.kind):
            return "filtered"
        window = int(self.config.dedup_seconds * NS)
        if window and self.alerts.seen_since(alert.dedup_key, alert.ts_ns - window, alert.id):
            return "duplicate"
        return None

    def done(self, alert: StoredAlert, ok: bool, error: str = "", retry_after: float | None = None) -> None:
        """Record the outcome of sending a claimed alert."""
        now = self.clock.now_ns()
        attempts = self.alerts.attempts(alert.id, self.channel) + 1
        if ok:
            self._sent.append(now)
            self.alerts.set_delivery(alert.id, self.channel, "sent", attempts, None, now)
            return
        error = redact(error)
        final = attempts >= self.config.retries
        self.alerts.set_delivery(alert.id, self.channel, "failed" if final else "pending", attempts, error, now)
        wait = retry_after if retry_after is not None else self.config.backoff_seconds * 2 ** (attempts - 1)
        self._pause_until = max(self._pause_until, now + int(wait * NS))
        if final:
            _log.warning("alerts: %s alert %s not delivered to %s after %d attempts: %s", alert.kind, alert.id,
                         self.channel, attempts, error)


def channel_wants(cfg: ChannelConfig | None) -> Callable[[str], bool]:
    """The kind filter of a channel's configuration (every non-optional kind without one)."""
    from tradefleet.orchestrator.alerts.service import wants

    chosen = cfg or ChannelConfig()
    return lambda kind: wants(chosen, kind)
