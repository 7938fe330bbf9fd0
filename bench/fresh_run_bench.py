"""A fresh ``tradefleet run``: regime models fitted inside the loop vs ahead in a pool (issue 23).

Runs the embedded default (``tradefleet run --json --no-view --no-dashboard``) in a fresh
folder and store, as a subprocess, with ``TRADEFLEET__REGIME__FIT_WORKERS=0`` (every model
fitted inside the loop, the old way) and with the default (coming refits fitted ahead in
worker processes), alternating, ``--repeat`` times each. Prints wall time, the loop's own
time, models fitted, and whether the two runs stored the same orders, fills, equity,
signals and gate decisions (the digest of :mod:`bench.digest`).

Run: ``.venv/bin/python -m bench.fresh_run_bench [--from 2009-01-01] [--to 2012-12-31] [--repeat 1] [--json]``
(no dates: the whole default run).
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

from bench.digest import CLI, ROOT, digest, rows


def fresh_run(workers: int | None, start: str | None, end: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fresh-run-bench-") as tmp:
        db = Path(tmp) / "run.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFLEET__")}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        if workers is not None:
            env["TRADEFLEET__REGIME__FIT_WORKERS"] = str(workers)
        cmd = [sys.executable, "-m", CLI, "run", "--json", "--no-view", "--no-dashboard", "--store", f"sqlite:///{db}"]
        cmd += [*(["--from", start] if start else []), *(["--to", end] if end else [])]
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(f"fresh_run_bench: the run failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        summary = json.loads(proc.stdout)
        models = len(list(Path(tmp).glob("var/regime/models/*/*.pkl")))
        return {"wall_s": round(wall, 2), "loop_s": summary.get("wall_seconds"), "models": models,
                "events_per_s": summary.get("events_per_second"), "digest": digest(rows(db))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="start")
    ap.add_argument("--to", dest="end")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    results: dict[str, list[dict[str, Any]]] = {"in_loop": [], "ahead": []}
    loads = []
    for _ in range(args.repeat):
        for name, workers in (("in_loop", 0), ("ahead", None)):
            loads.append(os.getloadavg()[0])
            results[name].append(fresh_run(workers, args.start, args.end))
    same = len({r["digest"] for rs in results.values() for r in rs}) == 1
    out = {"window": [args.start, args.end], "results": results, "same_outputs": same,
           "loadavg_1m_at_starts": loads}
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print(f"fresh tradefleet run {args.start or 'start'}..{args.end or 'end'}; load average (1 min) at each start: "
          + ", ".join(f"{x:.2f}" for x in loads))
    for name, rs in results.items():
        for r in rs:
            print(f"  {name:8} wall {r['wall_s']:7.2f} s  loop {r['loop_s']} s  {r['events_per_s']} events/s  "
                  f"{r['models']} models")
    a = min(r["wall_s"] for r in results["in_loop"])
    b = min(r["wall_s"] for r in results["ahead"])
    print(f"  fits ahead / in the loop (best wall): {b:.2f} / {a:.2f} s = {b / a:.2f}x; same outputs: {same}")


if __name__ == "__main__":
    main()
