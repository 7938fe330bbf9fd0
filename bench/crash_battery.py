"""The full crash battery of issue 15: >= 30 random SIGKILL/SIGTERM restarts of a paper run
against the loopback Alpaca fake (see tests/orchestrator/restart/test_crash_battery.py).

Run: ``.venv/bin/python -m bench.crash_battery [--restarts 30] [--seed 15]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--restarts", type=int, default=30)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    env = dict(os.environ, TF_BATTERY_RESTARTS=str(args.restarts), TF_BATTERY_SEED=str(args.seed))
    t0 = time.perf_counter()
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          "tests/orchestrator/restart/test_crash_battery.py"], env=env)
    print(f"crash battery: {args.restarts} restarts, seed {args.seed}: {'passed' if rc == 0 else 'FAILED'} "
          f"in {time.perf_counter() - t0:.0f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
