"""Option bots in the real engine (issue 20): what trading listed legs costs a replay.

Run: ``.venv/bin/python -m bench.options_engine_bench [--from 2004-09-01] [--to 2013-03-01] [--json]``

Replays, in one process and one after the other, each GOOG option bot (``goog-wheel`` and
the others of :mod:`tradefleet.bots.options.traded`: model-priced chains quoted into the
market, legs filled at the bid/ask, expiry and assignment booked by the engine) and, side by
side, the GOOG stock bot ``goog-ema-trend`` over the same bundled window (2004-2013) through
the same pipeline (risk gate only, a 500,000 account), each in a fresh store. Prints wall seconds, fills, and
the ratio to the stock bot, with the load average (the box is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from typing import Any

BOTS = ("goog-wheel", "goog-iron-condor", "goog-vertical-spread", "goog-covered-call", "goog-protective-put")
BASELINE = "goog-ema-trend"


def _run(bot: str, start: str, end: str, folder: str) -> dict[str, Any]:
    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay

    # a 500k account: the covered call and protective put hold 100 GOOG shares per contract (up to
    # ~70k), inside the default 20 % position limit only from about 350k of equity
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}, "engine": {"starting_cash": 500_000}})
    t0 = time.perf_counter()
    s = run_replay(cfg, bots=[bot], start=start, end=end, store_url=f"sqlite:///{folder}/{bot}.db")
    wall = time.perf_counter() - t0
    return {"bot": bot, "wall_s": round(wall, 2), "fills": s.fills, "orders": s.orders, "rejected": s.rejected,
            "return_pct": s.total_return_pct, "fees": s.fees}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="start", default="2004-09-01")
    ap.add_argument("--to", dest="end", default="2013-03-01")
    ap.add_argument("--bots", default=",".join(BOTS))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        base = _run(BASELINE, a.start, a.end, folder)
        rows = [_run(b, a.start, a.end, folder) for b in a.bots.split(",") if b]
    for r in rows:
        r["ratio_to_stock_bot"] = round(r["wall_s"] / base["wall_s"], 2) if base["wall_s"] else None
    out = {"window": [a.start, a.end], "baseline": base, "option_bots": rows,
           "load_average": [round(x, 2) for x in load0], "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    if a.json:
        print(json.dumps(out, indent=2))
        return
    print(f"window {a.start} .. {a.end}; load average before {out['load_average']}, after {out['load_average_after']}")
    print(f"{'bot':24} {'wall s':>8} {'fills':>7} {'refused':>8} {'return %':>9} {'x stock bot':>12}")
    print(f"{BASELINE:24} {base['wall_s']:8.2f} {base['fills']:7d} {base['rejected']:8d} {base['return_pct']:9.2f} "
          f"{1.0:12.2f}")
    for r in rows:
        print(f"{r['bot']:24} {r['wall_s']:8.2f} {r['fills']:7d} {r['rejected']:8d} {r['return_pct']:9.2f} "
              f"{r['ratio_to_stock_bot']:12.2f}")


if __name__ == "__main__":
    main()
