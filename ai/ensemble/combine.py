"""Combining votes: configured weights normalised over the sources that voted, optionally
scaled by each source's rolling information coefficient (IC)."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict, deque
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from tradefleet.ai.ensemble.source import Vote

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class Combined:
    """The ensemble's view: ``score`` in [-1, 1] (market direction), over ``voters`` sources."""

    score: float
    voters: int
    weights: dict[str, float]  # normalised weights of the sources that voted


def combine(votes: list[Vote], weights: Mapping[str, float],
            multipliers: Mapping[str, float] | None = None) -> Combined:
    """Return sum(w_i * confidence_i * score_i) / sum(w_i) over the sources that voted."""
    raw = {v.source: weights.get(v.source, 0.0) * (multipliers or {}).get(v.source, 1.0)
           for v in votes if v.voted}
    total = sum(raw.values())
    if total <= 0:
        return Combined(0.0, 0, {})
    norm = {k: w / total for k, w in raw.items()}
    score = sum(norm[v.source] * v.confidence * v.score for v in votes if v.voted)
    # min/max: np.clip's value (NaN kept) without its call overhead
    return Combined(float(min(max(score, -1.0), 1.0)), sum(1 for w in raw.values() if w > 0), norm)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation (average ranks not needed for continuous scores; ties are rare).

    Equal to the last bit to ``np.corrcoef`` of the two rank vectors, at a tenth of its
    cost: the ranks are a permutation of 0..n-1, so the centred cross product and the
    variance are exact integers (computed doubled, to stay integral), and the rest repeats
    ``np.cov``/``np.corrcoef``'s float steps in their order (times 1/(n-1), then divided by
    each standard deviation, then clipped)."""
    n = len(a)
    if n < 2:
        return 0.0
    # the ranks np.argsort(np.argsort(x)) are the inverse permutation of np.argsort(x): b's by
    # scattering 0..n-1, and sum(ra * rb) = sum(k * rb[argsort(a)[k]]) reads a's order directly
    ar = np.arange(n)
    rb = np.empty(n, dtype=np.intp)
    rb[np.argsort(b)] = ar
    s4 = 4 * int(np.dot(ar, rb[np.argsort(a)])) - n * (n - 1) * (n - 1)  # 4 * sum((ra - m) * (rb - m)), m = (n-1)/2
    q4 = n * (n * n - 1) // 3  # 4 * sum((r - m)^2) over a permutation
    inv = 1.0 / (n - 1)
    sd = math.sqrt((q4 / 4) * inv)
    return min(max(((s4 / 4) * inv) / sd / sd, -1.0), 1.0)


_STAMP = itemgetter(0)


class ICTracker:
    """Rolling IC per source: the rank correlation between a source's score and the
    instrument's return over the next ``horizon`` bars, using only returns already known."""

    def __init__(self, window: int, horizon: int, strength: float) -> None:
        self.window = window
        self.horizon = horizon
        self.strength = strength
        self._pending: dict[str, list[tuple[int, str, float, float]]] = defaultdict(list)
        # per source, its resolved (score, forward return) pairs as two columns (oldest first)
        self._scores: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=window))
        self._returns: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=window))
        self._ic: dict[str, float | None] = {}  # source -> IC of its current pairs (dropped when they change)
        self._seen: dict[str, tuple[int, int, int]] = {}  # instrument -> the bars its last resolve saw
        self._unordered: set[str] = set()  # instruments whose pending votes were ever recorded out of bar order

    def record(self, instrument: str, bar_ts: int, close: float, votes: list[Vote]) -> None:
        """Remember this bar's votes until their forward return is known."""
        pending = self._pending[instrument]
        if pending and bar_ts < pending[-1][0]:
            self._unordered.add(instrument)
        for v in votes:
            if v.voted:
                pending.append((bar_ts, v.source, v.score, close))

    def resolve(self, instrument: str, bar_ts: np.ndarray, closes: np.ndarray) -> None:
        """Pair pending votes whose ``horizon`` bars have closed (bars up to now only)."""
        pending = self._pending.get(instrument, [])
        seen = (int(bar_ts[0]), int(bar_ts[-1]), len(bar_ts)) if len(bar_ts) else None
        if seen is not None and self._seen.get(instrument) == seen:
            # the same bars as the last resolve: nothing new can resolve or fall out of the
            # history (votes recorded since sit on the last bar); only the cap applies
            self._pending[instrument] = pending[-4 * self.window:]
            return
        if seen is not None:
            self._seen[instrument] = seen
        keep = []
        n = len(bar_ts)
        if n == 0 or not pending:  # no bars: nothing resolves and nothing is newer than the history
            self._pending[instrument] = keep
            return
        first, last_resolvable = int(bar_ts[0]), n - self.horizon
        tail: list[tuple[int, str, float, float]] = []
        if last_resolvable >= 1 and instrument not in self._unordered:
            # pending is in bar order: a vote stamped after the last bar that can resolve is
            # kept whatever it is (on a bar too recent to resolve, or off the bars but after
            # the first), so only the votes before it are looked at
            cut = bisect_right(pending, int(bar_ts[last_resolvable - 1]), key=_STAMP)
            pending, tail = pending[:cut], pending[cut:]
            if not pending:
                self._pending[instrument] = tail[-4 * self.window:]
                return
        stamps = np.fromiter((p[0] for p in pending), dtype=np.int64, count=len(pending))
        where = np.searchsorted(bar_ts, stamps)
        # where each vote's bar is in the history (as ``i < n and bar_ts[i] == ts``), in one pass
        on_bar = (bar_ts[np.minimum(where, n - 1)] == stamps) & (where < n)
        for p, i, hit in zip(pending, where.tolist(), on_bar.tolist(), strict=True):
            if hit:
                if i < last_resolvable:  # i + horizon < n
                    _, source, score, close = p
                    self._scores[source].append(score)
                    self._returns[source].append(float(closes[i + self.horizon] / close - 1.0))
                    self._ic.pop(source, None)
                else:
                    keep.append(p)  # not resolved yet
            elif p[0] > first:
                keep.append(p)
            # else: older than the history handed to us; drop it
        keep += tail
        self._pending[instrument] = keep[-4 * self.window:]

    def ic(self, source: str) -> float | None:
        if source in self._ic:
            return self._ic[source]
        scores = self._scores.get(source)
        n = len(scores) if scores else 0
        if n == 0 or n < max(10, self.window // 2):
            value = None
        else:  # the two columns as arrays (as np.asarray(pairs)[:, 0] and [:, 1], without the 2-D copy)
            value = _spearman(np.fromiter(scores, np.float64, n), np.fromiter(self._returns[source], np.float64, n))
        self._ic[source] = value  # kept until the source's pairs change
        return value

    def resolved(self, source: str) -> int:
        """Return how many of the source's votes have a known outcome (in the window)."""
        return len(self._scores.get(source, ()))

    def multipliers(self, sources: list[str]) -> dict[str, float]:
        """Return clip(1 + strength * IC, 0, 2) per source (1 until enough pairs resolve)."""
        out = {}
        for s in sources:
            ic = self.ic(s)
            out[s] = 1.0 if ic is None else min(max(1.0 + self.strength * ic, 0.0), 2.0)
        return out


class WeightLog:
    """Which multiplier changes to store: a source's first adaptive multiplier, then every
    move of at least ``step`` (so the stored history is every change that mattered, not
    every signal)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self._last: dict[str, float] = {}

    def changes(self, tracker: ICTracker, multipliers: Mapping[str, float]) -> dict[str, tuple[float, float | None, int]]:
        out = {}
        for source, m in multipliers.items():
            ic = tracker.ic(source)
            if ic is None:
                continue
            last = self._last.get(source)
            if last is None or abs(m - last) >= self.step:
                self._last[source] = m
                out[source] = (m, ic, tracker.resolved(source))
        return out
