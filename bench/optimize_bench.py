"""``tradefleet optimize`` wall time: the default (auto: pool only where measured to pay) vs
``--workers 1`` (this process) vs ``--workers N`` (a pool of the usable cores, the old
default), interleaved, median of ``--repeat`` fresh processes each (issue 23).

Run: ``.venv/bin/python -m bench.optimize_bench [--bot spx-sma-trend] [--repeat 3] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.digest import CLI, ROOT


def _time(argv: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", CLI, *argv], env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bot", default="spx-sma-trend")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    modes = {"auto (default)": [], "--workers 1": ["--workers", "1"], f"--workers {cpus}": ["--workers", str(cpus)]}
    times: dict[str, list[float]] = {m: [] for m in modes}
    loads = []
    for _ in range(args.repeat):
        for mode, extra in modes.items():
            loads.append(os.getloadavg()[0])
            times[mode].append(_time(["optimize", args.bot, "--json", *extra]))
    med = {m: statistics.median(v) for m, v in times.items()}
    if args.json:
        print(json.dumps({"bot": args.bot, "median_s": med, "all_s": times, "loadavg_1m": loads}, indent=1))
        return
    one = med["--workers 1"]
    print(f"tradefleet optimize {args.bot} (default space), median of {args.repeat}; load average (1 min) "
          f"{min(loads):.2f}-{max(loads):.2f}")
    for mode, t in med.items():
        print(f"  {mode:16} {t:6.2f} s   {t / one:5.2f}x of one process")


if __name__ == "__main__":
    main()
