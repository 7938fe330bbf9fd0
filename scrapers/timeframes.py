"""Bar timeframes: ``1m 5m 15m 30m 1h 4h 1d 1w 1mo`` and their lengths."""

from __future__ import annotations

import re

from orchestrator.clock import NS
from orchestrator.errors import DataError

_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
_RX = re.compile(r"^(\d+)(mo|m|h|d|w)$")
MONTH_NS = int(30.4375 * 86_400) * NS  # mean month: only for spacing checks, never for bucketing


def parse(tf: str) -> tuple[int, str]:
    """Split ``"4h"`` into ``(4, "h")``; raise DataError on anything else."""
    m = _RX.match(tf.strip().lower())
    if not m or int(m.group(1)) <= 0:
        raise DataError(f"bad timeframe {tf!r}: use e.g. 1m, 5m, 1h, 4h, 1d, 1w, 1mo")
    return int(m.group(1)), m.group(2)


def length_ns(tf: str) -> int:
    """Nominal bar length in ns (a month counts 30.4375 days)."""
    n, unit = parse(tf)
    return n * MONTH_NS if unit == "mo" else n * _UNITS[unit] * NS


def pandas_rule(tf: str) -> str:
    """The pandas resample rule whose buckets end at bar close times (weeks end Sunday 00:00 UTC)."""
    n, unit = parse(tf)
    return {"m": f"{n}min", "h": f"{n}h", "d": f"{n}D", "w": f"{n}W-SUN", "mo": f"{n}MS"}[unit]


def normalize(tf: str) -> str:
    n, unit = parse(tf)
    return f"{n}{unit}"
