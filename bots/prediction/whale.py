"""Whale tracker: large-order flow on a contract from its public trades, dampened.

Only trades of at least ``min_size`` contracts count. Each one pushes the estimate toward +1
(a YES taker: someone paid the ask for YES) or -1 (a NO taker) by a step that grows with its
size relative to ``min_size`` but is capped at ``max_step``: one order, however large, moves
the estimate by at most ``max_step``. Between trades the estimate decays toward 0 with
``half_life_s``. The result is in [-1, 1] and domain-free: it is computed for every contract
of every domain (weather, economics, sports, politics), carried in each snapshot as
``flow`` and shown by ``tradefleet markets``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from tradefleet.bots.prediction.market import Trade


@dataclass
class WhaleTracker:
    """Per-contract dampened estimate of large-order flow."""

    min_size: float = 250.0
    max_step: float = 0.2
    half_life_s: float = 3600.0
    estimate: dict[str, float] = field(default_factory=dict)
    _ts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.max_step <= 1 or self.min_size <= 0 or self.half_life_s <= 0:
            raise ValueError("whale tracker: need 0 < max_step <= 1, min_size > 0, half_life_s > 0")

    def _decayed(self, symbol: str, ts_ns: int) -> float:
        e = self.estimate.get(symbol, 0.0)
        last = self._ts.get(symbol)
        if last is None or ts_ns <= last:
            return e
        return e * math.pow(0.5, (ts_ns - last) / 1e9 / self.half_life_s)

    def observe(self, trade: Trade) -> float:
        """Take one trade into account; return the contract's new estimate."""
        e = self._decayed(trade.symbol, trade.ts_ns)
        if trade.size >= self.min_size:
            target = 1.0 if trade.taker_side == "yes" else -1.0
            weight = min(self.max_step, self.max_step * trade.size / (4.0 * self.min_size))
            e += weight * (target - e) / 2  # toward +-1; |target - e| <= 2, so |change| <= max_step
        self.estimate[trade.symbol] = max(-1.0, min(1.0, e))
        self._ts[trade.symbol] = max(self._ts.get(trade.symbol, trade.ts_ns), trade.ts_ns)
        return self.estimate[trade.symbol]

    def observe_all(self, trades: Iterable[Trade]) -> None:
        for t in sorted(trades, key=lambda t: t.ts_ns):
            self.observe(t)

    def at(self, symbol: str, ts_ns: int) -> float:
        """The estimate of ``symbol`` decayed to ``ts_ns``."""
        return self._decayed(symbol, ts_ns)
