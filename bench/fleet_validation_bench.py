"""The fleet-level Go/No-Go on the bundled data: every default fleet judged as one portfolio.

``python -m bench.fleet_validation_bench [--fleet NAME ...] [--json]`` runs
:func:`tradefleet.app.fleet_validation.validate_fleet` (what ``tradefleet validate --fleet``
runs) for each fleet of the default registry over the default window, side by side:
verdict, failed checks, return, Sharpe, drawdown, walk-forward out-of-sample Sharpe and
positive folds, capital utilisation, mean pairwise correlation of the members, wall time.
Nothing is stored (the members' own verdicts are not looked up).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any


def row(result: Any, wall: float) -> dict[str, Any]:
    m, wf = result.metrics, result.walk_forward
    return {"fleet": result.fleet, "verdict": "GO" if result.passed else "NO-GO",
            "failed": ", ".join(result.failed_checks) or "-", "members": m["members"], "run": m["members_run"],
            "window": f"{result.window['from']}..{result.window['to']}", "trades": m["trades"],
            "win_rate": m["win_rate"], "return": m["return"], "sharpe": m["sharpe"], "max_dd": m["max_drawdown"],
            "oos_sharpe": wf["oos_sharpe"], "positive_folds": f"{wf['positive_folds']}/{wf.get('oos_folds', 0)}",
            "utilisation": m["capital_utilisation"], "mean_corr": result.correlation.get("mean_pairwise"),
            "wall_s": round(wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", action="append", help="only this fleet (repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from tradefleet.app.config import AppConfig
    from tradefleet.app.fleet_validation import fleet_of, validate_fleet
    from tradefleet.app.replay import select_bots
    from tradefleet.orchestrator.registry import Registry

    cfg = AppConfig()
    reg = Registry.discover()
    fleets = args.fleet or sorted({fleet_of(cfg, s.name, s.family) for s in select_bots(reg, cfg, None)})
    rows = []
    for fleet in fleets:
        t0 = time.perf_counter()
        try:
            result = validate_fleet(cfg, fleet, registry=reg)
        except Exception as exc:  # noqa: BLE001 - one fleet that cannot replay is reported, the rest go on
            rows.append({"fleet": fleet, "verdict": "error", "failed": f"{type(exc).__name__}: {exc}"})
            continue
        rows.append(row(result, time.perf_counter() - t0))
    out = {"load_average": os.getloadavg(), "fleets": rows}
    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return
    print(f"load average {out['load_average'][0]:.2f} {out['load_average'][1]:.2f} {out['load_average'][2]:.2f}")
    cols = list(rows[0]) if rows else []
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(f"{r.get(c):.4f}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols))


if __name__ == "__main__":
    main()
