"""Mutation testing of the trading core with cosmic-ray (issue 25).

Run: ``make mutation`` (every module in ``bench/mutation_targets.toml``) or
``make mutation MODULE=risk/blockers.py``; directly:
``.venv/bin/python -m bench.mutation [MODULE ...] [--timeout S] [--limit N]``.

Each module is mutated in a temporary copy of the tracked tree (the working tree is never
touched), each mutant runs only that module's tests (``-x``, so the first failure kills
it), and the counts (killed, survived, timeout/incompetent, score) replace that module's
row in ``bench/mutation.md`` with the date and the command. Surviving mutants are listed
under the table (operator, line) so each can be killed by a test or argued equivalent.
A full run takes far longer than CI allows and is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

from bench.treecopy import copy_tree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REPORT = HERE / "mutation.md"


def targets() -> dict[str, list[str]]:
    data = tomllib.loads((HERE / "mutation_targets.toml").read_text())
    return {module: list(row["tests"]) for module, row in data.items()}


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) (line, column) of every function parameter and return annotation of ``source``
    when it has ``from __future__ import annotations`` (then they are never evaluated), else none.
    Class-level annotations are left alone: pydantic models and the like do evaluate those."""
    import ast

    tree = ast.parse(source)
    lazy = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
               any(a.name == "annotations" for a in n.names) for n in tree.body)
    if not lazy:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            notes = [x.annotation for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                     if x is not None and x.annotation is not None]
            notes += [node.returns] if node.returns is not None else []
            out += [((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in notes]
    return out


def _inside(start: tuple[int, int], end: tuple[int, int],
            spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
    return any(lo <= tuple(start) and tuple(end) <= hi for lo, hi in spans)


def run_module(module: str, tests: list[str], timeout: float, limit: int | None,
               max_minutes: float | None = None) -> dict[str, object]:
    from cosmic_ray.work_db import WorkDB, use_db

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutation-") as d:
        tree = Path(d)
        copy_tree(tree)
        cmd = " ".join([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests])
        (tree / "cr.toml").write_text(
            f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {timeout}\nexcluded-modules = []\n'
            f'test-command = "{cmd}"\n\n[cosmic-ray.distributor]\nname = "local"\n')
        env_cmd = ["env", f"PYTHONPATH={tree}", f"NUMBA_CACHE_DIR={ROOT / '.numba_cache'}"]
        cr = [str(Path(sys.executable).with_name("cosmic-ray"))]
        subprocess.run([*env_cmd, *cr, "init", "cr.toml", "s.sqlite"], cwd=tree, check=True, capture_output=True)
        import sqlite3

        spans = annotation_spans((ROOT / module).read_text())
        with use_db(str(tree / "s.sqlite"), WorkDB.Mode.open) as db:
            items = list(db.work_items)
        skipped = [w for w in items if _inside(w.mutations[0].start_pos, w.mutations[0].end_pos, spans)]
        kept = [w for w in items if w not in skipped]
        extra = skipped + (kept[limit:] if limit is not None else [])  # a sample: the first N (by position)
        con = sqlite3.connect(tree / "s.sqlite")
        for item in extra:
            con.execute("delete from mutation_specs where job_id = ?", (item.job_id,))
            con.execute("delete from work_items where job_id = ?", (item.job_id,))
        con.commit()
        con.close()
        proc = subprocess.Popen([*env_cmd, *cr, "exec", "cr.toml", "s.sqlite"], cwd=tree, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=max_minutes * 60 if max_minutes else None)
        except subprocess.TimeoutExpired:  # out of time: report what ran (the row says partial)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        counts: Counter[str] = Counter()
        survivors: list[str] = []
        with use_db(str(tree / "s.sqlite"), WorkDB.Mode.open) as db:
            total = db.num_work_items
            items = {w.job_id: w for w in db.work_items}
            for job_id, result in db.results:
                item = items[job_id]
                if result.worker_outcome.value == "abnormal":
                    counts["timeout"] += 1
                elif result.test_outcome is None or result.test_outcome.value == "incompetent":
                    counts["incompetent"] += 1
                else:
                    counts[result.test_outcome.value] += 1
                    if result.test_outcome.value == "survived":
                        m = item.mutations[0]
                        survivors.append(f"{m.operator_name} line {m.start_pos[0]}")
    done = counts["killed"] + counts["survived"]
    return {"module": module, "mutants": total, "annotations": len(skipped), "killed": counts["killed"], "survived": counts["survived"],
            "timeout": counts["timeout"], "incompetent": counts["incompetent"],
            "score": round(100.0 * counts["killed"] / done, 1) if done else 0.0,
            "minutes": round((time.perf_counter() - t0) / 60, 1), "survivors": survivors,
            "sampled": limit is not None, "ran": done + counts["timeout"] + counts["incompetent"]}


def write_report(rows: list[dict[str, object]]) -> None:
    old: dict[str, str] = {}
    notes: dict[str, str] = {}
    if REPORT.exists():
        section = ""
        for line in REPORT.read_text().splitlines():
            if line.startswith("| `"):
                old[line.split("`")[1]] = line
            elif line.startswith("### "):
                section = line[4:].strip("` ")
                notes[section] = line + "\n"
            elif section and line.strip():
                notes[section] += line + "\n"
    for r in rows:
        sample = " (first %s mutants)" % r["mutants"] if r["sampled"] else ""
        if r.get("annotations"):
            sample += f" (+{r['annotations']} in annotations, not run)"
        if r["ran"] != r["mutants"]:
            sample += f" (partial: {r['ran']} run before the time limit)"
        old[str(r["module"])] = (f"| `{r['module']}` | {r['mutants']}{sample} | {r['killed']} | {r['survived']} | "
                                 f"{r['timeout']} | {r['incompetent']} | {r['score']} % | {r['minutes']} | {date.today()} |")
        notes[str(r["module"])] = (f"### `{r['module']}`\nSurviving mutants (operator, line): "
                                   + (", ".join(r["survivors"]) or "none") + "\n")  # type: ignore[arg-type]
    lines = ["# Mutation testing of the trading core", "",
             "Tool: cosmic-ray 8.7. Command: `make mutation MODULE=<path>` (or `python -m bench.mutation`);",
             "targets and the tests each module runs: `bench/mutation_targets.toml`. Score = killed /",
             "(killed + survived); timeouts count as killed by cosmic-ray's convention but are listed apart.",
             "Mutants inside a function's parameter or return annotations in a module with `from __future__",
             "import annotations` are not run (those annotations stay strings nobody evaluates, so such a mutant",
             "cannot change behaviour); the mutants cell counts them apart. Rows run before that rule count",
             "them among the survivors (and list them as equivalent).", "",
             "| module | mutants | killed | survived | timeout | incompetent | score | minutes | date |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|", *[old[k] for k in sorted(old)], "",
             "## Survivors", "", *[notes[k] for k in sorted(notes)]]
    REPORT.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help="modules to mutate (default: every target)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant's test run")
    ap.add_argument("--limit", type=int, default=None, help="mutate only the first N sites (a sample)")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop each module after this long and "
                    "report the mutants run so far (the row says partial)")
    a = ap.parse_args(argv)
    known = targets()
    unknown = [m for m in a.modules if m not in known]
    if unknown:
        print(f"bench.mutation: unknown module(s) {', '.join(unknown)}; targets: {', '.join(known)}", file=sys.stderr)
        return 2
    rows = []
    for module in a.modules or list(known):
        row = run_module(module, known[module], a.timeout, a.limit, a.max_minutes)
        print(f"{module}: {row['killed']} killed, {row['survived']} survived, {row['timeout']} timeout, "
              f"score {row['score']} % ({row['minutes']} min)", flush=True)
        rows.append(row)
    write_report(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
