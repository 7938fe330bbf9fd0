"""Bar-quality checks beyond the frame contract: gaps, duplicates, order, outliers, zero or
negative prices and a stale last bar, reported as :class:`Finding` rows.

Errors make a frame unusable (the chain then asks the next source); warnings are kept on
the answer. A lone large move is only a warning (real markets jump: EUR/USD gapped 25
robust sigmas on 2017-04-23); a spike that reverts at once (a bad tick) is an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.duration import parse_timeframe
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.frames import OHLCV

if TYPE_CHECKING:
    import pandas as pd

DAY_NS = 86_400 * NS


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a bar frame; ``row`` is 1-based like the error messages."""

    kind: Literal["order", "duplicate", "missing", "price", "ohlc", "gap", "outlier", "jump", "stale", "empty"]
    severity: Literal["error", "warning"]
    row: int | None
    ts: str | None
    detail: str

    def message(self, source: str) -> str:
        where = f" at row {self.row} ({self.ts})" if self.row is not None else ""
        return f"{source}: {self.kind}{where}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def allowed_gap_ns(tf: str) -> int:
    """Longest normal spacing: weekends and holidays for daily bars, overnight for intraday."""
    step = parse_timeframe(tf).ns
    if step < DAY_NS:
        return max(10 * step, 4 * DAY_NS)
    if step == DAY_NS:
        return 8 * DAY_NS  # the 2001 NYSE closure lasted 6 sessions
    return int(step * 2.5)


def stale_after_ns(tf: str, stale_bars: float) -> int:
    """How old the last bar may be before it is stale (weekends allowed for daily or slower bars)."""
    step = parse_timeframe(tf).ns
    extra = 3 * DAY_NS if step >= DAY_NS else 0
    return int(stale_bars * step) + extra


def check_bars(frame: pd.DataFrame, tf: str, *, now_ns: int | None = None, outlier_sigma: float = 8.0,
               stale_bars: float = 3.0, max_gap_ns: int | None = None) -> list[Finding]:
    """Return every finding on ``frame`` (a bar frame of timeframe ``tf``), errors first."""
    if len(frame) == 0:
        return [Finding("empty", "error", None, None, "no bars")]
    idx = frame.index
    ns = idx.as_unit("ns").asi8
    out: list[Finding] = []

    def add(kind: Any, sev: Any, i: int | None, detail: str) -> None:
        out.append(Finding(kind, sev, None if i is None else i + 1, None if i is None else str(idx[i]), detail))

    step = np.diff(ns)
    for i in np.flatnonzero(step < 0)[:5]:
        add("order", "error", int(i) + 1, f"{idx[i + 1]} comes after {idx[i]}")
    for i in np.flatnonzero(step == 0)[:5]:
        add("duplicate", "error", int(i) + 1, "timestamp repeated")
    values = frame[list(OHLCV)].to_numpy(dtype="float64")
    for i in np.flatnonzero(~np.isfinite(values).all(axis=1))[:5]:
        add("missing", "error", int(i), "missing value")
    for i in np.flatnonzero((values[:, :4] <= 0).any(axis=1))[:5]:
        add("price", "error", int(i), f"zero or negative price (close {values[i, 3]})")
    o, h, lo, c = (values[:, k] for k in range(4))
    bad = (h < lo) | (o > h) | (o < lo) | (c > h) | (c < lo)
    for i in np.flatnonzero(bad)[:5]:
        add("ohlc", "error", int(i), "high/low do not contain open/close")
    gap = allowed_gap_ns(tf) if max_gap_ns is None else max_gap_ns
    for i in np.flatnonzero(step > gap)[:5]:
        add("gap", "error", int(i) + 1, f"{(step[i]) / DAY_NS:.2f} days since the previous bar (at most {gap / DAY_NS:.2f})")
    out.extend(_outliers(frame, c, outlier_sigma))
    if now_ns is not None and now_ns - int(ns[-1]) > stale_after_ns(tf, stale_bars):
        age = (now_ns - int(ns[-1])) / NS / 3600
        add("stale", "error", len(ns) - 1, f"last bar is {age:.1f} h old at now (a {tf} bar; "
            f"at most {stale_after_ns(tf, stale_bars) / NS / 3600:.1f} h)")
    return sorted(out, key=lambda f: (f.severity != "error", f.row or 0))


def _outliers(frame: pd.DataFrame, close: np.ndarray, sigma: float) -> list[Finding]:
    """Robust z of log returns (median/MAD): a reverting spike is an error, a lone jump a warning."""
    ok = np.isfinite(close) & (close > 0)
    if ok.sum() < 20 or not ok.all():
        return []
    d = np.diff(np.log(close))
    med = float(np.median(d))
    mad = 1.4826 * float(np.median(np.abs(d - med)))
    if mad <= 0:
        return []
    z = (d - med) / mad
    big = np.abs(z) > sigma
    idx = frame.index
    out: list[Finding] = []
    spike = np.zeros_like(big)
    spike[:-1] = big[:-1] & big[1:] & (np.sign(z[:-1]) != np.sign(z[1:])) & (np.abs(d[:-1] + d[1:]) < 0.25 * np.abs(d[:-1]))
    for i in np.flatnonzero(spike)[:5]:
        out.append(Finding("outlier", "error", int(i) + 2, str(idx[i + 1]),
                           f"close {close[i + 1]:g} jumps {z[i]:+.1f} sigma and reverts {z[i + 1]:+.1f} sigma (bad tick)"))
    jumps = big & ~spike
    jumps[1:] &= ~spike[:-1]
    for i in np.flatnonzero(jumps)[:5]:
        out.append(Finding("jump", "warning", int(i) + 2, str(idx[i + 1]),
                           f"log return {d[i]:+.4f} is {z[i]:+.1f} robust sigma"))
    return out


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def ensure_valid(frame: pd.DataFrame, tf: str, source: str, **kw: Any) -> list[Finding]:
    """Raise DataError on the first error finding; return the warnings."""
    found = check_bars(frame, tf, **kw)
    errs = errors(found)
    if errs:
        more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
        raise DataError(errs[0].message(source) + more)
    return found
