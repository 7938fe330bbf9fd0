"""Real-data replays of the Strategy API v2 bots (the figures in their docstrings and in
docs/bot-authoring.md).

Each bot runs alone through ``tradefleet run``'s replay on the bundled daily data, with
the default configuration (every gate: regime, ensemble, veto, fleet, portfolio risk;
paper fills by the fill model) or, with ``--kernel``, only the portfolio risk gate.

    .venv/bin/python -m bench.portfolio_bots [--kernel] [--bots NAME ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import Replay

BOTS = {
    "spx-nasdaq-pairs": ("tradefleet.bots.portfolio.pairs:SPX_NASDAQ_PAIRS", "1999-01-01", "2018-12-31"),
    "momentum-rotation": ("tradefleet.bots.portfolio.rotation:MOMENTUM_ROTATION", "2005-01-01", "2013-02-28"),
    "risk-parity": ("tradefleet.bots.portfolio.risk_parity:RISK_PARITY", "2005-01-01", "2013-02-28"),
    "spx-stop-breakout": ("tradefleet.bots.portfolio.breakout:SPX_STOP_BREAKOUT", "2009-01-01", "2018-12-31"),
    "goog-limit-reversion": ("tradefleet.bots.portfolio.reversion:GOOG_LIMIT_REVERSION", "2004-08-19", "2013-03-01"),
}


def _registry() -> Registry:
    import importlib

    reg = Registry.discover()
    for name, (target, _, _) in BOTS.items():
        if name not in reg.records["bots"]:  # before the entry points are installed
            mod, attr = target.split(":")
            reg.add_entry("bots", name, target, lambda m=mod, a=attr: getattr(importlib.import_module(m), a))
    return reg


def run(name: str, kernel: bool) -> dict[str, object]:
    _, start, end = BOTS[name]
    raw: dict[str, object] = {"pipeline": {"stages": ["risk"]}} if kernel else {}
    config = AppConfig.model_validate(raw)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        s = Replay(config, bots=[name], start=start, end=end, store_url=f"sqlite:///{Path(tmp)}/b.db",
                   registry=_registry()).run()
        wall = time.perf_counter() - t0
    bot = s.bots[0] if getattr(s, "bots", None) else None
    return {"bot": name, "from": start, "to": end, "return_pct": round(s.total_return_pct, 2),
            "orders": s.orders, "fills": s.fills, "rejected": s.rejected,
            "closed_trades": getattr(bot, "closed_trades", None), "win_rate": getattr(bot, "win_rate", None),
            "fees": round(s.fees, 2), "events_per_s": round(s.events_per_second), "wall_s": round(wall, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", action="store_true", help="only the portfolio risk gate")
    ap.add_argument("--bots", nargs="*", default=list(BOTS))
    args = ap.parse_args()
    for name in args.bots:
        print(run(name, args.kernel), flush=True)


if __name__ == "__main__":
    main()
