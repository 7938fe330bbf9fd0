"""API backtests outlive the dashboard process: a finished job is still served after a
restart, a job whose process died is taken back by the next dashboard, and a job another
live process is running is left to it."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradefleet.dashboard.backtest_jobs import BacktestJob, BacktestJobs
from tradefleet.dashboard.serve import DashboardServer
from tradefleet.dashboard.tokens import TokenStore
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store
from tests.dashboard.conftest import T0, make_config

WINDOW = ("2010-01-01", "2010-12-31")


class ProcessDied(BaseException):
    """Stands for the dashboard process dying while it runs a job."""


class DyingJobs(BacktestJobs):
    def _run(self, job: BacktestJob) -> None:
        raise ProcessDied


def test_finished_job_is_served_by_the_next_dashboard(tmp_path: Path, store_url: str, specs: Any) -> None:
    with Store.open(store_url) as store:
        token = TokenStore(store, SimClock(T0)).create("desk", ["trade"], "test")
    cfg = make_config(tmp_path)

    def client(srv: DashboardServer) -> httpx.Client:
        return httpx.Client(base_url=srv.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=120)

    first = DashboardServer(cfg, store_url, SimClock(T0), port=0, specs=specs).start()
    try:
        r = client(first).post("/backtests", json={"bot": "spx-rsi2", "start": WINDOW[0], "end": WINDOW[1]})
        job_id = r.json()["id"]
        done = first.app.extensions["tradefleet"]["api_jobs"].wait(job_id, timeout=300)
        assert done.state == "done", done.error
        before = client(first).get(f"/backtests/{job_id}").json()
    finally:
        first.stop()
    second = DashboardServer(cfg, store_url, SimClock(T0), port=0, specs=specs).start()
    try:
        after = client(second).get(f"/backtests/{job_id}")
        assert after.status_code == 200 and after.json() == before
        assert client(second).get(f"/backtests/{job_id}/report").status_code == 200
    finally:
        second.stop()


def test_job_whose_process_died_is_run_by_the_next_dashboard(tmp_path: Path, specs: Any) -> None:
    root = str(tmp_path / "reports")
    dying = DyingJobs(root, SimClock(T0), specs, mc_runs=10)
    job = dying.start("spx-rsi2", *WINDOW, "api:desk")
    with pytest.raises(ProcessDied):
        dying.wait(job.id, timeout=60)
    stored = json.loads((tmp_path / "reports" / "api-jobs" / f"{job.id}.json").read_text())
    assert stored["state"] == "running"  # what a dead process leaves behind
    nxt = BacktestJobs(root, SimClock(T0), specs, mc_runs=10)
    try:
        again = nxt.wait(job.id, timeout=300)
        assert again.state == "done" and again.restarts == 1 and again.requested_by == "api:desk", again.error
        assert (tmp_path / "reports" / str(again.report)).exists()
    finally:
        nxt.close()
    third = BacktestJobs(root, SimClock(T0), specs)
    assert third.get(job.id).state == "done" and not third._futures  # a finished job is never run again


def test_job_a_live_process_is_running_is_left_to_it(tmp_path: Path, specs: Any) -> None:
    root = str(tmp_path / "reports")
    entered, release = threading.Event(), threading.Event()

    class SlowJobs(BacktestJobs):
        def _run(self, job: BacktestJob) -> None:
            entered.set()
            release.wait(60)
            super()._run(job)

    live = SlowJobs(root, SimClock(T0), specs, mc_runs=10)
    job = live.start("spx-rsi2", *WINDOW, "api:desk")
    assert entered.wait(60)
    other = BacktestJobs(root, SimClock(T0), specs, mc_runs=10)
    assert other.get(job.id).state == "running" and not other._futures  # not taken: its run lock is held
    release.set()
    assert live.wait(job.id, timeout=300).state == "done"
    live.close()
    other.close()


def test_an_unreadable_job_file_is_skipped(tmp_path: Path, specs: Any) -> None:
    d = tmp_path / "reports" / "api-jobs"
    d.mkdir(parents=True)
    (d / "broken.json").write_text("{not json")
    jobs = BacktestJobs(str(tmp_path / "reports"), SimClock(T0), specs)
    assert jobs.jobs == {}
