"""Planted bugs: each patch breaks one trading behaviour; the suite must catch every one.

``make planted`` (or ``python -m tests.planted.run [NAME ...]``) copies the tracked tree
to a temporary folder once per patch, applies the patch there (the working tree is never
touched), runs the tests ``planted.toml`` names for it, and requires them to FAIL. The
run exits 1 if any planted bug stays green or any patch no longer applies, and prints one
row per patch: name, what it breaks, caught or not, seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bench.treecopy import copy_tree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@dataclass(frozen=True)
class Planted:
    name: str
    behaviour: str
    patch: Path
    tests: tuple[str, ...]


def load() -> list[Planted]:
    """Return the planted bugs listed in ``planted.toml``, in file order."""
    data = tomllib.loads((HERE / "planted.toml").read_text())
    return [Planted(name, row["behaviour"], HERE / row["patch"], tuple(row["tests"])) for name, row in data.items()]


def applies(p: Planted, tree: Path) -> str:
    """Return "" if the patch applies to ``tree``, else git's reason."""
    out = subprocess.run(["git", "apply", "--check", str(p.patch)], cwd=tree, capture_output=True, text=True)
    return "" if out.returncode == 0 else (out.stderr.strip().splitlines() or ["does not apply"])[0]


def imports_from(tree: Path) -> str:
    """Return "" if the package code imported in ``tree`` is ``tree``'s own, else where it came from
    (a patched copy whose tests import the working tree would let every planted bug pass)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    probe = "import tradefleet.risk.blockers as m; print(m.__file__)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tree, env=env, capture_output=True, text=True)
    path = out.stdout.strip()
    return "" if out.returncode == 0 and path.startswith(str(tree)) else (path or out.stderr.strip()[-200:])


def run_one(p: Planted, base: Path) -> tuple[str, float]:
    """Apply ``p`` to a fresh copy of ``base`` and run its tests: "caught", "MISSED" or the error."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"planted-{p.name}-") as d:
        tree = Path(d)
        shutil.copytree(base, tree, dirs_exist_ok=True, symlinks=True)
        why = applies(p, tree)
        if why:
            return f"PATCH FAILS: {why}", time.perf_counter() - t0
        subprocess.run(["git", "apply", str(p.patch)], cwd=tree, check=True, capture_output=True)
        env = {**os.environ, "PYTHONPATH": str(tree), "TRADEFLEET_PLANTED": p.name}
        env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
        out = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *p.tests],
                             cwd=tree, env=env, capture_output=True, text=True)
    # pytest exit 1 = tests failed (caught); 0 = all passed (missed); anything else = could not run
    verdict = {1: "caught", 0: "MISSED"}.get(out.returncode, f"ERROR (pytest exit {out.returncode})")
    return verdict, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="run only these planted bugs")
    ap.add_argument("--check", action="store_true", help="only check that every patch still applies")
    a = ap.parse_args(argv)
    planted = load()
    unknown = sorted(set(a.names) - {p.name for p in planted})
    if unknown:
        print(f"planted: unknown name(s) {', '.join(unknown)}; known: {', '.join(p.name for p in planted)}",
              file=sys.stderr)
        return 2
    chosen = [p for p in planted if not a.names or p.name in a.names]
    bad = 0
    with tempfile.TemporaryDirectory(prefix="planted-base-") as d:
        base = Path(d)
        copy_tree(base)
        where = imports_from(base)
        if where:
            print(f"planted: the copy does not import its own code: {where}", file=sys.stderr)
            return 2
        for i, p in enumerate(chosen, 1):
            if a.check:
                why = applies(p, base)
                verdict, secs = ("applies" if not why else f"PATCH FAILS: {why}"), 0.0
            else:
                verdict, secs = run_one(p, base)
            ok = verdict in ("caught", "applies")
            bad += not ok
            print(f"[{i}/{len(chosen)}] {p.name:28s} {verdict:12s} {secs:6.1f}s  {p.behaviour}", flush=True)
    print(f"{len(chosen) - bad} of {len(chosen)} planted bugs {'apply' if a.check else 'caught'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
