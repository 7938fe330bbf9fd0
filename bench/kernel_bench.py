"""Kernel benchmarks (issue 2): CLI start-up and replay throughput.

Run: ``.venv/bin/python -m bench.kernel_bench [--json] [--repeat N]``

* ``tradefleet --help`` and ``tradefleet bots list``: wall time of a fresh process (min and
  median of N), target < 1.5 s.
* Replay: the embedded default (every built-in bot, all bundled data), once with the
  kernel's own gate only (``basic-risk``) and once with the full default pipeline
  (regime, ensemble, veto, fleet, portfolio risk); events = bars delivered + schedule
  fires evaluated; target >= 50,000 events/s.

``--pipeline`` (issue 23) measures only the replay, side by side in one sitting: the
kernel-only run and the full default pipeline alternate, each in a fresh process and a
fresh store, in one folder whose regime models a first (uncounted) run fitted (the
"warm" case). It prints the median events/s of each, their ratio, each run's peak RSS
and the load average before and after. ``--window FROM:TO`` cuts the run (default: the
whole default run). ``--baseline REF`` runs the same replays of git ref ``REF`` (a scratch
checkout, its own folder of regime models and its own, empty, numba cache: its uncounted
first run also compiles) interleaved with this tree's: before and after in one sitting. ``--bot NAME`` adds that bot alone over its whole history (target < 0.5 s loop).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


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


_CHILD = """
import json, resource, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
import tradefleet.risk.report as report
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay
stages, store, start, end, bots = json.loads(sys.argv[1])
counts = {"risk_state_statements": 0, "risk_state_rows": 0, "risk_reports_built": 0}

@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, params, context, many):
    if "risk_state" in statement and not statement.lstrip().upper().startswith("SELECT"):
        counts["risk_state_statements"] += 1
        counts["risk_state_rows"] += len(params) if many else 1

_build = report.build_report

def _counted(gate):
    counts["risk_reports_built"] += 1
    return _build(gate)

report.build_report = _counted
config = AppConfig() if stages is None else AppConfig.model_validate({"pipeline": {"stages": stages}})
import time
cpu0 = time.process_time()
s = run_replay(config, bots=bots, store_url=store, start=start, end=end)
cpu = time.process_time() - cpu0
print(json.dumps({"events": s.bar_events, "events_per_s": s.events_per_second, "loop_s": s.wall_seconds,
                  "run_cpu_s": cpu, "events_per_cpu_s": s.bar_events / cpu,
                  "fills": s.fills, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  **counts}))
"""


def _replay_child(cwd: str, stages: list[str] | None, start: str | None, end: str | None,
                  env: dict[str, str] | None = None, bots: list[str] | None = None) -> dict[str, float]:
    """One replay in a fresh process and store in ``cwd``; its figures and peak RSS. ``env``
    (from :func:`bench.scratch.scratch_env`) runs another commit's code."""
    store = f"sqlite:///{Path(cwd) / f'bench-{time.monotonic_ns()}.db'}"
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([stages, store, start, end, bots])], cwd=cwd,
                         check=True, capture_output=True, text=True, env=env).stdout
    Path(store.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _summary(rs: list[dict[str, float]]) -> dict[str, object]:
    rates = [r["events_per_s"] for r in rs]
    return {"events": rs[0]["events"], "median_events_per_s": round(statistics.median(rates)),
            "all_events_per_s": [round(r) for r in rates],
            "median_loop_s": round(statistics.median(r["loop_s"] for r in rs), 3),
            "median_events_per_cpu_s": round(statistics.median(r["events_per_cpu_s"] for r in rs)),
            "median_run_cpu_s": round(statistics.median(r["run_cpu_s"] for r in rs), 2),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in rs), 1),
            **{k: rs[-1][k] for k in ("risk_state_statements", "risk_state_rows", "risk_reports_built")}}


def _tree_summary(runs: dict[str, list[dict[str, float]]], warm: dict[str, float]) -> dict[str, object]:
    """One code tree's figures: each kind's summary and the full/kernel ratios."""
    out: dict[str, object] = {"first_full_run_fresh_folder": warm,
                              **{name: _summary(rs) for name, rs in runs.items() if rs}}
    k, f = out["kernel"], out["full"]
    out["full_over_kernel"] = (round(f["median_events_per_s"] / k["median_events_per_s"], 3)  # type: ignore[index]
                               if k["median_events_per_s"] else None)  # type: ignore[index]
    out["full_over_kernel_cpu"] = (round(f["median_events_per_cpu_s"] / k["median_events_per_cpu_s"], 3)  # type: ignore[index]
                                   if k["median_events_per_cpu_s"] else None)  # type: ignore[index]
    return out


