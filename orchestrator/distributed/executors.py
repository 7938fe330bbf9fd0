"""The executor for CPU work, chosen by ``[scale.executor]``.

This reuses :func:`backtest.executor.open_executor` (a local process pool, or a Dask
cluster's ``concurrent.futures`` executor): backtest sweeps, walk-forward folds and
training fan out through whichever the configuration names, with no second abstraction.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from orchestrator.distributed.config import ExecutorConfig


@contextmanager
def open_configured_executor(cfg: ExecutorConfig, workers: int | None = None) -> Iterator[Executor]:
    """Yield the executor ``cfg`` describes (``workers`` overrides the local pool size)."""
    from backtest.executor import open_executor

    if cfg.kind == "dask":
        with open_executor(cluster=cfg.address) as ex:
            yield ex
    else:
        with open_executor(workers=workers if workers is not None else cfg.workers) as ex:
            yield ex
