"""Quarter-Kelly sizing from measured outcomes, shrunk toward a prior.

The Kelly fraction for a bet won with probability ``p`` that pays ``b`` times what it
risks is ``f* = p - (1 - p) / b``. tradefleet sizes at ``fraction * f*`` (quarter Kelly by
default), never below zero and never above ``cap``.

Estimates are shrunk hierarchically: a bot's win rate and payoff ratio are pulled toward
the configured prior with ``prior_trades`` pseudo-trades, and a bot x instrument pair is
pulled toward its bot's estimate the same way, so a pair with few trades inherits its
bot's record and a new bot inherits the prior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradefleet.risk.config import KellyConfig


def kelly_fraction(win_rate: float, payoff: float) -> float:
    """Return the full Kelly fraction ``p - (1 - p) / b`` (may be negative)."""
    if payoff <= 0:
        raise ValueError(f"payoff ratio must be positive, got {payoff}")
    return win_rate - (1.0 - win_rate) / payoff


@dataclass
class OutcomeStats:
    """Running record of closed trades: counts and summed win / loss sizes."""

    wins: int = 0
    losses: int = 0
    sum_win: float = 0.0
    sum_loss: float = 0.0

    @property
    def n(self) -> int:
        return self.wins + self.losses

    def add(self, pnl: float) -> None:
        """Record one closed trade's P&L (zero counts as a loss: it earned nothing)."""
        if pnl > 0:
            self.wins += 1
            self.sum_win += pnl
        else:
            self.losses += 1
            self.sum_loss += -pnl

    def payoff(self) -> float | None:
        """Return average win / average loss, or None while either side is missing."""
        if self.wins == 0 or self.losses == 0 or self.sum_loss <= 0:
            return None
        return (self.sum_win / self.wins) / (self.sum_loss / self.losses)


def shrink(stats: OutcomeStats, prior_p: float, prior_b: float, k: float) -> tuple[float, float]:
    """Return (win rate, payoff) shrunk toward (``prior_p``, ``prior_b``) by ``k`` pseudo-trades."""
    n = stats.n
    p = (stats.wins + k * prior_p) / (n + k) if n + k > 0 else prior_p
    measured_b = stats.payoff()
    if measured_b is None:
        return p, prior_b
    b = (n * measured_b + k * prior_b) / (n + k)
    return p, b


class KellySizer:
    """Track outcomes per bot and per bot x instrument; return capped fractional Kelly."""

    def __init__(self, config: KellyConfig) -> None:
        self.config = config
        self._bot: dict[str, OutcomeStats] = {}
        self._pair: dict[tuple[str, str], OutcomeStats] = {}

    def record(self, bot: str, instrument: str, pnl: float) -> None:
        """Record a closed trade of ``bot`` on ``instrument``."""
        self._bot.setdefault(bot, OutcomeStats()).add(pnl)
        self._pair.setdefault((bot, instrument), OutcomeStats()).add(pnl)

    def estimates(self, bot: str, instrument: str) -> tuple[float, float, int]:
        """Return the shrunk (win rate, payoff, trades) for this bot on this instrument."""
        cfg = self.config
        bot_stats = self._bot.get(bot, OutcomeStats())
        p_bot, b_bot = shrink(bot_stats, cfg.prior_win_rate, cfg.prior_payoff, cfg.prior_trades)
        pair = self._pair.get((bot, instrument), OutcomeStats())
        p, b = shrink(pair, p_bot, b_bot, cfg.prior_trades)
        return p, b, pair.n

    def fraction(self, bot: str, instrument: str) -> float:
        """Return the equity fraction to commit: ``clip(fraction * f*, 0, cap)``."""
        p, b, _ = self.estimates(bot, instrument)
        f = self.config.fraction * kelly_fraction(p, b)
        return min(max(f, 0.0), self.config.cap)

    def relative(self, bot: str, instrument: str) -> float:
        """Return the Kelly fraction relative to the prior's (1.0 = the prior's edge), in [0, 1]:
        how much of its capital budget a bot's measured edge lets it use."""
        cfg = self.config
        prior = min(max(cfg.fraction * kelly_fraction(cfg.prior_win_rate, cfg.prior_payoff), 0.0), cfg.cap)
        return min(self.fraction(bot, instrument) / prior, 1.0) if prior > 0 else 1.0

    def to_dict(self) -> dict[str, Any]:
        """Return the records as JSON-ready data (for persistence)."""
        def rec(s: OutcomeStats) -> list[float]:
            return [s.wins, s.losses, s.sum_win, s.sum_loss]

        return {"bots": {b: rec(s) for b, s in self._bot.items()},
                "pairs": {f"{b}|{i}": rec(s) for (b, i), s in self._pair.items()}}

    def load(self, data: dict[str, Any]) -> None:
        """Restore records saved by :meth:`to_dict`."""
        for b, r in data.get("bots", {}).items():
            self._bot[b] = OutcomeStats(int(r[0]), int(r[1]), float(r[2]), float(r[3]))
        for key, r in data.get("pairs", {}).items():
            b, _, i = key.partition("|")
            self._pair[(b, i)] = OutcomeStats(int(r[0]), int(r[1]), float(r[2]), float(r[3]))

    def stats(self, bot: str) -> OutcomeStats:
        """Return the bot's raw record (a copy)."""
        s = self._bot.get(bot, OutcomeStats())
        return OutcomeStats(s.wins, s.losses, s.sum_win, s.sum_loss)
