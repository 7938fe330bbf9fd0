"""`make bench` runs `bench.run_all`: it finds every benchmark and refuses unknown names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.run_all import benchmarks, main

ROOT = Path(__file__).resolve().parents[2]


def test_run_all_lists_every_bench_module() -> None:
    names = benchmarks()
    assert names == sorted(p.stem for p in (ROOT / "bench").glob("*_bench.py"))
    assert "kernel_bench" in names and "options_bench" in names


def test_run_all_refuses_an_unknown_benchmark_with_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--only", "nosuch_bench"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nosuch_bench" in err[0]


def test_make_bench_target_names_an_existing_module() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "-m bench.run_all" in makefile
    out = subprocess.run([sys.executable, "-m", "bench.run_all", "--list"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == benchmarks()
