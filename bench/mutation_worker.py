"""One worker of the mutation runner (``bench.mutation``): applies cosmic-ray mutants to its own
copy of the tree and runs each mutant's tests in a forked child.

Started by the runner with ``PYTHONPATH=<its tree>`` and ``cwd=<its tree>``; it reads one job per
line of JSON on stdin (``{"job", "module", "operator", "args", "occurrence", "tests", "opts",
"timeout"}``) and answers one line per job on stdout (``{"job", "outcome", "seconds", "diff"}``,
outcome ``killed``, ``survived``, ``timeout``, ``incompetent`` or ``no-test``).

Why a fork: every mutant used to start a fresh interpreter that imported numpy, pandas, scipy,
SQLAlchemy and numba again (and, under cosmic-ray's ``PYTHONDONTWRITEBYTECODE``, recompiled the
whole project). This worker imports the third-party libraries once and forks per mutant; the child
imports the project (its compiled files cached, except the mutated module's, whose ``.pyc`` is
removed before and after every mutant so a stale one is never read) and runs ``pytest.main``.
Nothing of the project is imported in the worker itself, so every child sees the mutant.
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import signal
import sys
import time
from pathlib import Path

HEAVY = ("numpy", "pandas", "scipy.stats", "scipy.signal", "scipy.optimize", "sqlalchemy", "sqlalchemy.orm",
         "numba", "pydantic", "requests", "flask", "hmmlearn.hmm", "sklearn.cluster", "hypothesis", "pytest",
         "_pytest.pytester", "cosmic_ray.mutating", "cosmic_ray.plugins", "attrs", "yaml", "structlog")


def _preload() -> None:
    for name in HEAVY:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional library: the child imports it itself
            pass


def _drop_pyc(path: Path) -> None:
    cache = path.parent / "__pycache__"
    for pyc in cache.glob(path.stem + ".*.pyc") if cache.is_dir() else ():
        pyc.unlink(missing_ok=True)


def _run_child(args: list[str], timeout: float) -> tuple[str, float]:
    import pytest

    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: its own process group, so a timeout kills whatever it started too
        os.setsid()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        code = 3
        try:
            code = int(pytest.main(args))
        finally:
            os._exit(code)
    deadline = t0 + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return "timeout", time.perf_counter() - t0
        time.sleep(0.01)
    code = os.waitstatus_to_exitcode(status)
    # 0: every selected test passed; 1: a test failed; 2: interrupted (a collection error: the
    # mutant broke an import); 3: pytest's internal error (a mutant crashing a hook); negative: the
    # child died on a signal (a crash the mutant caused). cosmic-ray counts every non-zero as killed.
    # 4 (usage) and 5 (no tests collected) mean the selection, not the mutant, is wrong.
    outcome = "survived" if code == 0 else "incompetent" if code in (4, 5) else "killed"
    return outcome, time.perf_counter() - t0


def main() -> int:
    _preload()
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    tree = Path.cwd()
    for line in sys.stdin:
        job = json.loads(line)
        path = tree / job["module"]
        original = path.read_text(encoding="utf-8")
        operator = get_operator(job["operator"])(**(job.get("args") or {}))
        mutated = mutate_code(original, operator, job["occurrence"])
        if mutated is None:
            answer = {"job": job["job"], "outcome": "no-test", "seconds": 0.0, "diff": ""}
        else:
            diff = "\n".join(difflib.unified_diff(original.split("\n"), mutated.split("\n"), "a/" + job["module"],
                                                  "b/" + job["module"], lineterm="", n=1))
            try:
                path.write_text(mutated, encoding="utf-8")
                _drop_pyc(path)
                args = ["-x", "-q", "-p", "no:cacheprovider", f"--basetemp={tree / '.pytest-tmp'}",
                        *job["opts"], *job["tests"]]
                outcome, seconds = _run_child(args, float(job["timeout"]))
            finally:
                path.write_text(original, encoding="utf-8")
                _drop_pyc(path)
            answer = {"job": job["job"], "outcome": outcome, "seconds": round(seconds, 3), "diff": diff}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
