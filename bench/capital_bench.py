"""Capital use on the default run: utilisation, size refusals, return, Sharpe, drawdown.

``python -m bench.capital_bench [--json]`` replays the embedded default (every bot,
every bundled dataset) into a fresh SQLite store and reports, from the run summary and
the stored daily equity curve:

* capital utilisation: average gross exposure / equity (goal >= 20%), per fleet too;
* entries refused for size (``size_below_lot``) as a share of entry signals (goal < 5%),
  and, apart, entries refused because the bot's measured Kelly edge is not positive;
* total return, annualised Sharpe of daily equity returns, maximum drawdown.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import tempfile
from pathlib import Path
from typing import Any


def figures(summary: dict[str, Any], db: Path) -> dict[str, Any]:
    """Compute the figures from a run summary and its store."""
    import numpy as np

    con = sqlite3.connect(db)
    try:
        eq = np.array([float(r[0]) for r in con.execute(
            "select equity from equity where account = ? order by ts", (summary["account"],))])
    finally:
        con.close()
    rets = np.diff(eq) / eq[:-1] if len(eq) > 1 else np.array([])
    sharpe = float(rets.mean() / rets.std() * math.sqrt(252)) if len(rets) > 1 and rets.std() > 0 else 0.0
    peak = np.maximum.accumulate(eq) if len(eq) else eq
    dd = float(((peak - eq) / peak).max()) if len(eq) else 0.0
    cap = summary["capital"]
    return {
        "window": [summary["start"], summary["end"]],
        "bots": len(summary["bots"]),
        "utilisation_avg_gross_of_equity": cap["account_avg_gross_of_equity"],
        "utilisation_by_fleet": cap["fleets"],
        "entry_signals": cap["entry_signals"],
        "size_refusals": cap["size_refusals"],
        "size_refusal_pct": cap["size_refusal_pct"],
        "no_edge_refusals": cap["no_edge_refusals"],
        "total_return_pct": summary["total_return_pct"],
        "sharpe_daily_annualised": round(sharpe, 3),
        "max_drawdown_pct": round(100 * dd, 3),
        "fills": summary["fills"],
        "wall_seconds": summary["wall_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        summary = run_replay(AppConfig(), store_url=f"sqlite:///{db}").to_dict()
        out = figures(summary, db)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k, v in out.items():
        print(f"{k:34} {v}")


if __name__ == "__main__":
    main()
