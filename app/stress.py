"""Crisis windows replayed through the full pipeline (``tradefleet.app.replay``).

The same windows as :data:`tradefleet.backtest.stress.CRISES`, but run by the real kernel on a
simulated clock with the paper broker, so every configured gate (regime, ensemble, veto,
risk, fleet allocation) acts as it does live; there is no second implementation of
execution here. When the bot's own instrument has no bundled bars in a window, its
symbol is mapped to the S&P 500 series (``[replay.data]``) for that replay, as the
vectorized stress does. Each window writes to its own store (a fresh SQLite file by
default) so crisis runs never mix with the operator's records.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradefleet.backtest.stress import CRISES
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.registry import Registry
from tradefleet.scrapers.bundled import dataset_for, load_dataset


@dataclass(frozen=True)
class ReplayStressRow:
    """One crisis window replayed through the full pipeline."""

    scenario: str
    data: str
    start: str
    end: str
    summary: dict[str, Any] | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        keep = ("total_return_pct", "equity", "fills", "orders", "rejected", "signals", "fees", "halted")
        brief = None if self.summary is None else {k: self.summary.get(k) for k in keep}
        return {"scenario": self.scenario, "data": self.data, "start": self.start, "end": self.end,
                "replay": brief, "note": self.note}


def _covers(name: str, start: str, end: str) -> bool:
    import pandas as pd

    idx = load_dataset(name).index
    return bool(idx[0] <= pd.Timestamp(start, tz="UTC") and idx[-1] >= pd.Timestamp(end, tz="UTC"))


def crisis_replays(config: AppConfig, bot: str, store_dir: str | Path | None = None,
                   registry: Registry | None = None, only: list[str] | None = None) -> list[ReplayStressRow]:
    """Replay ``bot`` over every crisis window (or those named in ``only``) through the full pipeline."""
    from tradefleet.app.replay import run_replay

    reg = registry or Registry.discover()
    spec = reg.bot(bot)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(store_dir) if store_dir is not None else Path(tmp)
        for name, window in CRISES.items():
            if only is not None and name not in only:
                continue
            if window is None:
                rows.append(ReplayStressRow(name, "-", "2020-02-19", "2020-03-23", None,
                                            "not in the bundled data (sp500 ends 2018); needs external data"))
                continue
            start, end = window
            data = {}
            source = config.replay.data.get(spec.instruments[0]) or dataset_for(spec.instruments[0]).name
            if not _covers(source, start, end):
                data = {sym: "sp500" for sym in spec.instruments}
                source = "sp500"
            cfg = config.model_copy(update={"replay": config.replay.model_copy(
                update={"data": {**config.replay.data, **data}, "speed": 0.0})})
            url = f"sqlite:///{root / f'stress-{bot}-{name}.db'}"
            summary = run_replay(cfg, [bot], start, end, url)
            rows.append(ReplayStressRow(name, source, start, end, summary.to_dict()))
    return rows
