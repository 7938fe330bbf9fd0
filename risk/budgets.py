"""Capital budgets: how much of an account's equity each fleet and each bot may use.

* A fleet's budget is ``[risk.fleets.<name>].capital_pct`` of account equity; fleets
  without one share what is left in proportion to their number of running bots (so by
  default every running bot starts with an equal share of the account).
* A gate used outside a kernel (nothing declared running) gives each bot
  ``[risk].position_pct`` of equity.
* A bot's budget is ``[risk.bots.<name>].capital_pct`` of account equity when set, else
  its fleet's budget times its weight in the fleet. Weights are equal until the fleet's
  allocator (the Thompson controller, :mod:`tradefleet.bots.fleet.gate`) sets them; they sum to 1
  over the fleet's running bots, so the bots' budgets sum to the fleet's.

The risk gate sizes an entry as the bot's budget times one *intensity* in [0, 1]: the
strongest cut among Kelly (measured edge relative to the prior's), HRP, regime, the
losing-streak cut and upstream resizes. The factors no longer multiply: a bot at its
prior edge in a calm regime uses its whole budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class CapitalBudgets:
    """Fleet and bot capital budgets as fractions of account equity."""

    def __init__(self, fleet_pct: dict[str, float] | None = None, bot_pct: dict[str, float] | None = None,
                 default_pct: float = 1.0) -> None:
        self.fleet_pct = dict(fleet_pct or {})
        self.default_pct = default_pct
        self.bot_pct = dict(bot_pct or {})
        self._members: dict[str, list[str]] = {}
        self._fleet_of: dict[str, str] = {}
        self._weights: dict[str, dict[str, float]] = {}
        self._fleet_frac: dict[str, float] = {}

    def set_running(self, fleet_of: dict[str, str]) -> None:
        """Declare the running bots and their fleets (the kernel calls this once it has built them)."""
        self._fleet_of = dict(fleet_of)
        self._members = {}
        for bot, fleet in sorted(fleet_of.items()):
            self._members.setdefault(fleet, []).append(bot)
        fixed = {f: p for f, p in self.fleet_pct.items() if f in self._members}
        left = max(0.0, 1.0 - sum(fixed.values()))
        free = {f: len(m) for f, m in self._members.items() if f not in fixed}
        total = sum(free.values())
        self._fleet_frac = {**fixed, **{f: left * n / total for f, n in free.items()}} if total else dict(fixed)

    @property
    def known(self) -> bool:
        return bool(self._fleet_of)

    def members(self, fleet: str) -> list[str]:
        return list(self._members.get(fleet, []))

    def fleets(self) -> list[str]:
        return sorted(self._members)

    def fleet_fraction(self, fleet: str) -> float:
        """Return the fleet's budget as a fraction of account equity."""
        return self._fleet_frac.get(fleet, 0.0)

    def set_weights(self, fleet: str, weights: dict[str, float]) -> None:
        """Set the fleet's allocation between its running bots (normalised to sum 1)."""
        running = {b: max(float(w), 0.0) for b, w in weights.items() if b in self._members.get(fleet, ())}
        total = sum(running.values())
        if total > 0:
            self._weights[fleet] = {b: w / total for b, w in running.items()}

    def weight(self, bot: str, fleet: str) -> float:
        """Return the bot's share of its fleet's budget."""
        w = self._weights.get(fleet)
        if w is not None:
            return w.get(bot, 0.0)
        members = self._members.get(fleet, ())
        return 1.0 / len(members) if bot in members else 0.0

    def bot_fraction(self, bot: str, fleet: str) -> float:
        """Return the bot's budget as a fraction of account equity (``default_pct`` when no
        running bots were declared: a gate used outside a kernel)."""
        if bot in self.bot_pct:
            return self.bot_pct[bot]
        if not self.known:
            return self.default_pct
        if bot not in self._fleet_of:  # not declared running (an ad-hoc signal): its fleet's equal share
            members = self._members.get(fleet, [])
            return self.fleet_fraction(fleet) / (len(members) + 1) if members else 0.0
        return self.fleet_fraction(fleet) * self.weight(bot, fleet)

    def report(self, equity: float, gross_bot: dict[str, float] | None = None) -> dict[str, Any]:
        """Return every fleet's and bot's budget (fraction and currency) and use."""
        gross_bot = gross_bot or {}
        fleets: dict[str, Any] = {}
        for fleet in self.fleets():
            bots = {b: {"fraction": self.bot_fraction(b, fleet), "capital": self.bot_fraction(b, fleet) * equity,
                        "weight": self.weight(b, fleet), "gross": gross_bot.get(b, 0.0)}
                    for b in self.members(fleet)}
            fleets[fleet] = {"fraction": self.fleet_fraction(fleet), "capital": self.fleet_fraction(fleet) * equity,
                             "bots": bots}
        return fleets


def declared(config: Any, bots: Iterable[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Return the configured fleet and bot ``capital_pct`` overrides."""
    fleets = {f: s.capital_pct for f, s in config.fleets.items() if getattr(s, "capital_pct", None) is not None}
    per_bot = {b: s.capital_pct for b, s in config.bots.items() if getattr(s, "capital_pct", None) is not None}
    return fleets, per_bot
