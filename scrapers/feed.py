"""``HubBarFeed``: the live runner's :class:`~tradefleet.app.live.BarFeed` on the DataHub.

Each poll asks the chain for bars closed since the last bar delivered; only bars a source
returned in a valid answer this poll are emitted (a skipped symbol yields nothing, never
the previous price again). The first poll of a symbol delivers ``history_bars`` of warm-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tradefleet.orchestrator.domain import Bar
from tradefleet.scrapers.chain import BarAnswer
from tradefleet.scrapers.hub import DataHub


class HubBarFeed:
    """Newly closed bars per symbol from the hub's provider chain."""

    def __init__(self, hub: DataHub, timeframes: Mapping[str, str] | None = None, history_bars: int = 500) -> None:
        self.hub = hub
        self.timeframes = dict(timeframes or {})
        self.history_bars = history_bars
        self.last: dict[str, int] = {}
        self.answers: list[BarAnswer] = []  # the latest answer per poll and symbol (sources, skips)

    @classmethod
    def for_specs(cls, hub: DataHub, specs: list[Any], history_bars: int = 500) -> HubBarFeed:
        """A feed whose timeframe per symbol is the finest any of ``specs`` (BotSpecs) trades it on."""
        from tradefleet.orchestrator.duration import parse_timeframe

        per: dict[str, str] = {}
        for spec in specs:
            tf = str(parse_timeframe(spec.timeframe))
            for sym in spec.instruments:
                if sym not in per or parse_timeframe(tf).ns < parse_timeframe(per[sym]).ns:
                    per[sym] = tf
        return cls(hub, per, history_bars)

    def poll(self, symbols: list[str], now_ns: int) -> list[Bar]:
        """Return bars of ``symbols`` closed since the previous poll, oldest first."""
        out: list[Bar] = []
        self.answers = []
        for sym in symbols:
            tf = self.timeframes.get(sym, self.hub.config.timeframe)
            last = self.last.get(sym)
            ans = self.hub.bars(sym, tf, None if last is None else last + 1, now_ns)
            self.answers.append(ans)
            if ans.frame is None or len(ans.frame) == 0:
                continue
            frame = ans.frame
            ts = frame.index.as_unit("ns").asi8
            keep = ts > last if last is not None else np.arange(len(ts)) >= len(ts) - self.history_bars
            keep &= ts <= now_ns
            vals = frame.to_numpy(dtype="float64")
            for t, (o, h, lo, c, v) in zip(ts[keep], vals[keep], strict=True):
                out.append(Bar(sym, int(t), float(o), float(h), float(lo), float(c), float(v), now_ns))
            if keep.any():
                self.last[sym] = int(ts[keep][-1])
        out.sort(key=lambda b: (b.ts_event, b.symbol))
        return out

    def skipped(self) -> list[str]:
        """Reasons for the symbols the last poll skipped."""
        return [a.reason() for a in self.answers if a.skipped]
