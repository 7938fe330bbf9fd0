"""Capital utilisation: how much of the account's equity the bots actually use.

Sampled at every equity snapshot (once per simulated day in a replay): gross exposure
(sum of |quantity x mark|) per bot, per fleet and for the account, divided by equity.
The report averages the samples and counts the entry signals, the entries the risk
gate refused for size (``size_below_lot``: the budget's share rounds below one lot) and,
apart, those refused because the bot's measured Kelly edge is not positive (``no_edge``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

SIZE_REFUSALS = ("size_below_lot",)


class CapitalUse:
    """Running averages of gross exposure / equity, and size-refusal counts."""

    def __init__(self) -> None:
        self.samples = 0
        self._account = 0.0
        self._bot: dict[str, float] = defaultdict(float)
        self._fleet: dict[str, float] = defaultdict(float)
        self.entries: dict[str, int] = defaultdict(int)
        self.size_refused: dict[str, int] = defaultdict(int)
        self.no_edge: dict[str, int] = defaultdict(int)

    def on_decision(self, bot: str, entry: bool, outcome: str) -> None:
        """Count one judged signal (``outcome`` as stored, e.g. ``rejected:risk:size_below_lot``)."""
        if not entry:
            return
        self.entries[bot] += 1
        reason = outcome.rsplit(":", 1)[-1]
        if reason in SIZE_REFUSALS:
            self.size_refused[bot] += 1
        elif reason == "no_edge":
            self.no_edge[bot] += 1

    def sample(self, holdings: Iterable[tuple[str, float]], equity: float, fleet_of: Callable[[str], str]) -> None:
        """Record one snapshot: ``holdings`` are (bot, |notional|) pairs."""
        if equity <= 0:
            return
        self.samples += 1
        fleets: dict[str, float] = defaultdict(float)
        total = 0.0
        for bot, gross in holdings:
            self._bot[bot] += gross / equity
            fleets[fleet_of(bot)] += gross / equity
            total += gross / equity
        for fleet, g in fleets.items():
            self._fleet[fleet] += g
        self._account += total

    def report(self, budget_of: Callable[[str], float] | None = None, bots_running: Iterable[str] = ()
               ) -> dict[str, Any]:
        """Return average gross exposure / equity per account, fleet and bot, and size refusals."""
        n = max(self.samples, 1)
        entries, refused = sum(self.entries.values()), sum(self.size_refused.values())
        bots: dict[str, Any] = {}
        for bot in sorted(set(self._bot) | set(self.entries) | set(bots_running)):
            use = self._bot.get(bot, 0.0) / n
            row: dict[str, Any] = {"avg_gross_of_equity": round(use, 6), "entry_signals": self.entries.get(bot, 0),
                                   "size_refusals": self.size_refused.get(bot, 0)}
            if budget_of is not None:
                budget = budget_of(bot)
                row["budget_of_equity"] = round(budget, 6)
                row["avg_use_of_budget"] = round(use / budget, 6) if budget > 0 else None
            bots[bot] = row
        return {
            "samples": self.samples,
            "account_avg_gross_of_equity": round(self._account / n, 6),
            "fleets": {f: round(v / n, 6) for f, v in sorted(self._fleet.items())},
            "bots": bots,
            "entry_signals": entries,
            "size_refusals": refused,
            "size_refusal_pct": round(100.0 * refused / entries, 3) if entries else 0.0,
            "no_edge_refusals": sum(self.no_edge.values()),
        }
