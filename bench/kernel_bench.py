"""Kernel benchmarks (issue 2): CLI start-up and replay throughput.

Run: ``.venv/bin/python -m bench.kernel_bench [--json] [--repeat N]``

* ``tradefleet --help`` and ``tradefleet bots list``: wall time of a fresh process (min and
  median of N), target < 1.5 s.
* Replay: the embedded default (every built-in bot, all bundled data), once with the
  kernel's own gate only (``basic-risk``) and once with the full default pipeline
  (regime, ensemble, veto, fleet, portfolio risk); events = bars delivered + schedule
  fires evaluated; target >= 50,000 events/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cli_seconds(args: list[str], repeat: int) -> dict[str, float]:
    times = []
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tradefleet.app.cli.main", *args], cwd=cwd, check=True,
                           capture_output=True)
            times.append(time.perf_counter() - t0)
    return {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3)}


def replay_rate(repeat: int, stages: list[str] | None = None) -> dict[str, float]:
    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay

    config = AppConfig() if stages is None else AppConfig.model_validate({"pipeline": {"stages": stages}})
    rates, walls, events = [], [], 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            s = run_replay(config, store_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        rates.append(s.events_per_second)
        walls.append(s.wall_seconds)
        events = s.bar_events
    return {"events": events, "median_events_per_s": round(statistics.median(rates)),
            "best_events_per_s": round(max(rates)), "median_loop_s": round(statistics.median(walls), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    result = {
        "tradefleet --help": cli_seconds(["--help"], a.repeat),
        "tradefleet bots list": cli_seconds(["bots", "list"], a.repeat),
        "replay, kernel gates only (basic-risk)": replay_rate(max(1, a.repeat // 2), ["basic-risk"]),
        "replay, full pipeline (default)": replay_rate(max(1, a.repeat // 2)),
    }
    if a.json:
        print(json.dumps(result, indent=2))
        return
    for name, r in result.items():
        print(f"{name:40} " + "  ".join(f"{k}={v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
