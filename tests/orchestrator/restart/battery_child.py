"""One orchestrator process of the crash battery: ``run_live`` (paper mode, the Alpaca
account on the parent's loopback fake) over minutes ``first..last`` of generated bars.

``TF_BATTERY_KILL=<fire>:<KILL|TERM>`` makes the process signal itself when that fire
reaches the engine (a SIGKILL dies at once; a SIGTERM stops the runner gracefully).
Run as ``python -m tests.orchestrator.restart.battery_child <base> <store url> <first> <last>``.
"""

from __future__ import annotations

import os
import signal
import sys

from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.live import LiveRunner
from tests.orchestrator.restart.harness import MIN, T0, PriceFeed, config, registry, run, spec

BOTS = [("flip-a", "AAPL"), ("flip-b", "MSFT")]


def closes(last: int) -> dict[str, list[float]]:
    """Generated closes: each symbol alternates long/flat phases of different lengths; the
    last 4 minutes are flat for both (every position must be exited)."""
    out = {}
    for k, (_, sym) in enumerate(BOTS):
        out[sym] = [101.0 if (m // (3 + k)) % 2 == 0 and m < last - 4 else 99.0 for m in range(last + 2)]
    return out


def main(argv: list[str]) -> int:
    base, url, first, last, total = argv[0], argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    kill = os.environ.get("TF_BATTERY_KILL", "")
    if kill:
        at, _, sig = kill.partition(":")
        handle = LiveRunner.handle_fire
        count = {"n": 0}

        def fire(self: LiveRunner, job: str, fire_ns: int) -> None:
            count["n"] += 1
            if count["n"] == int(at):
                os.kill(os.getpid(), signal.SIGKILL if sig == "KILL" else signal.SIGTERM)
            handle(self, job, fire_ns)

        LiveRunner.handle_fire = fire  # type: ignore[method-assign]
    cfg = config(base, [s for _, s in BOTS], max_positions=1,
                 blockers={"cooldown_minutes": 0})
    clock = SimClock(T0 + first * MIN - 1)
    run(cfg, url, registry(*(spec(b, s) for b, s in BOTS)), [b for b, _ in BOTS], PriceFeed(closes(total)), clock,
        first, last, install_signals=True)  # SIGTERM stops the runner as in production
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
