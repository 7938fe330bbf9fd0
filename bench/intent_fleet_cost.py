"""What the five Strategy API v2 bots and the fill model cost the default fleet: the same
replay with every bar bot, without and with the five intent bots, alternated (without,
with, without, with ...) so a change of load on the shared box hits both sides alike.

Each run reports events, wall seconds, events per wall second, the process's CPU seconds
and events per CPU second (less sensitive to other people's load), the time spent in the
fill model (the paper broker matching resting orders: ``PaperBroker._match``) and the
1-minute load average before and after. The last line gives the with/without ratios.

    .venv/bin/python -m bench.intent_fleet_cost [--stages risk] [--from 2010-01-01] [--to 2010-12-31] [--repeat 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from typing import Any

from tradefleet.app.config import AppConfig
from tradefleet.app.replay import Replay
from tradefleet.orchestrator.execution.paper import PaperBroker
from tradefleet.orchestrator.registry import Registry

MINE = {"spx-nasdaq-pairs", "momentum-rotation", "risk-parity", "spx-stop-breakout", "goog-limit-reversion"}


class _FillModelClock:
    """Accumulates the wall time spent in the paper broker's matching (the fill model)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._orig = PaperBroker._match

    def __enter__(self) -> _FillModelClock:
        orig, me = self._orig, self

        def timed(broker: PaperBroker, *a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return orig(broker, *a, **kw)
            finally:
                me.seconds += time.perf_counter() - t0
                me.calls += 1

        PaperBroker._match = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        PaperBroker._match = self._orig  # type: ignore[method-assign]


def run_once(cfg: AppConfig, reg: Registry, bots: list[str], start: str, end: str) -> dict[str, Any]:
    load0 = os.getloadavg()[0]
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory() as d, _FillModelClock() as fm:
        s = Replay(cfg, bots=bots, start=start, end=end, store_url=f"sqlite:///{d}/x.db", registry=reg).run()
    cpu = time.process_time() - cpu0
    events = s.fires + s.bar_events
    return {"bots": len(bots), "events": events, "loop_s": round(s.wall_seconds, 2),
            "events_per_s": round(events / s.wall_seconds) if s.wall_seconds else 0,
            "cpu_s": round(cpu, 2), "events_per_cpu_s": round(events / cpu) if cpu else 0,
            "fill_model_s": round(fm.seconds, 2), "fill_model_calls": fm.calls,
            "fill_model_share": round(fm.seconds / s.wall_seconds, 3) if s.wall_seconds else 0.0,
            "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stages", default="risk", help="comma-separated pipeline stages")
    ap.add_argument("--from", dest="start", default="2010-01-01")
    ap.add_argument("--to", dest="end", default="2010-12-31")
    ap.add_argument("--repeat", type=int, default=2, help="without/with pairs, alternated (default 2)")
    ap.add_argument("--json", action="store_true", help="one JSON document instead of lines")
    args = ap.parse_args()
    reg = Registry.discover()
    names = sorted(n for n, s in reg.bots().items() if not s.bot.event_driven)
    cfg = AppConfig.model_validate({"pipeline": {"stages": args.stages.split(",")}})
    sides = {"without": [n for n in names if n not in MINE], "with": names}
    runs: list[dict[str, Any]] = []
    for i in range(max(args.repeat, 1)):
        for label, bots in sides.items():
            row = {"run": label, "pair": i + 1, **run_once(cfg, reg, bots, args.start, args.end)}
            runs.append(row)
            if not args.json:
                print(row, flush=True)

    def med(label: str, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["run"] == label)

    summary = {"with_vs_without_events_per_s": round(med("with", "events_per_s") / med("without", "events_per_s"), 3),
               "with_vs_without_events_per_cpu_s": round(med("with", "events_per_cpu_s")
                                                         / med("without", "events_per_cpu_s"), 3),
               "fill_model_share_with": med("with", "fill_model_share"),
               "fill_model_share_without": med("without", "fill_model_share"),
               "load_avg_1m": [r["load_before"] for r in runs] + [runs[-1]["load_after"]],
               "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps({"runs": runs, "summary": summary}, indent=2))
    else:
        print({"summary": summary}, flush=True)


if __name__ == "__main__":
    main()
