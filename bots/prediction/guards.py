"""Quote sanity checks before a prediction bot acts on a price: VWAP, drift and spike.

Each bot instance keeps a short history of every contract's quotes. A price is *tradable*
when it is close to the size-weighted average of recent mids (VWAP), has not drifted far
over the window, and did not just jump away from the recent median (spike).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from statistics import median

from tradefleet.bots.prediction.market import BinaryQuote


@dataclass(frozen=True)
class GuardLimits:
    """Thresholds in dollars per contract; ``window`` is the number of ticks remembered."""

    window: int = 6
    max_vwap_dev: float = 0.08
    max_drift: float = 0.15
    max_spike: float = 0.10
    min_history: int = 1


@dataclass
class QuoteGuard:
    """Rolling per-contract quote history and the three checks."""

    limits: GuardLimits = field(default_factory=GuardLimits)
    _mids: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)

    def observe(self, q: BinaryQuote) -> None:
        """Record a quote (mid and its displayed size)."""
        hist = self._mids.setdefault(q.symbol, deque(maxlen=self.limits.window))
        hist.append((q.mid, max(q.bid_size + q.ask_size, 1.0)))

    def check(self, q: BinaryQuote) -> str | None:
        """Return why ``q`` is not tradable (``"vwap"``, ``"drift"``, ``"spike"``), or None.

        Uses the history *before* ``q``; call :meth:`observe` afterwards.
        """
        hist = self._mids.get(q.symbol)
        if hist is None or len(hist) < self.limits.min_history:
            return None
        mids = [m for m, _ in hist]
        weight = sum(w for _, w in hist)
        vwap = sum(m * w for m, w in hist) / weight
        if abs(q.mid - median(mids)) > self.limits.max_spike:
            return "spike"
        if abs(q.mid - mids[0]) > self.limits.max_drift:
            return "drift"
        if abs(q.mid - vwap) > self.limits.max_vwap_dev:
            return "vwap"
        return None