def pipeline_side_by_side(repeat: int, start: str | None, end: str | None, baseline: str | None = None,
                          bot: str | None = None) -> dict[str, object]:
    """Kernel-only and full-pipeline replays, interleaved, warm regime models; with
    ``baseline``, the same runs of that git ref interleaved with these; with ``bot``, that
    bot alone over its whole history too (full pipeline)."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tradefleet-bench-") as cwd:
        trees: dict[str, tuple[str, dict[str, str] | None]] = {"this": (str(Path(cwd) / "this"), None)}
        if baseline:
            from bench.scratch import scratch_env

            trees["baseline"] = (str(Path(cwd) / "base"), scratch_env(baseline, Path(cwd) / "scratch"))
        warm, runs = {}, {}
        for label, (folder, env) in trees.items():  # fits each tree's regime models: not counted
            Path(folder).mkdir()
            warm[label] = _replay_child(folder, None, start, end, env)
            if bot:
                _replay_child(folder, None, None, None, env, [bot])
            runs[label] = {"kernel": [], "full": [], "one_bot": []}
        for _ in range(repeat):  # the trees alternate, one round of each kind at a time
            for label, (folder, env) in trees.items():
                runs[label]["kernel"].append(_replay_child(folder, ["basic-risk"], start, end, env))
                runs[label]["full"].append(_replay_child(folder, None, start, end, env))
                if bot:
                    runs[label]["one_bot"].append(_replay_child(folder, None, None, None, env, [bot]))
    out: dict[str, object] = {"window": f"{start or 'start'}..{end or 'end'}", "repeat": repeat,
                              "baseline_ref": baseline, **_tree_summary(runs["this"], warm["this"])}
    if baseline:
        out["baseline"] = _tree_summary(runs["baseline"], warm["baseline"])
    out["loadavg_before"] = [round(x, 2) for x in load_before]
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def _print_tree(r: dict[str, Any], bot: str | None) -> None:
    for name in ("kernel", "full", "one_bot"):
        if name not in r:
            continue
        x = r[name]
        label = f"{bot} alone" if name == "one_bot" else name
        print(f"  {label:18} {x['median_events_per_s']:>9,} events/s (median; all {x['all_events_per_s']})"
              f"  loop {x['median_loop_s']} s  CPU {x['median_events_per_cpu_s']:,} events/CPU-s"
              f" (whole run {x['median_run_cpu_s']} CPU-s)  peak RSS {x['peak_rss_mb']} MB"
              f"  risk_state writes {x['risk_state_statements']} ({x['risk_state_rows']} rows),"
              f" reports built {x['risk_reports_built']}")
    print(f"  full / kernel = {r['full_over_kernel']} (wall), {r['full_over_kernel_cpu']} (CPU, whole run)")
    w = r["first_full_run_fresh_folder"]
    print(f"  first full run in a fresh folder (fits the regime models): {w['events_per_s']:,.0f} events/s,"
          f" loop {w['loop_s']} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pipeline", action="store_true",
                    help="only the replays: kernel-only and full pipeline side by side, peak RSS, load average")
    ap.add_argument("--window", default="", help="FROM:TO dates for --pipeline (default: the whole default run)")
    ap.add_argument("--baseline", default=None,
                    help="git ref to run the same --pipeline replays of, interleaved with this tree's (e.g. main)")
    ap.add_argument("--bot", default=None, help="--pipeline: also replay this bot alone over its whole history")
    a = ap.parse_args()
    if a.pipeline:
        start, _, end = a.window.partition(":")
        r = pipeline_side_by_side(a.repeat, start or None, end or None, a.baseline, a.bot)
        if a.json:
            print(json.dumps(r, indent=2))
            return
        print(f"window {r['window']}, {a.repeat} runs each, interleaved; load average before {r['loadavg_before']}"
              f" after {r['loadavg_after']}")
        for label, tree in (("this tree", r), (f"baseline {a.baseline}", r.get("baseline"))):
            if tree is None:
                continue
            print(label)
            _print_tree(tree, a.bot)  # type: ignore[arg-type]
        if a.baseline:
            b = r["baseline"]
            for name in ("kernel", "full", "one_bot"):
                if name in r:
                    new_s, old_s = r[name]["median_loop_s"], b[name]["median_loop_s"]  # type: ignore[index]
                    print(f"  {name:8} loop this / baseline = {new_s / old_s:.3f}")
        return
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
