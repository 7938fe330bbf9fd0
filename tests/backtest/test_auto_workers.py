"""``tradefleet optimize`` picks in-process or a pool by measured cost (issue 23): a pool
only when its start-up plus the work spread over the cores beats one process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tradefleet.app.cli.main import main
from tradefleet.backtest import executor
from tradefleet.backtest.executor import POOL_START_SECONDS, auto_workers


def test_a_pool_only_when_it_is_estimated_to_finish_sooner() -> None:
    # 25 backtests of 60 ms: 1.5 s alone, 2 s of start-up alone in a pool -> one process
    assert auto_workers(0.06, 25, cpus=2) == 1
    # 100 of 0.2 s: 20 s alone, 2 + 10 s in a pool of two -> the pool
    assert auto_workers(0.2, 100, cpus=2) == 2
    # the break-even: alone = start-up + alone / cpus
    t = POOL_START_SECONDS * 2 / 10
    assert auto_workers(t * 0.99, 10, cpus=2) == 1 and auto_workers(t * 1.01, 10, cpus=2) == 2
    assert auto_workers(100.0, 50, cpus=1) == 1 and auto_workers(100.0, 1, cpus=8) == 1


def _optimize(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, start_seconds: float) -> tuple[Any, dict]:
    chosen: list[int | None] = []
    real = executor.open_executor

    def spy(cluster: str | None = None, workers: int | None = None) -> Any:
        chosen.append(workers)
        return real(cluster, 1)  # run in-process whatever was chosen: the test checks the choice

    monkeypatch.setattr(executor, "open_executor", spy)
    monkeypatch.setattr(executor, "POOL_START_SECONDS", start_seconds)
    monkeypatch.setattr(executor, "_usable_cpus", lambda: 2)
    monkeypatch.setattr(executor.os, "getloadavg", lambda: (1.0, 1.0, 1.0))  # idle but for this process
    main(["optimize", "spx-sma-trend", "-p", "fast=5,10", "-p", "slow=50,100", "--from", "2010-01-01", "--json"])
    return chosen, json.loads(capsys.readouterr().out)


def test_optimize_runs_a_small_sweep_in_process_and_a_costly_one_in_a_pool(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    chosen, out = _optimize(capsys, monkeypatch, POOL_START_SECONDS)
    assert chosen == [1] and out["combos"] == 4  # four quick backtests: a pool would only add its start-up
    chosen, again = _optimize(capsys, monkeypatch, 0.0)  # a pool that starts for free always pays
    assert chosen == [2] and again["results"] == out["results"]


def test_a_busy_box_counts_as_fewer_free_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "_usable_cpus", lambda: 2)
    for load, free in ((0.2, 2), (1.0, 2), (1.6, 1), (2.0, 1), (14.0, 1)):
        monkeypatch.setattr(executor.os, "getloadavg", lambda load=load: (load, load, load))
        assert executor._free_cpus() == free, load
    assert auto_workers(0.2, 100) == 1  # 20 s alone; a pool on a box this busy would not be faster
