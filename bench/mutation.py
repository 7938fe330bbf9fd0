"""Mutation testing of the trading core with cosmic-ray (issue 25).

Run: ``make mutation`` (every module in ``bench/mutation_targets.toml``) or
``make mutation MODULE=risk/blockers.py``; directly:
``.venv/bin/python -m bench.mutation [MODULE ...] [--jobs N] [--timeout S] [--limit N] [--max-minutes M]``.

cosmic-ray makes the mutants (``cosmic-ray init``: its operators, its work database); this module
runs them faster than ``cosmic-ray exec`` would:

- each module is mutated in temporary copies of the tracked tree (one per worker; the working
  tree is never touched);
- the module's listed tests run once, unmutated, under ``bench.mutation_lines``, which records
  which test executes which line; each mutant then runs only the listed tests that execute a line
  of its statement (``-x``: the first failure kills it). A mutant no listed test reaches survives
  without running, and is counted apart;
- ``bench.mutation_worker`` processes import the libraries once and fork a child per mutant.

The outcomes go back into cosmic-ray's work database, and the counts (killed, survived,
timeout/incompetent, score) replace that module's row in ``bench/mutation.md`` with the date.
Surviving mutants are listed under the table (operator, line); their diffs are in
``bench/mutation-results/<module>.survivors.json`` so each can be killed by a test or argued equivalent.
A full run of every module takes about an hour on two cores and is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
RESULTS = HERE / "mutation-results"  # per module: the last full run's row, its survivors, those still surviving
LOG = ROOT / "var" / "mutation"  # per-mutant outcomes (jsonl, one line as each mutant ends)


def targets() -> dict[str, list[str]]:
    data = tomllib.loads((HERE / "mutation_targets.toml").read_text())
    return {module: list(row["tests"]) for module, row in data.items()}


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) (line, column) of every annotation of ``source`` that Python never evaluates, so
    that no mutant inside one can change behaviour:

    - a local variable's annotation in a function body (never evaluated, PEP 526), in any module;
    - a function's parameter and return annotations when the module has ``from __future__ import
      annotations`` (they stay strings).

    Class-level annotations are left alone: pydantic models and the like do evaluate those."""
    import ast

    tree = ast.parse(source)
    lazy = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
               any(a.name == "annotations" for a in n.names) for n in tree.body)
    notes: list[ast.expr] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.AnnAssign) and in_function:
                notes.append(child.annotation)
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = child.args
                if lazy:
                    notes.extend(x.annotation for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                                 if x is not None and x.annotation is not None)
                    notes.extend([child.returns] if child.returns is not None else [])
                visit(child, True)
            elif isinstance(child, ast.ClassDef):
                visit(child, False)
            else:
                visit(child, in_function)

    visit(tree, False)
    return [((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in notes]


def _inside(start: tuple[int, int], end: tuple[int, int],
            spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
    return any(lo <= tuple(start) and tuple(end) <= hi for lo, hi in spans)


class BaselineFailed(Exception):
    """The module's listed tests fail before any mutation: no mutant's outcome would mean anything."""


def split_args(tests: list[str]) -> tuple[list[str], list[str]]:
    """The toml's test list as (pytest options, test paths): ``-p`` takes the next item."""
    opts: list[str] = []
    paths: list[str] = []
    it = iter(tests)
    for arg in it:
        if arg.startswith("-"):
            opts.append(arg)
            if arg == "-p":
                opts.append(next(it))
        else:
            paths.append(arg)
    return opts, paths


def statement_lines(source: str) -> dict[tuple[int, int], tuple[int, int]]:
    """For every AST node's start (line, column): the lines of the smallest statement holding it.

    A mutant is run against the tests that execute any line of its statement (the statement's
    header only, for a compound one such as ``if`` or ``def``: its body is other statements)."""
    import ast

    spans: dict[tuple[int, int], tuple[int, int]] = {}

    def header_end(stmt: ast.stmt) -> int:
        body = getattr(stmt, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            return max(stmt.lineno, body[0].lineno - 1)
        return stmt.end_lineno or stmt.lineno

    def walk(node: ast.AST, span: tuple[int, int]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = (child.lineno, header_end(child)) if isinstance(child, ast.stmt) else span
            if hasattr(child, "lineno"):
                spans.setdefault((child.lineno, child.col_offset), inner)  # type: ignore[attr-defined]
            walk(child, inner)

    walk(ast.parse(source), (1, len(source.splitlines()) or 1))
    return spans


def trace_tests(tree: Path, module: str, tests: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run the module's tests once under ``bench.mutation_lines``: which test executes which line.
    The baseline must pass, or no mutant's outcome would mean anything."""
    out = tree / ".mutation-trace.json"
    opts, paths = split_args(tests)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench.mutation_lines",
           f"--basetemp={tree / '.pytest-trace'}", *opts, *paths]
    run_env = {**env, "MUTATION_TRACE_FILE": str(tree / module), "MUTATION_TRACE_OUT": str(out)}
    proc = subprocess.run(cmd, cwd=tree, env=run_env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        raise BaselineFailed(f"bench.mutation: {module}'s tests do not pass unmutated (exit {proc.returncode}): "
                         + " | ".join(tail))
    return json.loads(out.read_text())


def select_tests(trace: dict[str, object], lines: range) -> list[str]:
    """The tests (in run order) that execute any of ``lines``; every test when the lines run outside a
    test (at import, in a session fixture); a module fixture's lines select its whole file."""
    order: list[str] = trace["order"]  # type: ignore[assignment]
    if any(n in trace["import"] for n in lines):  # type: ignore[operator]
        return list(order)
    hit: set[str] = set()
    for key, seen in trace["tests"].items():  # type: ignore[attr-defined]
        if any(n in seen for n in lines):
            if key.startswith("@"):
                hit.update(t for t in order if t.split("::")[0] == key[1:])
            else:
                hit.add(key)
    return [t for t in order if t in hit]


def mutant_diff(source: str, job: dict[str, object]) -> str:
    """The unified diff of one mutant (for one no test reaches, which no worker ran)."""
    import difflib

    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    operator = get_operator(str(job["operator"]))(**(job.get("args") or {}))  # type: ignore[arg-type]
    mutated = mutate_code(source, operator, job["occurrence"])
    if mutated is None:
        return ""
    name = str(job["module"])
    return "\n".join(difflib.unified_diff(source.split("\n"), mutated.split("\n"), "a/" + name, "b/" + name,
                                         lineterm="", n=1))


def _saved(module: str, kind: str) -> Path:
    """Where a module's run keeps ``kind``: its row and survivor lists in ``bench/mutation-results`` (kept
    with the report they back: a recheck or a later session starts from them), its per-mutant log in var/."""
    folder = LOG if kind.endswith(".jsonl") else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (module.replace("/", "__") + kind)


def run_module(module: str, tests: list[str], timeout: float, limit: int | None,
               max_minutes: float | None = None, jobs: int = 1, seed: int = 25,
               recheck: bool = False) -> dict[str, object]:
    """Run ``module``'s mutants against ``tests``. ``recheck``: run only the survivors of its last
    full run (same source) against the tests as they are now, and add those now killed to that run's
    counts (the row says so)."""
    import random
    import threading
    from queue import Empty, Queue

    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    t0 = time.perf_counter()
    LOG.mkdir(parents=True, exist_ok=True)
    log_path = _saved(module, ".recheck.jsonl" if recheck else ".jsonl")  # a recheck keeps the run's own log
    with tempfile.TemporaryDirectory(prefix="mutation-") as d:
        trees = [Path(d) / f"w{k}" for k in range(max(1, jobs))]
        for tree in trees:
            copy_tree(tree)
        tree = trees[0]
        base_env = {**os.environ, "NUMBA_CACHE_DIR": str(ROOT / ".numba_cache"), "OMP_NUM_THREADS": "1",
                    "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        cmd = " ".join([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests])
        (tree / "cr.toml").write_text(
            f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {timeout}\nexcluded-modules = []\n'
            f'test-command = "{cmd}"\n\n[cosmic-ray.distributor]\nname = "local"\n')
        cr = [str(Path(sys.executable).with_name("cosmic-ray"))]
        subprocess.run([*cr, "init", "cr.toml", "s.sqlite"], cwd=tree, check=True, capture_output=True,
                       env={**base_env, "PYTHONPATH": str(tree)})
        source = (ROOT / module).read_text()
        spans = annotation_spans(source)
        statements = statement_lines(source)
        with use_db(str(tree / "s.sqlite"), WorkDB.Mode.open) as db:
            items = list(db.work_items)
        skipped = [w for w in items if _inside(w.mutations[0].start_pos, w.mutations[0].end_pos, spans)]
        kept = [w for w in items if w not in skipped]
        source_sha = hashlib.sha256(source.encode()).hexdigest()
        previous: dict[str, object] | None = None
        if recheck:
            if not _saved(module, ".row.json").exists():
                raise BaselineFailed(f"bench.mutation: {module} has no full run to recheck; run it first")
            previous = json.loads(_saved(module, ".row.json").read_text())
            if previous["source_sha256"] != source_sha:
                raise BaselineFailed(f"bench.mutation: {module} changed since its last full run; run it again "
                                     "instead of --recheck")
            alive = {(r["operator"], r["occurrence"]) for r in json.loads(_saved(module, ".survivors.json").read_text())}
            kept = [w for w in kept if (w.mutations[0].operator_name, w.mutations[0].occurrence) in alive]
        if limit is not None:
            kept = kept[:limit]  # a sample: the first N (by position)
        random.Random(seed).shuffle(kept)  # a run cut short by --max-minutes is a sample spread over the file
        trace = trace_tests(tree, module, tests, {**base_env, "PYTHONPATH": str(tree)})
        durations: dict[str, float] = trace["durations"]  # type: ignore[assignment]
        opts, _ = split_args(tests)
        queue: Queue[dict[str, object]] = Queue()
        uncovered: list[dict[str, object]] = []
        for w in kept:
            m = w.mutations[0]
            lo, hi = statements.get(tuple(m.start_pos), (m.start_pos[0], m.end_pos[0]))
            chosen = select_tests(trace, range(min(lo, m.start_pos[0]), max(hi, m.end_pos[0]) + 1))
            job = {"job": w.job_id, "module": module, "operator": m.operator_name,
                   "args": dict(getattr(m, "operator_args", {}) or {}), "occurrence": m.occurrence,
                   "line": m.start_pos[0], "opts": opts, "tests": chosen,
                   "timeout": min(timeout, 15.0 + 3.0 * sum(durations.get(t, 1.0) for t in chosen))}
            (queue.put(job) if chosen else uncovered.append(job))
        results: list[dict[str, object]] = [{**j, "outcome": "survived", "seconds": 0.0, "uncovered": True,
                                             "diff": mutant_diff(source, j)} for j in uncovered]
        lock = threading.Lock()
        deadline = t0 + max_minutes * 60 if max_minutes else None
        total_jobs = queue.qsize()
        try:
            from tqdm import tqdm

            bar = tqdm(total=total_jobs, desc=module, unit="mutant", file=sys.stderr)
        except ImportError:  # pragma: no cover - tqdm ships with the dev install
            bar = None

        def serve(wtree: Path) -> None:
            worker = subprocess.Popen([sys.executable, "-m", "bench.mutation_worker"], cwd=wtree, text=True,
                                      env={**base_env, "PYTHONPATH": str(wtree)},
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert worker.stdin is not None and worker.stdout is not None
            try:
                while deadline is None or time.perf_counter() < deadline:
                    try:
                        job = queue.get_nowait()
                    except Empty:
                        break
                    worker.stdin.write(json.dumps({k: v for k, v in job.items() if k != "line"}) + "\n")
                    worker.stdin.flush()
                    answer = json.loads(worker.stdout.readline())
                    with lock:
                        results.append({**job, **answer})
                        with log_path.open("a") as fh:
                            fh.write(json.dumps({**job, **answer, "tests": len(job["tests"])}) + "\n")  # type: ignore[arg-type]
                        if bar is not None:
                            bar.update(1)
            finally:
                worker.stdin.close()
                worker.wait()

        log_path.write_text("")
        threads = [threading.Thread(target=serve, args=(wt,)) for wt in trees]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if bar is not None:
            bar.close()
        outcome_of = {"killed": (WorkerOutcome.NORMAL, TestOutcome.KILLED),
                      "survived": (WorkerOutcome.NORMAL, TestOutcome.SURVIVED),
                      "incompetent": (WorkerOutcome.NORMAL, TestOutcome.INCOMPETENT),
                      "timeout": (WorkerOutcome.ABNORMAL, None), "no-test": (WorkerOutcome.NO_TEST, None)}
        with use_db(str(tree / "s.sqlite"), WorkDB.Mode.open) as db:  # cosmic-ray's own reports read these
            for r in results:
                worker_outcome, test_outcome = outcome_of[str(r["outcome"])]
                db.set_result(r["job"], WorkResult(worker_outcome=worker_outcome, test_outcome=test_outcome,
                                                   diff=str(r.get("diff") or "")))
        counts: Counter[str] = Counter(str(r["outcome"]) for r in results)
        survivors = sorted(({k: (len(v) if k == "tests" else v) for k, v in r.items()  # type: ignore[arg-type]
                             if k not in ("opts", "timeout", "job", "args", "seconds")}
                            for r in results if r["outcome"] == "survived"), key=lambda r: (r["line"], r["operator"]))
        if previous is None:
            _saved(module, ".run-survivors.json").write_text(json.dumps(survivors, indent=1))  # the run's own list
        _saved(module, ".survivors.json").write_text(json.dumps(survivors, indent=1))  # what still survives
    row: dict[str, object] = {
        "module": module, "mutants": len(kept), "annotations": len(skipped),
        "killed": counts["killed"], "survived": counts["survived"], "uncovered": len(uncovered),
        "timeout": counts["timeout"], "incompetent": counts["incompetent"] + counts["no-test"],
        "minutes": round((time.perf_counter() - t0) / 60, 1),
        "survivors": [f"{r['operator']} line {r['line']}" for r in survivors],
        "sampled": limit is not None, "ran": len(results), "source_sha256": source_sha, "date": str(date.today())}
    if previous is not None:  # the survivors' recheck: the run's figures with the newly killed added
        row = {**previous, "survived": counts["survived"], "survivors": row["survivors"],
               "uncovered": row["uncovered"],
               "rechecked": f"{date.today()}: {counts['killed'] + counts['timeout']} of its {len(kept)} survivors "
                            f"killed by the tests as they are now",
               **{k: int(previous[k]) + counts[k] for k in ("killed", "timeout")},  # type: ignore[call-overload]
               "incompetent": int(previous["incompetent"]) + counts["incompetent"] + counts["no-test"]}  # type: ignore[call-overload]
    done = int(row["killed"]) + int(row["survived"])  # type: ignore[call-overload]
    row["score"] = round(100.0 * int(row["killed"]) / done, 1) if done else 0.0  # type: ignore[call-overload]
    if limit is None and (max_minutes is None or row["ran"] == row["mutants"]):
        _saved(module, ".row.json").write_text(json.dumps(row, indent=1))
    return row


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
            elif section:
                notes[section] += line + "\n"
    for r in rows:
        sample = " (first %s mutants)" % r["mutants"] if r["sampled"] else ""
        if r.get("annotations"):
            sample += f" (+{r['annotations']} in annotations, not run)"
        if r["ran"] != r["mutants"]:
            sample += f" (partial: {r['ran']} run before the time limit)"
        if r.get("rechecked"):
            sample += f" (survivors rechecked {r['rechecked']})"
        old[str(r["module"])] = (f"| `{r['module']}` | {r['mutants']}{sample} | {r['killed']} | {r['survived']} | "
                                 f"{r['timeout']} | {r['incompetent']} | {r['score']} % | {r['minutes']} | {r.get('date', date.today())} |")
        auto = ("Surviving mutants (operator, line): " + (", ".join(r["survivors"]) or "none")  # type: ignore[arg-type]
                + (f" ({r['uncovered']} of them on lines no listed test executes)" if r.get("uncovered") else ""))
        kept_notes = [ln for ln in notes.get(str(r["module"]), "").splitlines()[1:]
                      if not ln.startswith("Surviving mutants (operator, line):")]  # the hand-written analysis stays
        notes[str(r["module"])] = "\n".join([f"### `{r['module']}`", auto, *kept_notes]) + "\n"
    lines = ["# Mutation testing of the trading core", "",
             "Tool: cosmic-ray 8.7. Command: `make mutation MODULE=<path>` (or `python -m bench.mutation`);",
             "targets and the tests each module runs: `bench/mutation_targets.toml`. Since 2026-12-06 each mutant runs",
             "only those of the module's tests that execute a line of its statement (traced once per module by",
             "`bench/mutation_lines.py`; a line run at import or in a shared fixture selects every test that shares it), in",
             "a child forked from a worker that has the libraries imported (`bench/mutation_worker.py`). Score = killed /",
             "(killed + survived); timeouts count as killed by cosmic-ray's convention but are listed apart.",
             "A row marked \"survivors rechecked\" is a full run whose survivors were run again, same source, against",
             "the tests as they were later (`--recheck`): the ones then killed are added to the run's killed count.",
             "Mutants inside a function's parameter or return annotations in a module with `from __future__",
             "import annotations`, or inside a local variable's annotation, are not run (Python never evaluates",
             "those, so such a mutant cannot change behaviour); the mutants cell counts them apart. Rows run before",
             "that rule count them among the survivors (and list them as equivalent). What was killed or argued",
             "equivalent after each run, module by module: `bench/mutation-status.md`.", "",
             "| module | mutants | killed | survived | timeout | incompetent | score | minutes | date |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|", *[old[k] for k in sorted(old)], "",
             "## Survivors", "", *[notes[k].rstrip("\n") + "\n" for k in sorted(notes)]]
    REPORT.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help="modules to mutate (default: every target)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant's test run")
    ap.add_argument("--limit", type=int, default=None, help="mutate only the first N sites (a sample)")
    ap.add_argument("--recheck", action="store_true", help="run only the survivors of each module's last full "
                    "run (same source) against the tests as they are now; the newly killed are added to that run's row")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run side by side (one worker and tree copy each)")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop each module after this long and "
                    "report the mutants run so far (the row says partial)")
    a = ap.parse_args(argv)
    known = targets()
    unknown = [m for m in a.modules if m not in known]
    if unknown:
        print(f"bench.mutation: unknown module(s) {', '.join(unknown)}; targets: {', '.join(known)}", file=sys.stderr)
        return 2
    failed = 0
    for module in a.modules or list(known):
        try:
            row = run_module(module, known[module], a.timeout, a.limit, a.max_minutes, a.jobs, recheck=a.recheck)
        except BaselineFailed as exc:  # one module's broken baseline does not stop the others
            print(exc, file=sys.stderr)
            failed += 1
            continue
        print(f"{module}: {row['killed']} killed, {row['survived']} survived, {row['timeout']} timeout, "
              f"score {row['score']} % ({row['minutes']} min)", flush=True)
        write_report([row])  # each module's row as soon as it is done: a long run cut short keeps what ran
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
