"""What the five Strategy API v2 bots cost the default fleet: the same replay with every
bar bot, without and with them, back to back.

    .venv/bin/python -m bench.intent_fleet_cost [--stages risk] [--from 2010-01-01] [--to 2010-12-31]
"""

from __future__ import annotations

import argparse
import tempfile

from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import Replay

MINE = {"spx-nasdaq-pairs", "momentum-rotation", "risk-parity", "spx-stop-breakout", "goog-limit-reversion"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", default="risk", help="comma-separated pipeline stages")
    ap.add_argument("--from", dest="start", default="2010-01-01")
    ap.add_argument("--to", dest="end", default="2010-12-31")
    args = ap.parse_args()
    reg = Registry.discover()
    names = sorted(n for n, s in reg.bots().items() if not s.bot.event_driven)
    cfg = AppConfig.model_validate({"pipeline": {"stages": args.stages.split(",")}})
    for label, bots in (("without", [n for n in names if n not in MINE]), ("with", names)):
        with tempfile.TemporaryDirectory() as d:
            s = Replay(cfg, bots=bots, start=args.start, end=args.end, store_url=f"sqlite:///{d}/x.db",
                       registry=reg).run()
        print({"run": label, "bots": len(bots), "events": s.fires + s.bar_events, "loop_s": round(s.wall_seconds, 1),
               "events_per_s": round(s.events_per_second)}, flush=True)


if __name__ == "__main__":
    main()
