"""Price-based sources: technical (RSI, MACD, Bollinger) and multi-timeframe agreement."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from tradefleet.ai.ensemble.source import SourceContext, Vote

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services

MACD_MIN_BARS = 26 + 9 + 10


class TechnicalSource:
    """MACD histogram for trend (normalised by its recent spread), RSI and Bollinger %B
    for extremes (contrarian beyond 30/70 and outside the bands).

    score = 0.5 * macd + 0.25 * rsi + 0.25 * bollinger; confidence grows with the share
    of the non-zero components that agree."""

    name: ClassVar[str] = "technical"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self) -> None:
        self._last: dict[str, tuple[object, Vote]] = {}  # instrument -> (bar key, its vote)

    @classmethod
    def build(cls, services: Services) -> TechnicalSource:
        return cls()

    def vote(self, ctx: SourceContext) -> Vote:
        c = ctx.closes
        if c.size < MACD_MIN_BARS:
            return Vote.abstained(self.name, f"insufficient history: {c.size} bars < {MACD_MIN_BARS}")
        key = ctx.bar_key()  # the vote depends on the window's closes only: once per bar
        hit = self._last.get(ctx.signal.instrument) if key is not None else None
        if hit is not None and hit[0] == key:
            return hit[1]
        vote = self._vote(c)
        if key is not None:
            self._last[ctx.signal.instrument] = (key, vote)
        return vote

    def _vote(self, c: np.ndarray) -> Vote:
        from tradefleet.ai.ensemble.kernels import technical_nb

        # the indicators of ``indicators.py`` (MACD 12/26/9, RSI 14, Bollinger 20/2) in one pass
        h_last, spread, gain, loss, pb = technical_nb(np.asarray(c, dtype=np.float64))
        macd_c = float(np.tanh(h_last / spread)) if spread > 0 else 0.0
        r = _rsi(gain, loss)
        rsi_c = (30.0 - r) / 30.0 if r < 30 else -(r - 70.0) / 30.0 if r > 70 else 0.0
        # np.clip's values by min/max (NaN kept: it is the first argument)
        bb_c = float(min(-pb, 1.0)) if pb < 0 else float(-min(pb - 1.0, 1.0)) if pb > 1 else 0.0
        score = float(min(max(0.5 * macd_c + 0.25 * rsi_c + 0.25 * bb_c, -1.0), 1.0))
        # the share of the non-zero components that agree: |sum of their signs| / their count,
        # as np.sign(parts[parts != 0]) summed (a NaN component counts, and gives NaN), a numpy float
        signs = [_sign(x) for x in (macd_c, rsi_c, bb_c) if x != 0]
        agreement = np.float64(abs(sum(signs)) / len(signs)) if signs else 0.0
        return Vote(self.name, score, 0.5 + 0.5 * agreement,
                    detail={"macd": round(macd_c, 4), "rsi": round(r, 2), "pct_b": round(pb, 4)})


class MultiTimeframeSource:
    """The MACD line's sign on the bar timeframe and coarser ones (every 4th, 12th bar,
    aligned to the last bar). A strong vote needs 3 or more timeframes to agree."""

    name: ClassVar[str] = "mtf"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self, factors: list[int]) -> None:
        self.factors = sorted(set(factors))
        self._last: dict[str, tuple[object, Vote]] = {}  # instrument -> (bar key, its vote)

    @classmethod
    def build(cls, services: Services) -> MultiTimeframeSource:
        return cls(services.config.ensemble.mtf_factors)

    def vote(self, ctx: SourceContext) -> Vote:
        key = ctx.bar_key()  # the vote depends on the window's closes only: once per bar
        hit = self._last.get(ctx.signal.instrument) if key is not None else None
        if hit is not None and hit[0] == key:
            return hit[1]
        vote = self._vote(ctx)
        if key is not None:
            self._last[ctx.signal.instrument] = (key, vote)
        return vote

    def _vote(self, ctx: SourceContext) -> Vote:
        from tradefleet.ai.ensemble.kernels import macd_line_last_nb

        dirs: dict[str, int] = {}
        closes = np.asarray(ctx.closes, dtype=np.float64)
        n = closes.size
        for f in self.factors:
            # every f-th close, ending at the last one (closes[::-1][::f][::-1]), in the kernel
            if (n - 1) // f + 1 < 26 + 10 or n == 0:
                continue
            dirs[f"x{f}"] = int(np.sign(macd_line_last_nb(closes, f)))
        if len(dirs) < 3:
            return Vote.abstained(self.name, f"insufficient history: {len(dirs)} timeframes < 3", timeframes=dirs)
        up = sum(1 for d in dirs.values() if d > 0)
        down = sum(1 for d in dirs.values() if d < 0)
        n = len(dirs)
        if max(up, down) >= 3:
            sign = 1 if up > down else -1
            return Vote(self.name, sign * max(up, down) / n, max(up, down) / n, detail={"timeframes": dirs})
        return Vote(self.name, (up - down) / n, 0.25, detail={"timeframes": dirs})


def _sign(x: float) -> float:
    """``np.sign`` of a float: -1.0, 0.0 or 1.0, NaN for NaN."""
    return 1.0 if x > 0 else -1.0 if x < 0 else x


def _rsi(gain: float, loss: float) -> float:
    """Wilder's RSI from its gain and loss EMAs (as :func:`..indicators.rsi`)."""
    if gain != gain:  # fewer than 14 changes
        return float("nan")
    if loss == 0:
        return 100.0 if gain > 0 else 50.0
    return float(100.0 - 100.0 / (1.0 + gain / loss))
