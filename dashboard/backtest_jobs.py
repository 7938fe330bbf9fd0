"""Backtests started from the REST API: run on a worker thread, report into ``reports_dir``.

``BacktestJobs.start(bot, start, end)`` validates the request at once (unknown bot, bad
dates: a :class:`~tradefleet.orchestrator.errors.ConfigError`, nothing started), then runs the same
vectorized backtest and report as ``tradefleet backtest BOT --report`` on one worker
thread (one at a time: the machine's cores belong to the fleet). The report's HTML and
JSON land in ``[dashboard].reports_dir`` as ``api-<id>-<bot>.html``, so the Backtests page
lists them too.

Jobs outlive the dashboard process: each job's state is written (atomically) to
``<reports_dir>/api-jobs/<id>.json`` at every change, and a new dashboard loads them all,
so ``GET /api/v1/backtests/<id>`` answers after a restart. A job that was queued or running
when its process died is queued again, once per restart, unless another live process is
running it: the worker holds an exclusive ``flock`` on ``<id>.lock`` while it runs, and a
job is only taken back when that lock can be had.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.errors import ConfigError

log = logging.getLogger(__name__)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class BacktestJob:
    """One API backtest: its request, state and, when done, its report paths and metrics."""

    id: str
    bot: str
    start: str | None
    end: str | None
    requested_by: str
    created_ns: int
    state: str = "queued"
    error: str | None = None
    report: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    #: how many times a dashboard restart took this job back after its process died
    restarts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "bot": self.bot, "start": self.start, "end": self.end, "state": self.state,
                "requested_by": self.requested_by, "error": self.error, "report": self.report,
                "metrics": self.metrics, "restarts": self.restarts}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BacktestJob:
        return cls(str(d["id"]), str(d["bot"]), d.get("start"), d.get("end"), str(d.get("requested_by", "?")),
                   int(d.get("created_ns", 0)), str(d.get("state", "queued")), d.get("error"), d.get("report"),
                   dict(d.get("metrics") or {}), int(d.get("restarts", 0)))


class BacktestJobs:
    """The API's backtest queue (one worker thread)."""

    def __init__(self, reports_dir: str, clock: Clock, specs: dict[str, Any], mc_runs: int = 100) -> None:
        self.root = Path(reports_dir)
        self.clock = clock
        self.specs = specs
        self.mc_runs = mc_runs
        self.jobs: dict[str, BacktestJob] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future[None]] = {}
        self._load()

    # -- persistence ------------------------------------------------------------------------
    @property
    def _dir(self) -> Path:
        return self.root / "api-jobs"

    def _save(self, job: BacktestJob) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        tmp = self._dir / f".{job.id}.json.tmp"
        tmp.write_text(json.dumps({**job.to_dict(), "created_ns": job.created_ns}))
        os.replace(tmp, self._dir / f"{job.id}.json")

    def _load(self) -> None:
        """Load the jobs earlier dashboards stored; queue again those whose process died."""
        if not self._dir.is_dir():
            return
        for path in sorted(self._dir.glob("*.json")):
            try:
                job = BacktestJob.from_dict(json.loads(path.read_text()))
            except (ValueError, KeyError, TypeError) as exc:  # one bad file never stops the dashboard
                log.warning("API backtest job file %s is unreadable (%s): skipped", path, exc)
                continue
            self.jobs[job.id] = job
            if job.state in ("queued", "running") and job.bot in self.specs and self._orphaned(job):
                job.state, job.restarts = "queued", job.restarts + 1
                self._save(job)
                self._submit(job)

    def _orphaned(self, job: BacktestJob) -> bool:
        """True unless a live process holds the job's run lock."""
        lock = self._dir / f"{job.id}.lock"
        if not lock.exists():
            return True
        with open(lock, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False
            fcntl.flock(fh, fcntl.LOCK_UN)
            return True

    def _submit(self, job: BacktestJob) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="tradefleet-api-backtest")
            self._futures[job.id] = self._pool.submit(self._run_locked, job)

    def start(self, bot: str, start: str | None, end: str | None, requested_by: str) -> BacktestJob:
        """Queue a backtest of ``bot`` (dates YYYY-MM-DD, inclusive) and return its job."""
        if bot not in self.specs:
            raise ConfigError(f"unknown bot {bot!r}: see GET /api/v1/bots for names")
        for label, d in (("start", start), ("end", end)):
            if d is not None and not _DATE.match(d):
                raise ConfigError(f"{label} {d!r}: use YYYY-MM-DD")
        if start and end and start > end:
            raise ConfigError(f"start {start} is after end {end}")
        job = BacktestJob(secrets.token_hex(6), bot, start, end, requested_by, self.clock.now_ns())
        self.jobs[job.id] = job
        self._save(job)
        self._submit(job)
        return job

    def get(self, job_id: str) -> BacktestJob | None:
        return self.jobs.get(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> BacktestJob:
        """Block until the job is finished (tests, scripts); a job this process does not run is returned as it is."""
        future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout)
        return self.jobs[job_id]

    def _run_locked(self, job: BacktestJob) -> None:
        """Run ``job`` holding its run lock, saving its state before and after."""
        self._dir.mkdir(parents=True, exist_ok=True)
        with open(self._dir / f"{job.id}.lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # another live process took it first
                return
            job.state = "running"
            self._save(job)
            self._run(job)
            self._save(job)

    def _run(self, job: BacktestJob) -> None:
        try:
            from tradefleet.backtest.history import load_with_warmup
            from tradefleet.backtest.engine import SimSettings, Signals, run_backtest, signals_of
            from tradefleet.backtest.montecarlo import monte_carlo
            from tradefleet.backtest.report import write_report

            spec = self.specs[job.bot]
            name, history, first = load_with_warmup(spec, None, job.start, job.end)
            res = run_backtest(spec, history, SimSettings(), start=first)
            full = signals_of(spec.build(), history, spec.name)
            sig = Signals(full.signal[first:], full.stop[first:] if len(full.stop) > 1 else full.stop,
                          full.target[first:] if len(full.target) > 1 else full.target)
            mc = monte_carlo(res, history.iloc[first:], sig, runs=self.mc_runs, perturb_runs=0)
            html, js = write_report(self.root / f"api-{job.id}-{job.bot}.html", res, mc,
                                    {"data": name, "warmup_bars": first, "requested_by": job.requested_by})
            job.report = html.name
            job.metrics = {k: v for k, v in res.metrics_json().items() if isinstance(v, int | float) or v is None}
            job.state = "done"
        except Exception as exc:  # reported on the job, never crashes the dashboard
            log.warning("API backtest %s of %s failed: %s", job.id, job.bot, exc)
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
