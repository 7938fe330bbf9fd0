"""Macro source: risk-on/risk-off proxies from real series bundled with installed
packages: the VIX (arch, daily 2014-2019) and the Moody's BAA-AAA credit spread (arch,
monthly 1919-2018). Each value counts only once it would have been published: a daily
close from the next day, a monthly average 40 days after the month's first day. Outside
the series' coverage the source abstains rather than guess.
"""

from __future__ import annotations

import importlib.util
import math
from bisect import bisect_right
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from tradefleet.ai.ensemble.source import SourceContext, Vote
from tradefleet.orchestrator.clock import NS, ns_to_dt

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services

_DAY = 86_400 * NS
APPLIES_TO = frozenset({"equity", "index", "crypto", "option"})


def _arch_file(rel: str) -> Path:
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("arch is not installed")
    return Path(spec.submodule_search_locations[0]) / "data" / rel


@cache
def _series(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (available_at_ns, value) for a bundled macro series, sorted by time."""
    import pandas as pd

    if name == "vix":  # FRED-style files mark missing days with "."
        df = pd.read_csv(_arch_file("vix/vix.csv.gz"), na_values=["."]).dropna()
        stamp, values, lag = df["Date"], df["vix"], _DAY
    else:
        df = pd.read_csv(_arch_file("default/default.csv.gz"), na_values=["."]).dropna()
        stamp, values, lag = df["Date"], df["BAA"] - df["AAA"], 40 * _DAY
    ts = pd.DatetimeIndex(pd.to_datetime(stamp, format="%m/%d/%Y"))
    avail = ts.as_unit("ns").asi8 + lag  # naive dates read as UTC midnight
    order = np.argsort(avail, kind="stable")
    return avail[order], values.to_numpy(dtype=np.float64)[order]


@cache
def _published_at(name: str) -> list[int]:
    """The series' publication times as Python ints (for :func:`bisect.bisect_right`)."""
    return _series(name)[0].tolist()  # type: ignore[no-any-return]


def _known_count(name: str, now_ns: int, max_age_days: float) -> int:
    """How many values are published by now (``searchsorted(..., side="right")``); -1 if
    none or the latest is older than allowed."""
    avail = _published_at(name)
    n = bisect_right(avail, now_ns)
    if n == 0 or now_ns - avail[n - 1] > max_age_days * _DAY:
        return -1
    return n


def _known(name: str, now_ns: int, max_age_days: float) -> np.ndarray | None:
    """Return the values published by now, or None if the latest is older than allowed."""
    n = _known_count(name, now_ns, max_age_days)
    return None if n < 0 else _series(name)[1][:n]


class MacroSource:
    """Source ``macro``: mean of the available components, each in [-1, 1]:

    * volatility: -tanh(2 * log(VIX / its trailing 252-day median)) (fear is risk-off);
    * credit: -tanh(3-month change of BAA-AAA / 0.3 pp) (widening spreads are risk-off).
    """

    name: ClassVar[str] = "macro"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self) -> None:
        self._parts: tuple[tuple[int, int], dict[str, float]] | None = None  # (published counts, parts)

    @classmethod
    def build(cls, services: Services) -> MacroSource:
        return cls()

    def vote(self, ctx: SourceContext) -> Vote:
        asset = ctx.gate.spec.asset_class.value
        if asset not in APPLIES_TO:
            return Vote.abstained(self.name, f"not applicable: macro risk proxies do not cover {asset}")
        now = ctx.now_ns
        seen = (_known_count("vix", now, 7), _known_count("credit", now, 75))
        if self._parts is not None and self._parts[0] == seen:  # nothing published since: same parts
            parts = dict(self._parts[1])
        else:
            vix = None if seen[0] < 0 else _series("vix")[1][:seen[0]]
            spread = None if seen[1] < 0 else _series("credit")[1][:seen[1]]
            parts = {}
            if vix is not None and vix.size >= 60:
                parts["vix"] = -math.tanh(2.0 * math.log(vix[-1] / float(np.median(vix[-252:]))))
            if spread is not None and spread.size >= 4:
                parts["credit"] = -math.tanh((spread[-1] - spread[-4]) / 0.3)
            self._parts = (seen, dict(parts))
        if not parts:
            day = ns_to_dt(ctx.now_ns).date().isoformat()
            return Vote.abstained(self.name, f"unavailable: no bundled macro series covers {day}")
        score = sum(parts.values()) / len(parts)
        return Vote(self.name, score, 0.3 * len(parts), detail={k: round(v, 4) for k, v in parts.items()})
