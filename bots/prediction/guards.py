"""Quote sanity checks before a prediction bot acts on a price: VWAP, drift and spike.

Each bot instance keeps a short history of every contract's quotes. A price is *tradable*
when it is close to the size-weighted average of recent mids (VWAP), has not drifted far
over the window, and did not just jump away from the recent median (spike).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from operator import mul

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
    _mids: dict[str, tuple[deque[float], deque[float]]] = field(default_factory=dict)  # mids, sizes

    def observe(self, q: BinaryQuote) -> None:
        """Record a quote (mid and its displayed size)."""
        hist = self._mids.get(q.symbol)
        if hist is None:
            n = self.limits.window
            hist = self._mids[q.symbol] = (deque(maxlen=n), deque(maxlen=n))
        w = q.bid_size + q.ask_size
        hist[0].append((q.yes_bid + q.yes_ask) / 2.0)
        hist[1].append(w if w > 1.0 else 1.0)

    def check(self, q: BinaryQuote) -> str | None:
        """Return why ``q`` is not tradable (``"vwap"``, ``"drift"``, ``"spike"``), or None.

        Uses the history *before* ``q``; call :meth:`observe` afterwards.
        """
        hist = self._mids.get(q.symbol)
        lim = self.limits
        if hist is None or len(hist[0]) < lim.min_history:
            return None
        mids, weights = hist
        mid = (q.yes_bid + q.yes_ask) / 2.0
        s = sorted(mids)
        n = len(s)
        med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0
        if abs(mid - med) > lim.max_spike:
            return "spike"
        if abs(mid - mids[0]) > lim.max_drift:
            return "drift"
        if abs(mid - sum(map(mul, mids, weights)) / sum(weights)) > lim.max_vwap_dev:
            return "vwap"
        return None
