"""Recorded prediction-market snapshots as a tick source for the kernel's replay.

The replay loads each contract's quotes as bars whose low and high are the YES bid and ask
(so the paper broker fills at the recorded touch), hands every tick the latest snapshot
at or before the clock (never a later one), and settles each contract at 1 or 0 from the
recorded outcome of its variable.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.bots.prediction.market import FIXTURES, PredictionSnapshot, load_fixture
from tradefleet.bots.prediction.replay import outcome
from tradefleet.bots.prediction.session import load_session
from tradefleet.orchestrator.domain import AssetClass, Instrument

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.clock import Clock
    from tradefleet.orchestrator.sections import KernelConfig
    from tradefleet.orchestrator.services import Services


def session_path(name: str) -> Path | None:
    """The session folder ``name`` names: a bundled one under ``fixtures/`` or a path."""
    for cand in (FIXTURES / name, Path(name).expanduser()):
        if (cand / "session.json").is_file():
            return cand
    return None


class PredictionTickSource:
    """Snapshots of one recorded session (``[replay] snapshots``, a fixture name)."""

    name: ClassVar[str] = "prediction-snapshots"
    api_version: ClassVar[int] = 1

    def __init__(self, fixture: str) -> None:
        self.fixture = fixture
        folder = session_path(fixture)
        if folder is not None:  # a Parquet session: recorded, or generated and marked synthetic
            session = load_session(folder)
            snaps, settled, self.provenance = session.snapshots, session.settlements, session.provenance
        else:  # a small JSON fixture (hand-written, synthetic)
            snaps = load_fixture(fixture)
            raw = json.loads((FIXTURES / f"{fixture}.json").read_text())
            settled = {k: float(v) for k, v in raw.get("settlements", {}).items()}
            self.provenance = {"kind": "synthetic", "source": f"{fixture}.json", "note": raw.get("description", "")}
        self.snapshots: list[PredictionSnapshot] = sorted(snaps, key=lambda s: s.ts_ns)
        self._ts = [s.ts_ns for s in self.snapshots]
        self._settled_values: dict[str, float] = settled

    @property
    def synthetic(self) -> bool:
        """Whether the session was generated (never counts as recorded evidence)."""
        return self.provenance.get("kind") != "recorded"

    @classmethod
    def from_config(cls, config: KernelConfig) -> PredictionTickSource:
        return cls(config.replay.snapshots)

    @classmethod
    def live(cls, config: KernelConfig, clock: Clock) -> Any:
        """The paper/live counterpart: snapshots built from the venues' books and the sources."""
        from tradefleet.bots.prediction.live import LiveSnapshotSource

        return LiveSnapshotSource.from_app(config, clock)

    @classmethod
    def build(cls, services: Services) -> PredictionTickSource:
        return cls.from_config(services.config)

    def at(self, now_ns: int) -> PredictionSnapshot | None:
        """The latest snapshot at or before ``now_ns``."""
        i = bisect_right(self._ts, now_ns)
        return self.snapshots[i - 1] if i else None

    @cached_property
    def _venues(self) -> dict[str, str]:
        return {sym: q.venue for s in self.snapshots for sym, q in s.quotes.items()}

    def instruments(self) -> dict[str, Instrument]:
        from decimal import Decimal

        return {sym: Instrument(sym, AssetClass.PREDICTION, venue=venue, tick_size=Decimal("0.01"), lot_size=Decimal(1))
                for sym, venue in self._venues.items()}

    def frames(self) -> dict[str, pd.DataFrame]:
        """Each contract's quotes as bars: low = YES bid, high = YES ask, close = mid."""
        import pandas as pd

        from tradefleet.scrapers.frames import validate_frame

        rows: dict[str, list[tuple[int, float, float, float, float]]] = {}
        for snap in self.snapshots:
            for sym, q in snap.quotes.items():
                rows.setdefault(sym, []).append((q.ts_ns, q.yes_bid, q.yes_ask, q.bid_size, q.ask_size))
        out = {}
        for sym, quotes in rows.items():
            ts = pd.DatetimeIndex([r[0] for r in quotes], tz="UTC", name="ts").as_unit("ns")
            bid = [r[1] for r in quotes]
            ask = [r[2] for r in quotes]
            mid = [(r[1] + r[2]) / 2 for r in quotes]
            frame = pd.DataFrame({"open": mid, "high": ask, "low": bid, "close": mid, "volume": 0.0,
                                  "bid_size": [r[3] for r in quotes], "ask_size": [r[4] for r in quotes]}, index=ts)
            out[sym] = validate_frame(frame, f"prediction fixture {self.fixture}: {sym}")
        return out

    def tape(self) -> dict[str, tuple[Any, Any, Any]]:
        """Each contract's public trade prints as (times ns, YES prices, sizes) arrays in time
        order: what a resting maker order can fill against."""
        import numpy as np

        rows: dict[str, list[tuple[int, float, float]]] = {}
        for snap in self.snapshots:
            for sym, trades in snap.trades.items():
                rows.setdefault(sym, []).extend((t.ts_ns, t.yes_price, t.size) for t in trades)
        out = {}
        for sym, r in rows.items():
            r.sort()
            out[sym] = (np.array([x[0] for x in r], dtype=np.int64), np.array([x[1] for x in r]),
                        np.array([x[2] for x in r]))
        return out

    def settlements(self) -> dict[str, bool]:
        """Contract -> whether YES pays, for every contract whose variable has settled."""
        terms = {sym: t for s in self.snapshots for sym, t in s.terms.items()}
        return {sym: outcome(t, self._settled_values[t.variable]) for sym, t in terms.items()
                if t.variable in self._settled_values}

    def data(self) -> Any:
        return self
