"""Regime history: one row per market bar, appended as the forward filter advances.

The :class:`RegimeHistory` interface has a JSON-lines implementation under ``var/``
(one file per market); the rows are what the dashboard and the backtest report read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class RegimeRow:
    """The filtered regime of one market at one bar close."""

    market: str
    ts_event: int
    regime: str
    p_bull: float
    p_bear: float
    p_sideways: float
    model_version: str

    def as_dict(self) -> dict[str, object]:
        """The row as a plain dict (what ``dataclasses.asdict`` gives, without its deep copy)."""
        return {"market": self.market, "ts_event": self.ts_event, "regime": self.regime, "p_bull": self.p_bull,
                "p_bear": self.p_bear, "p_sideways": self.p_sideways, "model_version": self.model_version}

    @property
    def probs(self) -> dict[str, float]:
        return {"bull": self.p_bull, "bear": self.p_bear, "sideways": self.p_sideways}


class RegimeHistory(Protocol):
    def append(self, rows: list[RegimeRow]) -> None: ...

    def read(self, market: str) -> list[RegimeRow]: ...


class MemoryRegimeHistory:
    """In-memory history (tests, benchmarks)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[RegimeRow]] = {}

    def append(self, rows: list[RegimeRow]) -> None:
        for r in rows:
            kept = self.rows.setdefault(r.market, [])
            if not kept or r.ts_event > kept[-1].ts_event:  # the past is never rewritten
                kept.append(r)

    def read(self, market: str) -> list[RegimeRow]:
        return list(self.rows.get(market, []))


class JsonlRegimeHistory:
    """``<root>/<market>.jsonl``, append-only; rows at or before the last stored bar are skipped."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._last: dict[str, int] = {}

    def _path(self, market: str) -> Path:
        return self.root / ("".join(c if c.isalnum() else "_" for c in market) + ".jsonl")

    def _last_ts(self, market: str) -> int:
        if market not in self._last:
            rows = self.read(market)
            self._last[market] = rows[-1].ts_event if rows else -1
        return self._last[market]

    def append(self, rows: list[RegimeRow]) -> None:
        by_market: dict[str, list[RegimeRow]] = {}
        for r in rows:
            by_market.setdefault(r.market, []).append(r)
        for market, items in by_market.items():
            last = self._last_ts(market)
            fresh = [r for r in items if r.ts_event > last]
            if not fresh:
                continue
            self.root.mkdir(parents=True, exist_ok=True)
            with self._path(market).open("a") as fh:
                fh.writelines(json.dumps(r.as_dict()) + "\n" for r in fresh)
            self._last[market] = fresh[-1].ts_event

    def read(self, market: str) -> list[RegimeRow]:
        path = self._path(market)
        if not path.exists():
            return []
        return [RegimeRow(**json.loads(line)) for line in path.read_text().splitlines() if line]
