"""The ML source in a replay: registry models vs walk-forward retraining, side by side.

``python -m bench.ml_walkforward_bench [--from 2008-01-01] [--to 2012-12-31] [--json]`` replays the
same SPX bots twice into fresh stores: once as the default (no promoted model: the ``ml``
source abstains), once with ``[ml] replay_walk_forward = true`` (models refitted on the
simulated clock every ``replay_retrain_days``). Reported: wall seconds of each run and their
ratio, model fits, ML votes cast and abstained, and the check that every cast vote's
model cut-off precedes its bar. Prints the load average: the box is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

BOTS = ["spx-rsi2", "spx-sma-trend", "spx-ibs-reversion"]


def _ml_votes(db: Path) -> tuple[int, int, bool, set[int]]:
    con = sqlite3.connect(db)
    rows = con.execute("select s.ts_init, d.data from signals s join gate_decisions d on d.signal_id = s.signal_id "
                       "and d.gate = 'ensemble'").fetchall()
    con.close()
    cast = abstained = 0
    ok, cutoffs = True, set()
    for ts, data in rows:
        for v in json.loads(data).get("votes", []):
            if v["source"] != "ml":
                continue
            if "abstain" in v:
                abstained += 1
                continue
            cast += 1
            d = v.get("detail", {})
            if "model_cutoff_ns" in d:
                cutoffs.add(d["model_cutoff_ns"])
                ok = ok and d["model_data_end_ns"] < d["model_cutoff_ns"] <= ts
    return cast, abstained, ok, cutoffs


def run(start: str, end: str, walk_forward: bool, days: float) -> dict[str, Any]:
    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay

    cfg = AppConfig.model_validate({"ml": {"replay_walk_forward": walk_forward, "replay_retrain_days": days}})
    with tempfile.TemporaryDirectory(prefix="tradefleet-mlwf-") as tmp:
        db = Path(tmp) / "s.db"
        t0 = time.perf_counter()
        s = run_replay(cfg, bots=BOTS, start=start, end=end, store_url=f"sqlite:///{db}")
        wall = time.perf_counter() - t0
        cast, abstained, ok, cutoffs = _ml_votes(db)
    return {"walk_forward": walk_forward, "wall_s": round(wall, 2), "signals": s.signals, "fills": s.fills,
            "ml_votes": cast, "ml_abstained": abstained, "cutoffs": len(cutoffs), "all_before_bar": ok,
            "return_pct": s.total_return_pct}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--from", dest="start", default="2008-01-01")
    p.add_argument("--to", dest="end", default="2012-12-31")
    p.add_argument("--days", type=float, default=365.0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    rows = [run(a.start, a.end, False, a.days), run(a.start, a.end, True, a.days)]
    out = {"load_average": os.getloadavg(), "window": [a.start, a.end], "bots": BOTS, "rows": rows,
           "wall_ratio": round(rows[1]["wall_s"] / rows[0]["wall_s"], 2) if rows[0]["wall_s"] else None}
    if a.json:
        print(json.dumps(out, indent=2))
        return
    print(f"load average {out['load_average'][0]:.2f}; {a.start}..{a.end}; bots {', '.join(BOTS)}")
    for r in rows:
        print(r)
    print(f"wall ratio walk-forward / default: {out['wall_ratio']}")


if __name__ == "__main__":
    main()
