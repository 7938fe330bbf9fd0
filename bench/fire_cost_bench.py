"""Where the default run's fires go, bot by bot (issue 23).

Runs the embedded default (every built-in bot, bundled data, the full pipeline; ``--kernel``:
the kernel's own gate only) in a scratch folder twice: the first run fits the regime models
(not timed), the second times every ``Engine.on_fire`` (the bot's evaluation, its signals or
intents through every gate, the orders they send). From its store it reads how many signals
each bot made and the gates' refusals of them (a refused leg of an intent counts once per
refusing decision), with the most frequent. It prints the bots by total fire time with
their share of the replay loop.

A bot that costs a lot per fire and is refused on most of them (a structure re-priced and
re-judged every day and never traded) shows here first. Costs shared between bots fall on
the first to ask: an option chain is priced once per underlying and instant, by the first
option bot that fires then.

Run: ``.venv/bin/python -m bench.fire_cost_bench [--from 2016-07-01] [--to 2017-06-30]
[--kernel] [--top 25] [--json]`` (default: the whole default run)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any


def _refusals(db: Path) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Signals per bot, and each bot's refusing gate decisions by gate and reason."""
    con = sqlite3.connect(db)
    try:
        signals = Counter({b: n for b, n in con.execute("select bot, count(*) from signals group by bot")})
        refused: dict[str, Counter[str]] = {}
        rows = con.execute("select s.bot, g.gate || ': ' || g.reason, count(*) from gate_decisions g "
                           "join signals s on s.signal_id = g.signal_id where g.verdict = 'reject' group by 1, 2")
        for bot, reason, n in rows:
            refused.setdefault(bot, Counter())[reason] += n
    finally:
        con.close()
    return signals, refused


def measure(start: str | None, end: str | None, kernel: bool) -> dict[str, Any]:
    """A warm-up replay, then a timed one; per-bot fire counts, time and refusals."""
    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay
    from tradefleet.orchestrator.engine import Engine

    config = AppConfig.model_validate({"pipeline": {"stages": ["basic-risk"]}}) if kernel else AppConfig()
    fires: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    original = Engine.on_fire
    clock = time.perf_counter_ns

    def on_fire(self: Any, name: str, now_ns: int) -> None:
        t = clock()
        original(self, name, now_ns)
        spent[name] += clock() - t
        fires[name] += 1

    old_cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="fire-cost-bench-") as tmp:
        os.chdir(tmp)  # regime models and history go under ./var
        try:
            run_replay(config, start=start, end=end, store_url=f"sqlite:///{Path(tmp) / 'warm.db'}")
            Engine.on_fire = on_fire  # type: ignore[method-assign]
            try:
                s = run_replay(config, start=start, end=end, store_url=f"sqlite:///{Path(tmp) / 'timed.db'}")
            finally:
                Engine.on_fire = original  # type: ignore[method-assign]
            signals, refused = _refusals(Path(tmp) / "timed.db")
        finally:
            os.chdir(old_cwd)
    loop_ns = s.wall_seconds * 1e9
    bots = []
    for name, ns in spent.most_common():
        why = refused.get(name, Counter())
        top = why.most_common(1)
        bots.append({"bot": name, "fires": fires[name], "total_s": round(ns / 1e9, 3),
                     "per_fire_us": round(ns / 1e3 / fires[name], 1), "share_of_loop": round(ns / loop_ns, 4),
                     "signals": signals.get(name, 0), "refusals": sum(why.values()),
                     "top_refusal": f"{top[0][0]} ({top[0][1]})" if top else ""})
    return {"window": [start or "start", end or "end"], "stages": "basic-risk" if kernel else "default",
            "loop_s": round(s.wall_seconds, 2), "fires": sum(fires.values()),
            "fires_s": round(sum(spent.values()) / 1e9, 2), "fills": s.fills, "bots": bots}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="start", default=None, help="first day (default: the whole default run)")
    ap.add_argument("--to", dest="end", default=None, help="last day")
    ap.add_argument("--kernel", action="store_true", help="the kernel's own gate only (basic-risk)")
    ap.add_argument("--top", type=int, default=25, help="bots to print (default 25)")
    ap.add_argument("--json", action="store_true", help="print JSON (every bot)")
    a = ap.parse_args(argv)
    if a.top < 1:
        ap.error("--top must be >= 1")
    for flag, day in (("--from", a.start), ("--to", a.end)):
        if day is not None:
            try:
                date.fromisoformat(day)
            except ValueError:
                ap.error(f"{flag} {day!r}: use YYYY-MM-DD")
    r = measure(a.start, a.end, a.kernel)
    if a.json:
        print(json.dumps({**r, "loadavg": os.getloadavg()}, indent=1))
        return
    print(f"{r['stages']} pipeline, {r['window'][0]}..{r['window'][1]}: loop {r['loop_s']} s, {r['fires']:,} fires "
          f"taking {r['fires_s']} s, {r['fills']:,} fills; load average {os.getloadavg()[0]:.1f}")
    print(f"  {'bot':28} {'fires':>7} {'total s':>8} {'per fire':>10} {'loop':>6} {'signals':>8} {'refusals':>9}"
          "  most refused by")
    for b in r["bots"][:a.top]:
        print(f"  {b['bot']:28} {b['fires']:7,} {b['total_s']:8.2f} {b['per_fire_us']:8.1f}us {b['share_of_loop']:6.1%}"
              f" {b['signals']:8,} {b['refusals']:9,}  {b['top_refusal']}")


if __name__ == "__main__":
    main()
