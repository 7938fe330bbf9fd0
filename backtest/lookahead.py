"""Lookahead check: a bot's signals on truncated history must equal its full-history signals.

For each checkpoint bar *t* the bot computes on ``frame[:t+1]``; every row of that output
is compared with the full-history output at the same bars (signal columns only, NaN equal
to NaN, relative tolerance 1e-9). Any difference means row values depended on later bars;
the report names the earliest differing bar over all checkpoints and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.orchestrator.bot import SIGNAL_COLUMNS, Bot

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class LookaheadReport:
    """The outcome of a lookahead check."""

    bot: str
    clean: bool
    checkpoints: int
    first_bar: str | None = None       # ISO timestamp of the earliest differing bar
    first_index: int | None = None
    column: str | None = None
    truncated_at: str | None = None    # the checkpoint whose truncated run differed
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _first_diff(a: np.ndarray, b: np.ndarray) -> int | None:
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        same = both_nan | np.isclose(a, b, rtol=1e-9, atol=1e-12)
    bad = np.flatnonzero(~same)
    return int(bad[0]) if len(bad) else None


def checkpoints(n: int, warmup: int, count: int) -> list[int]:
    """Return ``count`` truncation bars spread from just after warmup to the last bar."""
    lo = min(max(warmup, 1), n - 1)
    return sorted({int(x) for x in np.linspace(lo, n - 1, count)})


def check_lookahead(bot: Bot, frame: pd.DataFrame, name: str = "", count: int = 12) -> LookaheadReport:
    """Compare truncated-frame signals with full-history signals at ``count`` checkpoints."""
    label = name or type(bot).__name__
    full = bot.compute(frame)
    cols = [c for c in SIGNAL_COLUMNS if c in full.columns]
    full_vals = {c: full[c].to_numpy(dtype=np.float64) for c in cols}
    points = checkpoints(len(frame), bot.warmup_bars(), count)
    best: tuple[int, str, int] | None = None
    for t in points:
        part = bot.compute(frame.iloc[: t + 1])
        for c in cols:
            if c not in part.columns:
                i = 0
            else:
                d = _first_diff(part[c].to_numpy(dtype=np.float64), full_vals[c][: t + 1])
                if d is None:
                    continue
                i = d
            if best is None or i < best[0]:
                best = (i, c, t)
    if best is None:
        return LookaheadReport(label, True, len(points))
    i, c, t = best
    ts, cut = frame.index[i].isoformat(), frame.index[t].isoformat()
    return LookaheadReport(label, False, len(points), ts, i, c, cut,
                           f"{label}: column {c!r} at bar {i} ({ts}) differs when history is cut at {cut}")


def lookahead_warning(report: LookaheadReport | dict[str, Any] | None) -> str | None:
    """A one-line warning for a bot whose lookahead check failed (None when clean or unknown)."""
    if report is None:
        return None
    d = report if isinstance(report, dict) else report.as_dict()
    if not d or d.get("clean", True):
        return None
    where = d.get("first_bar") or (f"bar {d['first_index']}" if d.get("first_index") is not None else "an unknown bar")
    col = f" (column {d['column']})" if d.get("column") else ""
    return (f"warning: {d.get('bot', '?')} fails the lookahead check: its signal at {where}{col} changes when later"
            " bars are removed; its results use future data and are not trustworthy")


def stored_lookahead_warnings(store_url: str, bots: list[str]) -> list[str]:
    """Warnings for ``bots`` whose latest stored validation found lookahead (reads an existing
    store only; a store that does not exist yet has no validations)."""
    from pathlib import Path

    if store_url.startswith("sqlite:///") and not Path(store_url.removeprefix("sqlite:///")).exists():
        return []
    from tradefleet.backtest.records import SqlValidationStore

    try:
        vs = SqlValidationStore.from_url(store_url)
    except Exception:  # an unreadable store is reported by the run itself
        return []
    out = []
    for bot in bots:
        rec = vs.latest(bot)
        msg = lookahead_warning({**rec.lookahead, "bot": bot}) if rec is not None and rec.lookahead else None
        if msg:
            out.append(msg + " (from its last 'tradefleet validate')")
    vs.engine.dispose()
    return out
