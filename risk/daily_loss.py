"""The daily loss limit: halt new entries once today's loss reaches the limit.

* The limit is ``pct`` of start-of-day equity, or ``amount``, or the tighter of both.
* Tripping it writes a halt of its scope (``fleet`` for a paper or live account, the
  simulated ``account:<name>`` in a replay) to the store (``actor="risk"``), so the engine,
  the dashboard and ``tradefleet status`` see it, and publishes an alert.
* Start-of-day equity is the equity *at the day boundary*: the last mark before local
  midnight (the engine marks the book at every bar and every fill). A daily bar that
  closes a losing day is therefore measured against the previous close, and the guard
  trips on that bar, whatever the bar size. Only the very first observation (no earlier
  mark) takes its own equity as the base.
* It persists: the day, the start-of-day equity and the halt are saved under the
  ``daily_loss`` key, so a restart the same day stays halted and keeps the same base.
* It resets at local midnight (``[risk.daily_loss].timezone``, else the engine's): the
  base becomes the equity then, and a halt the guard itself wrote is cleared (an
  operator's halt is never cleared by the guard).
* An authorised resume (:meth:`DailyLossGuard.resume`, or an operator clearing the fleet
  halt in the store) lifts it for the rest of the day and re-bases the limit on the equity
  at the resume, so a further full limit of loss trips it again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.errors import TradefleetError
from tradefleet.risk.alerts import AlertSink, RiskAlert
from tradefleet.risk.config import DailyLossConfig
from tradefleet.risk.local_days import local_days
from tradefleet.risk.persistence import FLEET_SCOPE, RISK_ACTOR, ControlStore, RiskStateStore, read_halt

KEY = "daily_loss"
REASON = "daily_loss"


class ResumeRefused(TradefleetError):
    """A resume was asked by an actor not listed in ``daily_loss.resume_actors``."""


def authorised(actor: str, allowed: list[str]) -> bool:
    """True when ``actor`` or its kind (``cli`` of ``cli:alice``, ``dashboard`` of
    ``dashboard:bob``) is listed in ``allowed``."""
    return actor in allowed or actor.split(":", 1)[0] in allowed


class DailyLossGuard:
    """Track today's loss against the limit and own the daily-loss halt."""

    def __init__(self, config: DailyLossConfig, timezone: str, control: ControlStore,
                 state: RiskStateStore, alerts: AlertSink | None = None,
                 poll_seconds: float = 1.0, scope: str = FLEET_SCOPE) -> None:
        self.config = config
        self.scope = scope
        self.days = local_days(config.timezone or timezone)
        self.control = control
        self.state = state
        self.alerts = alerts or AlertSink()
        self.poll_ns = int(poll_seconds * NS)
        self.day: str | None = None
        self.base: float = 0.0
        self.halted = False
        self.reason = ""
        self.halted_ns: int | None = None
        #: equity at the last mark (the base of the next day when the day rolls)
        self.mark: float | None = None
        self._day_end_ns = 0
        self._next_poll_ns = 0
        saved = state.load_risk_state(KEY)
        if saved:
            self.day, self.base = saved.get("day"), float(saved.get("base", 0.0))
            self.halted, self.reason = bool(saved.get("halted")), str(saved.get("reason", ""))
            self.halted_ns = saved.get("halted_ns")
            self.mark = saved.get("mark")

    # -- public ---------------------------------------------------------------------
    def limit(self) -> float:
        """Return today's loss limit in account currency."""
        caps = []
        if self.config.pct is not None:
            caps.append(self.config.pct * self.base)
        if self.config.amount is not None:
            caps.append(self.config.amount)
        return min(caps)

    def loss(self, equity: float) -> float:
        """Return today's loss so far (negative when up on the day)."""
        return self.base - equity

    def update(self, now_ns: int, equity: float) -> bool:
        """Roll the day if needed, check the limit, follow operator resumes; return halted."""
        if now_ns >= self._day_end_ns:
            today, self._day_end_ns = self.days.day(now_ns)
            if self.day != today.isoformat():
                self._roll(today, now_ns, self.mark if self.mark is not None else equity)
        self.mark = equity
        if self.halted and now_ns >= self._next_poll_ns:
            self._next_poll_ns = now_ns + self.poll_ns
            self._follow_store(now_ns, equity)
        if not self.halted and self.base > 0 and self.loss(equity) >= self.limit():
            self._trip(now_ns, equity)
        return self.halted

    def resume(self, actor: str, now_ns: int, equity: float, reason: str = "resumed") -> None:
        """Lift the halt for the rest of the day (authorised actors only)."""
        if not authorised(actor, self.config.resume_actors):
            raise ResumeRefused(f"daily-loss halt: actor {actor!r} may not resume "
                                f"(allowed: {', '.join(self.config.resume_actors)})")
        self.control.set_control(self.scope, halted=False, reason=f"{REASON}: {reason}",
                                 actor=actor, ts_ns=now_ns)
        self._lift(now_ns, equity, actor)

    def report(self, equity: float) -> dict[str, Any]:
        """Return the limit and its use for the CLI."""
        limit = self.limit() if self.base > 0 else 0.0
        return {"scope": self.scope, "day": self.day, "start_equity": self.base, "loss": self.loss(equity),
                "limit": limit, "use": self.loss(equity) / limit if limit > 0 else 0.0, "halted": self.halted,
                "reason": self.reason, "since_ns": self.halted_ns,
                "expires_ns": self._day_end_ns if self.halted and self._day_end_ns else None}

    def day_end_ns(self) -> int:
        """Return the next local midnight (when a halt of this guard lifts by itself)."""
        return self._day_end_ns

    # -- internals ------------------------------------------------------------------
    def _roll(self, today: date, now_ns: int, equity: float) -> None:
        was_halted = self.halted
        self.day, self.base, self.halted, self.reason, self.halted_ns = today.isoformat(), equity, False, "", None
        if was_halted:
            row = read_halt(self.control, self.scope)
            if row is not None and row.halted and row.actor == RISK_ACTOR and row.reason.startswith(REASON):
                self.control.set_control(self.scope, halted=False, reason=f"{REASON}: reset at midnight",
                                         actor=RISK_ACTOR, ts_ns=now_ns)
            self.alerts.control_changed(RiskAlert("daily_loss_reset", self.scope, "new day", now_ns, "active"))
        self._save(now_ns)

    def _trip(self, now_ns: int, equity: float) -> None:
        loss, limit = self.loss(equity), self.limit()
        self.halted, self.halted_ns = True, now_ns
        self.reason = (f"{REASON}: lost {loss:,.2f} since start of day ({loss / self.base:.2%} of "
                       f"{self.base:,.2f}) >= limit {limit:,.2f}")
        self.control.set_control(self.scope, halted=True, reason=self.reason, actor=RISK_ACTOR, ts_ns=now_ns)
        self._save(now_ns)
        self.alerts.control_changed(RiskAlert("daily_loss_halt", self.scope, self.reason, now_ns, "halted",
                                   {"loss": loss, "limit": limit, "start_equity": self.base}))

    def _follow_store(self, now_ns: int, equity: float) -> None:
        row = read_halt(self.control, self.scope)
        if row is not None and not row.halted:
            self._lift(now_ns, equity, row.actor or "operator")

    def _lift(self, now_ns: int, equity: float, actor: str) -> None:
        self.halted, self.reason, self.base, self.halted_ns = False, "", equity, None
        self._save(now_ns)
        self.alerts.control_changed(RiskAlert("daily_loss_resumed", self.scope, f"resumed by {actor}", now_ns, "active",
                                   {"new_base": equity}))

    def _save(self, now_ns: int) -> None:
        self.state.save_risk_state(KEY, {"day": self.day, "base": self.base, "halted": self.halted,
                                         "reason": self.reason, "halted_ns": self.halted_ns,
                                         "mark": self.mark, "scope": self.scope,
                                         "expires_ns": self._day_end_ns if self.halted else None}, now_ns)
