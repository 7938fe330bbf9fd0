"""Operator control from the dashboard and Telegram: pause, resume, halt.

Same semantics as the CLI (:mod:`tradefleet.app.cli.control`): they write the store's
control state with who and why; a running engine picks the change up within
``engine.control_poll_seconds``. When the interface shares a process with the engine, the
change is also published on the bus's ``control`` topic so it applies at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.errors import TradefleetError
from tradefleet.orchestrator.store.records import FLEET, ControlState, bot_scope, exit_scope


class ControlError(TradefleetError):
    """A control request that cannot be applied (unknown bot, missing reason)."""


class FleetControl:
    """Pause/resume/halt through the store, validated against the known bots."""

    def __init__(self, store: Any, clock: Clock, known_bots: Iterable[str], bus: Any = None) -> None:
        self.store = store
        self.clock = clock
        self.known = set(known_bots)
        self.bus = bus

    def _check(self, bot: str) -> None:
        if bot not in self.known:
            raise ControlError(f"unknown bot {bot!r}: see the bots table (or /bots) for names")

    def _set(self, scope: str, actor: str, **flags: Any) -> ControlState:
        state: ControlState = self.store.set_control(scope, actor=actor, ts_ns=self.clock.now_ns(), **flags)
        if self.bus is not None:
            self.bus.publish(Topic.CONTROL, state)
        return state

    def pause(self, bot: str | None, actor: str, reason: str = "") -> ControlState:
        """Pause one bot, or the whole fleet when ``bot`` is None."""
        if bot:
            self._check(bot)
        return self._set(bot_scope(bot) if bot else FLEET, actor, paused=True,
                         reason=reason or "paused by operator")

    def resume(self, bot: str | None, actor: str) -> ControlState:
        """Resume one bot, or the fleet (clearing its pause and its halt)."""
        if bot:
            self._check(bot)
            return self._set(bot_scope(bot), actor, paused=False, reason="resumed by operator")
        return self._set(FLEET, actor, paused=False, halted=False, reason="resumed by operator")

    def resume_fleet(self, fleet: str, actor: str) -> ControlState:
        """Resume one fleet (a family or a ``[risk] fleet_of`` name): a running engine lifts
        its daily-loss hold at the next control poll and re-bases its budget."""
        if not fleet.strip() or ":" in fleet:
            raise ControlError(f"{fleet!r} is not a fleet name")
        return self._set(f"fleet:{fleet.strip()}", actor, paused=False, halted=False, reason="resumed by operator")

    def halt(self, reason: str, actor: str) -> ControlState:
        """Halt the fleet: no new exposure anywhere; exits still pass."""
        if not reason.strip():
            raise ControlError("a halt needs a reason, e.g. 'halt broker outage'")
        return self._set(FLEET, actor, halted=True, reason=reason.strip())

    def force_exit(self, bot: str, instrument: str, actor: str, reason: str = "") -> ControlState:
        """Ask the engine to close ``bot``'s position in ``instrument`` at its next bar
        (a reduce-only market order, stored with the reason ``force_exit``)."""
        self._check(bot)
        held = [p for p in self.store.positions(bot) if p.instrument == instrument and p.quantity]
        if not held:
            raise ControlError(f"bot {bot!r} holds no position in {instrument!r}: see GET /api/v1/positions")
        return self._set(exit_scope(bot, instrument), actor, paused=True,
                         reason=reason.strip() or "force exit by operator")
