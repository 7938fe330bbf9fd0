"""Digest of the default run: one sha256 over what the fleet did.

Run: ``.venv/bin/python -m bench.digest [--from 2016-07-01] [--to 2017-06-30] [--full] [--verbose] [--check]``

``--full`` digests the whole default run (every bundled year, no ``--from``/``--to``).
``--check`` compares with the digest stored in ``bench/digests.json`` for the same window
(exit 1 when it differs). ``--write`` stores the digest just computed there: only in a
commit that changes the run's behaviour on purpose, saying why. The suite's
``tests/bench/test_digest.py`` runs the default window and compares it with the same file.

Runs ``tradefleet run`` (the embedded default: every built-in bot, bundled data, paper
broker, the full gate pipeline) over a short window in a fresh folder and store, then
hashes the stored orders, fills, equity points, signals and gate decisions. Money and
prices are rounded to cents, timestamps to microseconds, quantities and other floats to
six decimals; row ids and wall-clock fields are left out. Behaviour-preserving changes
(the layering move, speed work) must leave the digest unchanged; behaviour-changing ones
update it in their own commit and say why.

The store is read with :mod:`sqlite3` directly, so the digest does not depend on the
store code it is checking. The CLI runs as a subprocess of this interpreter with the
repository root first on ``PYTHONPATH``, so a worktree digests its own code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI = "tradefleet.app.cli.main"
WINDOW = ("2016-07-01", "2017-06-30")
EXPECTED = Path(__file__).resolve().parent / "digests.json"

# table -> (columns, order by); money columns round to cents, *_ns/ts to microseconds
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "orders": (("client_order_id", "signal_id", "bot", "instrument", "account", "side", "quantity", "order_type",
                "limit_price", "status", "filled_quantity", "avg_price", "reason", "reduce_only", "ts_init",
                "ts_updated"), "client_order_id"),
    "fills": (("client_order_id", "venue", "venue_order_id", "trade_id", "instrument", "side", "quantity", "price",
               "fee", "ts_event", "ts_init"), "venue, venue_order_id, trade_id"),
    "equity": (("account", "ts", "cash", "positions_value", "equity"), "account, ts"),
    "signals": (("signal_id", "bot", "instrument", "direction", "confidence", "entry", "stop", "target", "ts_event",
                 "ts_init", "meta", "outcome"), "signal_id"),
    "gate_decisions": (("signal_id", "seq", "gate", "verdict", "reason", "scale", "data"), "signal_id, seq"),
}
MONEY = {"limit_price", "avg_price", "price", "fee", "cash", "positions_value", "equity", "entry", "stop", "target"}
TIMES = {"ts_init", "ts_updated", "ts_event", "ts"}


def _round(value: Any, places: str) -> str:
    return str(Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_EVEN))


def _norm(value: Any) -> Any:
    """Round every float in a decoded JSON value to six decimals."""
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, float):
        return _round(value, "0.000001") if value == value and abs(value) != float("inf") else str(value)
    return value


def cell(column: str, value: Any) -> Any:
    """One stored value, normalised: cents, microseconds, six decimals, sorted JSON."""
    if value is None:
        return None
    if column in TIMES:
        return int(value) // 1_000
    if column in MONEY:
        return _round(value, "0.01")
    if column in ("meta", "data"):
        return _norm(json.loads(value) if isinstance(value, str) else value)
    if isinstance(value, float) or column in ("quantity", "filled_quantity"):
        return _round(value, "0.000001")
    return value


def rows(db: Path) -> dict[str, list[list[Any]]]:
    """The normalised rows of every digested table."""
    out: dict[str, list[list[Any]]] = {}
    with sqlite3.connect(db) as conn:
        for table, (cols, order) in TABLES.items():
            cur = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}")  # noqa: S608 (fixed names)
            out[table] = [[cell(c, v) for c, v in zip(cols, row, strict=True)] for row in cur]
    return out


def run_default(workdir: Path, start: str | None, end: str | None) -> Path:
    """Run the embedded default over ``start..end`` (None: the whole default run) in
    ``workdir``; return the store file."""
    db = workdir / "digest.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFLEET__")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    window = ["--from", start, "--to", end] if start and end else []
    cmd = [sys.executable, "-m", CLI, "run", *window, "--json", "--no-view", "--no-dashboard",
           "--store", f"sqlite:///{db}"]
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"digest: the run failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return db


def digest(tables: dict[str, list[list[Any]]]) -> str:
    """sha256 over the canonical JSON of ``tables``."""
    blob = json.dumps(tables, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def window_key(start: str | None, end: str | None) -> str:
    """The key of a window in ``bench/digests.json``: ``full`` or ``<from>..<to>``."""
    return f"{start}..{end}" if start and end else "full"


def expected(key: str) -> str | None:
    """The stored digest of window ``key``, or None."""
    stored = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    return stored.get(key, {}).get("sha256")


def digest_of_run(start: str | None, end: str | None) -> tuple[str, dict[str, list[list[Any]]]]:
    """Run the default over the window in a fresh folder; return (digest, normalised tables)."""
    with tempfile.TemporaryDirectory(prefix="tradefleet-digest-") as tmp:
        tables = rows(run_default(Path(tmp), start, end))
    return digest(tables), tables


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="start", default=WINDOW[0])
    ap.add_argument("--to", dest="end", default=WINDOW[1])
    ap.add_argument("--full", action="store_true", help="the whole default run (no --from/--to)")
    ap.add_argument("--verbose", action="store_true", help="also print row counts and one sha256 per table")
    ap.add_argument("--check", action="store_true", help="exit 1 unless it equals the digest in bench/digests.json")
    ap.add_argument("--write", action="store_true", help="store the digest in bench/digests.json (behaviour changes only)")
    args = ap.parse_args(argv)
    start, end = (None, None) if args.full else (args.start, args.end)
    key = window_key(start, end)
    sha, tables = digest_of_run(start, end)
    if args.verbose:
        for name, table in tables.items():
            print(f"{name:15} {len(table):6} rows  {digest({name: table})}", file=sys.stderr)
    print(sha)
    if args.write:
        stored = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
        stored[key] = {"sha256": sha, "rows": {name: len(t) for name, t in tables.items()}}
        EXPECTED.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    if args.check:
        want = expected(key)
        if want != sha:
            print(f"digest: {key}: {sha} differs from the stored {want} (bench/digests.json)", file=sys.stderr)
            raise SystemExit(1)


if __name__ == "__main__":
    main()
