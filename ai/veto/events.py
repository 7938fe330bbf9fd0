"""The event calendar the ``rules`` veto checks: scheduled releases (FOMC, CPI) that make
opening a position just before them a gamble. Ships a JSON fixture; a config path can
replace it with a fuller list (earnings, ECB, NFP) in the same format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.errors import ConfigError

BUNDLED = Path(__file__).with_name("events.json")


@dataclass(frozen=True)
class MarketEvent:
    name: str
    kind: str
    ts_ns: int
    instruments: tuple[str, ...] = ()  # empty: every instrument of the affected classes


class EventCalendar:
    """Events sorted by time, queried by window."""

    def __init__(self, events: list[MarketEvent], affects: frozenset[str]) -> None:
        self.events = sorted(events, key=lambda e: e.ts_ns)
        self._ts = np.array([e.ts_ns for e in self.events], dtype=np.int64)
        self.affects = affects

    def upcoming(self, now_ns: int, horizon_ns: int, asset_class: str, instrument: str) -> list[MarketEvent]:
        """Return the events in ``[now, now + horizon]`` that concern this instrument."""
        if asset_class not in self.affects:
            return []
        lo = int(np.searchsorted(self._ts, now_ns, side="left"))
        hi = int(np.searchsorted(self._ts, now_ns + horizon_ns, side="right"))
        out = []
        for e in self.events[lo:hi]:
            if e.instruments and instrument not in e.instruments:
                continue
            if asset_class == "fx" and not e.instruments and "USD" not in instrument:
                continue  # US releases: only USD pairs
            out.append(e)
        return out


@cache
def load_calendar(path: str | None = None) -> EventCalendar:
    """Load an event calendar JSON (the bundled FOMC/CPI list when ``path`` is None)."""
    src = Path(path) if path else BUNDLED
    try:
        doc = json.loads(src.read_text())
        events = [
            MarketEvent(e["name"], e.get("kind", "event"),
                        dt_to_ns(datetime.fromisoformat(e["local_time"]).replace(tzinfo=ZoneInfo(e.get("tz", "UTC")))),
                        tuple(e.get("instruments", ())))
            for e in doc["events"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{src}: veto event calendar is unreadable: {exc}") from exc
    return EventCalendar(events, frozenset(doc.get("affects", ["equity", "index", "option", "fx", "crypto"])))
