"""Run every benchmark under ``bench/`` in turn (``make bench``).

Each ``bench/*_bench.py`` module runs as its own process with its default settings, so
one benchmark's imports, caches and threads never colour the next one's figures. Exit
status 1 if any benchmark failed; the names of the failures are listed at the end.

Run: ``.venv/bin/python -m bench.run_all [--only NAME ...] [--list]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> list[str]:
    """Return the module names of every benchmark, sorted."""
    return sorted(p.stem for p in HERE.glob("*_bench.py"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these (e.g. kernel_bench options_bench)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    a = ap.parse_args(argv)
    names = benchmarks()
    if a.list:
        print("\n".join(names))
        return 0
    if a.only:
        unknown = sorted(set(a.only) - set(names))
        if unknown:
            print(f"bench.run_all: --only: unknown benchmark(s) {', '.join(unknown)}; "
                  f"known: {', '.join(names)}", file=sys.stderr)
            return 2
        names = [n for n in names if n in a.only]
    failed = []
    for i, name in enumerate(names, 1):
        print(f"== [{i}/{len(names)}] bench.{name}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent)
        print(f"== bench.{name}: exit {rc} in {time.perf_counter() - t0:.1f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
