"""Blockers and responses: contradictory positions, re-entry cooldown, losing streaks.

* **Contradictory positions.** Every held position maps to an underlying
  (:func:`tradefleet.risk.tickers.underlying`). A new entry is blocked when any *other* position
  (another bot, or another instrument of the same underlying) holds the opposite sign:
  a long and a short on one underlying, or two thresholds of one event held in opposite
  directions, partly cancel and only pay fees.
* **Re-entry cooldown.** After a bot exits an underlying it may not re-enter it for
  ``cooldown_minutes`` (clock time).
* **Losing streak.** After ``loss_streak`` consecutive losing trades a bot's size is
  multiplied by ``loss_streak_scale`` until it records ``recover_wins`` consecutive wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tradefleet.orchestrator.clock import NS
from tradefleet.risk.config import BlockersConfig
from tradefleet.risk.tickers import underlying


@dataclass
class _Streak:
    losses: int = 0
    wins: int = 0
    cut: bool = False


class Blockers:
    """The state behind the blockers, fed by exits and trade outcomes."""

    def __init__(self, config: BlockersConfig) -> None:
        self.config = config
        self._cooldown_ns = int(config.cooldown_minutes * 60 * NS)
        self._until: dict[tuple[str, str], int] = {}
        self._streaks: dict[str, _Streak] = {}

    # -- contradictory positions ----------------------------------------------------
    def contradiction(self, bot: str, instrument: str, sign: int,
                      holders: Iterable[tuple[str, str, int]]) -> tuple[str, str] | None:
        """Return the (bot, instrument) of a held position opposing this entry, if any.

        ``holders`` are (bot, instrument, sign) of the positions on the same underlying."""
        if not self.config.block_contradictory:
            return None
        for other_bot, other_inst, other_sign in holders:
            if other_sign == -sign and (other_bot, other_inst) != (bot, instrument):
                return other_bot, other_inst
        return None

    # -- cooldown -------------------------------------------------------------------
    def on_exit(self, bot: str, instrument: str, now_ns: int) -> None:
        """Start the re-entry cooldown of ``bot`` on ``instrument``'s underlying."""
        if self._cooldown_ns:
            self._until[(bot, underlying(instrument))] = now_ns + self._cooldown_ns

    def cooldown_left(self, bot: str, instrument: str, now_ns: int) -> float:
        """Return the seconds of cooldown left (0 when free to enter)."""
        until = self._until.get((bot, underlying(instrument)))
        if until is None:
            return 0.0
        if now_ns >= until:
            del self._until[(bot, underlying(instrument))]
            return 0.0
        return (until - now_ns) / NS

    # -- losing streak --------------------------------------------------------------
    def record_outcome(self, bot: str, pnl: float) -> None:
        """Record a closed trade's P&L for ``bot``'s streak."""
        s = self._streaks.setdefault(bot, _Streak())
        if pnl > 0:
            s.losses, s.wins = 0, s.wins + 1
            if s.cut and s.wins >= self.config.recover_wins:
                s.cut = False
        else:
            s.wins, s.losses = 0, s.losses + 1
            if s.losses >= self.config.loss_streak:
                s.cut = True

    def size_multiplier(self, bot: str) -> float:
        """Return ``loss_streak_scale`` while the bot's cut is in force, else 1."""
        s = self._streaks.get(bot)
        return self.config.loss_streak_scale if s is not None and s.cut else 1.0

    def to_dict(self) -> dict[str, Any]:
        """Return cooldowns and streaks as JSON-ready data (for persistence)."""
        return {"cooldowns": {f"{b}|{u}": t for (b, u), t in self._until.items()},
                "streaks": {b: [s.losses, s.wins, s.cut] for b, s in self._streaks.items()}}

    def load(self, data: dict[str, Any]) -> None:
        """Restore state saved by :meth:`to_dict`."""
        for key, until in data.get("cooldowns", {}).items():
            b, _, u = key.partition("|")
            self._until[(b, u)] = int(until)
        for b, (losses, wins, cut) in data.get("streaks", {}).items():
            self._streaks[b] = _Streak(int(losses), int(wins), bool(cut))

    def report(self, now_ns: int) -> dict[str, Any]:
        """Return cooldowns and size cuts in force."""
        cooldowns = [{"bot": b, "underlying": u, "seconds_left": (t - now_ns) / NS}
                     for (b, u), t in sorted(self._until.items()) if t > now_ns]
        cuts = [{"bot": b, "consecutive_losses": s.losses, "scale": self.config.loss_streak_scale}
                for b, s in sorted(self._streaks.items()) if s.cut]
        return {"cooldowns": cooldowns, "size_cuts": cuts}
