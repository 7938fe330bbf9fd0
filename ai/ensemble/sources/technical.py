"""Price-based sources: technical (RSI, MACD, Bollinger) and multi-timeframe agreement."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from tradefleet.ai.ensemble.indicators import bollinger_pct_b, macd, rsi
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

    @classmethod
    def build(cls, services: Services) -> TechnicalSource:
        return cls()

    def vote(self, ctx: SourceContext) -> Vote:
        c = ctx.closes
        if c.size < MACD_MIN_BARS:
            return Vote.abstained(self.name, f"insufficient history: {c.size} bars < {MACD_MIN_BARS}")
        _, hist = macd(c)
        spread = float(np.std(hist[-50:]))
        macd_c = float(np.tanh(hist[-1] / spread)) if spread > 0 else 0.0
        r = rsi(c)
        rsi_c = (30.0 - r) / 30.0 if r < 30 else -(r - 70.0) / 30.0 if r > 70 else 0.0
        pb = bollinger_pct_b(c)
        bb_c = float(np.clip(-pb, 0, 1)) if pb < 0 else float(-np.clip(pb - 1.0, 0, 1)) if pb > 1 else 0.0
        parts = np.array([macd_c, rsi_c, bb_c])
        score = float(np.clip(0.5 * macd_c + 0.25 * rsi_c + 0.25 * bb_c, -1, 1))
        nz = np.sign(parts[parts != 0])
        agreement = abs(nz.sum()) / nz.size if nz.size else 0.0
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

    @classmethod
    def build(cls, services: Services) -> MultiTimeframeSource:
        return cls(services.config.ensemble.mtf_factors)

    def vote(self, ctx: SourceContext) -> Vote:
        dirs: dict[str, int] = {}
        for f in self.factors:
            series = ctx.closes[::-1][::f][::-1]  # every f-th close, ending at the last one
            if series.size < 26 + 10:
                continue
            line, _ = macd(series)
            dirs[f"x{f}"] = int(np.sign(line[-1]))
        if len(dirs) < 3:
            return Vote.abstained(self.name, f"insufficient history: {len(dirs)} timeframes < 3", timeframes=dirs)
        up = sum(1 for d in dirs.values() if d > 0)
        down = sum(1 for d in dirs.values() if d < 0)
        n = len(dirs)
        if max(up, down) >= 3:
            sign = 1 if up > down else -1
            return Vote(self.name, sign * max(up, down) / n, max(up, down) / n, detail={"timeframes": dirs})
        return Vote(self.name, (up - down) / n, 0.25, detail={"timeframes": dirs})
