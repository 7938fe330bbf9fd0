"""Recorded alternative data for the ``news`` and ``derivatives`` sources in a replay.

Live and paper runs read headlines and funding rates from the data hub; a replay has no
hub, so these sources vote only from files the operator names, point in time:

* ``[replay] news = "headlines.csv"`` (CSV or Parquet): columns ``published`` (ISO time or
  ns since the epoch, UTC), ``instrument`` (the symbol a bot trades, e.g. ``SPX``,
  ``BTC/USD``) and ``title``; an optional ``score`` in [-1, 1] is used as is, else the
  title is scored by :func:`tradefleet.ml_models.sentiment.score_texts`. A vote at ``now``
  reads the headlines published in the day up to ``now``, never one after it.
* ``[replay] funding = "funding.csv"``: columns ``ts``, ``instrument``, ``funding_rate``
  and optionally ``open_interest``. A vote at ``now`` reads the latest record at or before
  ``now`` (and no older than the source's ``max_age``).

Nothing of the kind is bundled: the packages this project ships hold price bars only, and
the hub's offline fixtures (``scrapers/fixtures``) are hand-written around 2026-11-21, not a
history. Without a file both sources abstain in a replay and say so.

A file that cannot be read or lacks a column is bad input (one line naming the file and
the column), raised when the pipeline is built, before the replay starts.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradefleet.orchestrator.errors import DataError


def _read(path: str, key: str, required: tuple[str, ...]) -> Any:
    import pandas as pd

    p = Path(path)
    where = f"[replay] {key} = {path!r}"
    if not p.is_file():
        raise DataError(f"{where}: no such file")
    try:
        frame = pd.read_parquet(p) if p.suffix.lower() in (".parquet", ".pq") else pd.read_csv(p)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's fault, said in one line
        raise DataError(f"{where}: cannot read it: {' '.join(str(exc).split())}") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)} (has {', '.join(map(str, frame.columns))})")
    return frame


def _ns(values: Any, where: str) -> list[int]:
    import pandas as pd

    try:
        if pd.api.types.is_numeric_dtype(values):
            stamps = pd.to_datetime(values.astype("int64"), unit="ns", utc=True)
        else:
            stamps = pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise DataError(f"{where}: {' '.join(str(exc).split())}") from None
    if stamps.isna().any():
        raise DataError(f"{where}: row {int(stamps.isna().argmax()) + 2} has no time")
    return [int(x) for x in pd.Series(stamps).dt.as_unit("ns").astype("int64")]


@dataclass(frozen=True)
class _Series:
    ts: list[int]
    rows: list[Any]


class RecordedHeadlines:
    """``NewsSentiment`` over a headline file: (published_ns, score) per instrument."""

    def __init__(self, path: str, model_dir: str | None = None) -> None:
        frame = _read(path, "news", ("published", "instrument", "title"))
        ts = _ns(frame["published"], f"[replay] news = {path!r}: column published")
        if "score" in frame.columns:
            scores = [float(x) for x in frame["score"]]
            if any(not -1.0 <= s <= 1.0 for s in scores):
                raise DataError(f"[replay] news = {path!r}: column score must lie in [-1, 1]")
        else:
            from tradefleet.ml_models.sentiment import score_texts

            scores = score_texts([str(t) for t in frame["title"]], model_dir)
        by: dict[str, list[tuple[int, float]]] = {}
        for t, inst, s in zip(ts, frame["instrument"].astype(str), scores, strict=True):
            by.setdefault(inst, []).append((t, s))
        self._by = {k: _Series([t for t, _ in sorted(v)], [s for _, s in sorted(v)]) for k, v in by.items()}
        self.path = path

    def sentiment(self, instrument: str, since_ns: int, until_ns: int) -> list[tuple[int, float]]:
        s = self._by.get(instrument)
        if s is None:
            return []
        lo, hi = bisect.bisect_left(s.ts, since_ns), bisect.bisect_right(s.ts, until_ns)
        return list(zip(s.ts[lo:hi], s.rows[lo:hi], strict=True))


@dataclass(frozen=True)
class FundingRecord:
    """One recorded funding observation."""

    ts_ns: int
    funding_rate: float
    open_interest: float | None


class RecordedFunding:
    """The latest recorded funding rate per instrument at or before a time."""

    def __init__(self, path: str) -> None:
        import math

        frame = _read(path, "funding", ("ts", "instrument", "funding_rate"))
        ts = _ns(frame["ts"], f"[replay] funding = {path!r}: column ts")
        oi = frame["open_interest"] if "open_interest" in frame.columns else [None] * len(frame)
        by: dict[str, list[FundingRecord]] = {}
        for t, inst, rate, o in zip(ts, frame["instrument"].astype(str), frame["funding_rate"], oi, strict=True):
            r = float(rate)
            if not math.isfinite(r):
                raise DataError(f"[replay] funding = {path!r}: funding_rate {rate!r} is not a number")
            by.setdefault(inst, []).append(FundingRecord(t, r, None if o is None or o != o else float(o)))
        self._by = {k: _Series([r.ts_ns for r in sorted(v, key=lambda r: r.ts_ns)],
                               sorted(v, key=lambda r: r.ts_ns)) for k, v in by.items()}
        self.path = path

    def latest(self, instrument: str, now_ns: int) -> FundingRecord | None:
        s = self._by.get(instrument)
        if s is None:
            return None
        i = bisect.bisect_right(s.ts, now_ns) - 1
        return s.rows[i] if i >= 0 else None
