"""One signal through every gate of the default pipeline, timed inside a real replay (issue 23).

Runs the embedded default (every built-in bot, bundled data, the full pipeline: regime,
ensemble, veto, fleet, portfolio risk) over a window twice in one scratch folder: the first
run fits and stores the regime models (not timed), the second is timed. Every signal's trip
through ``GatePipeline.run`` is measured, and each gate's own share; a signal stopped by an
early gate counts with the gates it reached. Target: p50 of the whole trip < 50 us.

``--baseline REF`` runs the same measurement on the code of git ref ``REF`` (a scratch
checkout of it, in a subprocess) right after, and prints the two side by side with ratios:
before and after in one sitting on the same box.

Run: ``.venv/bin/python -m bench.gate_path_bench [--from 2016-07-01] [--to 2017-06-30]
[--baseline main] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any



def _pct(values: list[int]) -> dict[str, float]:
    import numpy as np

    if not values:
        return {"n": 0}
    a = np.asarray(values, dtype=np.float64) / 1e3
    return {"n": len(values), "p50_us": round(float(np.percentile(a, 50)), 1),
            "p90_us": round(float(np.percentile(a, 90)), 1), "p99_us": round(float(np.percentile(a, 99)), 1),
            "total_s": round(float(a.sum()) / 1e6, 3)}


def measure(start: str, end: str) -> dict[str, Any]:
    """Warm-up replay, then a timed replay of ``start..end``; per-signal and per-gate times."""
    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay
    from tradefleet.orchestrator.pipeline.runner import GatePipeline

    per_gate: dict[str, list[int]] = {}
    trips: list[int] = []
    original = GatePipeline.run
    clock = time.perf_counter_ns

    def timed(fn: Any, name: str) -> Any:
        samples = per_gate.setdefault(name, [])

        def call(*a: Any) -> Any:
            t = clock()
            out = fn(*a)
            samples.append(clock() - t)
            return out
        return call

    wrapped: set[int] = set()  # gate objects may be shared between pipelines: time each once

    def run(self: Any, signal: Any, ctx: Any) -> Any:
        for g in self.gates:
            if id(g) not in wrapped:
                wrapped.add(id(g))
                g.evaluate = timed(g.evaluate, g.name)
        if id(self.risk) not in wrapped:
            wrapped.add(id(self.risk))
            self.risk.approve = timed(self.risk.approve, self.risk.name)
        t = clock()
        out = original(self, signal, ctx)
        trips.append(clock() - t)
        return out

    old_cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="gate-path-bench-") as tmp:
        os.chdir(tmp)  # regime models and history go under ./var
        try:
            config = AppConfig()
            t0 = time.perf_counter()
            run_replay(config, start=start, end=end, store_url=f"sqlite:///{Path(tmp) / 'warm.db'}")
            warm_s = time.perf_counter() - t0
            GatePipeline.run = run  # type: ignore[method-assign]
            try:
                t0 = time.perf_counter()
                s = run_replay(config, start=start, end=end, store_url=f"sqlite:///{Path(tmp) / 'timed.db'}")
                timed_s = time.perf_counter() - t0
            finally:
                GatePipeline.run = original  # type: ignore[method-assign]
        finally:
            os.chdir(old_cwd)
    return {"window": [start, end], "first_run_s": round(warm_s, 2), "timed_run_s": round(timed_s, 2),
            "events_per_s": round(s.events_per_second), "signal": _pct(trips),
            "gates": {k: _pct(v) for k, v in per_gate.items()}}


def _baseline(ref: str, start: str, end: str) -> dict[str, Any]:
    """The same measurement on the code of git ``ref``, in a scratch checkout and a subprocess."""
    from bench.scratch import scratch_env  # the parent only: the child may run an older tree's bench

    with tempfile.TemporaryDirectory(prefix="gate-path-baseline-") as tmp:
        env = scratch_env(ref, Path(tmp))
        # this file runs from the scratch tree's bench folder if it has one, else from here
        script = Path(__file__).resolve()
        proc = subprocess.run([sys.executable, str(script), "--from", start, "--to", end, "--json", "--_inner"],
                              env=env, capture_output=True, text=True, check=False, cwd=tmp)
        if proc.returncode != 0:
            raise SystemExit(f"baseline {ref} failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout)  # type: ignore[no-any-return]


def _row(name: str, new: dict[str, Any], old: dict[str, Any] | None) -> str:
    if not new.get("n"):
        return f"  {name:10} (no signals)"
    line = f"  {name:10} n={new['n']:6}  p50 {new['p50_us']:8.1f} us  p90 {new['p90_us']:8.1f} us  total {new['total_s']:6.2f} s"
    if old and old.get("n"):
        line += (f"   | baseline p50 {old['p50_us']:8.1f} us  total {old['total_s']:6.2f} s"
                 f"   -> {old['p50_us'] / max(new['p50_us'], 1e-9):5.1f}x faster (p50)")
    return line


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="start", default="2016-07-01")
    ap.add_argument("--to", dest="end", default="2017-06-30")
    ap.add_argument("--baseline", help="git ref to measure the same way, side by side (e.g. main)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--_inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    new = measure(args.start, args.end)
    if args._inner:
        print(json.dumps(new))
        return
    old = _baseline(args.baseline, args.start, args.end) if args.baseline else None
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"this": new, "baseline": old, "baseline_ref": args.baseline, "loadavg": load}, indent=1))
        return
    print(f"one signal through every gate, replay {args.start}..{args.end} (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"  timed replay {new['timed_run_s']} s ({new['events_per_s']} events/s), first run {new['first_run_s']} s"
          + (f"; baseline {args.baseline}: timed {old['timed_run_s']} s ({old['events_per_s']} events/s), "
             f"first run {old['first_run_s']} s" if old else ""))
    print(_row("signal", new["signal"], old["signal"] if old else None) + "   (target p50 < 50 us)")
    for gate, v in new["gates"].items():
        print(_row(gate, v, old["gates"].get(gate) if old else None))


if __name__ == "__main__":
    main()
