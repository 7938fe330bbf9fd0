"""Where sweeps, walk-forward folds and Monte Carlo runs execute.

``open_executor()`` yields a ``concurrent.futures.Executor``: a local process pool by
default, in-process when ``workers=1`` (tests, small jobs), or a Dask cluster's executor
when ``cluster="tcp://HOST:8786"`` names one; ``open_configured_executor`` picks one
from ``[scale.executor]``. ``fan_out`` submits tasks, advances an
optional progress callback as they finish and returns results in submission order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from tradefleet.orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from tradefleet.orchestrator.distributed.config import ExecutorConfig

T = TypeVar("T")


class InlineExecutor(Executor):
    """Run each task at submit time in this process (deterministic, no pickling)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        fut: Future[T] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, like a pool would
            fut.set_exception(exc)
        return fut


#: what a local process pool costs before its first result on this kind of box: forkserver
#: start, the workers' imports (numpy, pandas, numba, the bot), and shipping the frame. Measured
#: on the shared 2-core machine: a 25-combination sweep took 2.8-3.5 s in the pool against
#: 1.44-1.63 s in one process, about 2 s of overhead (issue 23).
POOL_START_SECONDS = 2.0


def auto_workers(task_seconds: float, tasks: int, cpus: int | None = None,
                 start_seconds: float | None = None) -> int:
    """Workers for ``tasks`` jobs of about ``task_seconds`` each: a pool of ``cpus`` only when
    its estimated time (start-up plus the work spread over the workers) beats one process
    doing it all; else 1 (in this process). Never slower than one process by the estimate.
    ``cpus`` defaults to the cores free now: the usable ones less the load average's other
    runnable processes (a pool on a busy box gets no more cores than one process)."""
    n = cpus if cpus is not None else _free_cpus()
    start = POOL_START_SECONDS if start_seconds is None else start_seconds
    if n <= 1 or tasks <= 1:
        return 1
    one = task_seconds * tasks
    pooled = start + one / min(n, tasks)
    return n if pooled < one else 1


def _free_cpus() -> int:
    """Usable cores not taken by other runnable processes (1-minute load average, this
    process excluded)."""
    usable = _usable_cpus()
    try:
        busy = os.getloadavg()[0] - 1.0
    except OSError:  # not available: assume an idle box
        busy = 0.0
    return max(1, min(usable, int(usable - max(0.0, busy) + 0.5)))


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def open_executor(cluster: str | None = None, workers: int | None = None) -> Iterator[Executor]:
    """Yield an executor: Dask at ``cluster``, inline for ``workers=1``, else a process pool."""
    if cluster:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - dask[distributed] is a pinned dependency
            raise ConfigError("--cluster needs dask[distributed] installed") from exc
        try:
            client = Client(cluster, timeout="10s")
        except OSError as exc:
            raise ConfigError(f"cluster {cluster}: cannot connect to the Dask scheduler ({exc})") from None
        except (ValueError, TypeError) as exc:  # a malformed address ("missing port number in address ...")
            raise ConfigError(f"cluster {cluster!r}: not a Dask scheduler address like tcp://HOST:8786 "
                              f"({' '.join(str(exc).split())})") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n <= 1:
        yield InlineExecutor()
        return
    import multiprocessing as mp

    # forkserver: workers never inherit the parent's threads (numba, dask, rich) mid-state.
    with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("forkserver")) as pool:
        yield pool


def fan_out(executor: Executor, fn: Callable[..., T], arg_tuples: Iterable[Sequence[Any]],
            progress: Callable[[int], None] | None = None) -> list[T]:
    """Submit ``fn(*args)`` for each tuple; return results in order, ticking ``progress``."""
    futures = [executor.submit(fn, *args) for args in arg_tuples]
    order = {id(f): i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    for fut in as_completed(futures):
        results[order[id(fut)]] = fut.result()
        if progress is not None:
            progress(1)
    return results


def chunks(items: Sequence[T], n_chunks: int) -> list[list[T]]:
    """Split ``items`` into at most ``n_chunks`` contiguous, non-empty, near-equal lists."""
    n_chunks = max(1, min(n_chunks, len(items)))
    size, extra = divmod(len(items), n_chunks)
    out, start = [], 0
    for i in range(n_chunks):
        end = start + size + (1 if i < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return out


@contextmanager
def open_configured_executor(cfg: ExecutorConfig, workers: int | None = None) -> Iterator[Executor]:
    """Yield the executor ``[scale.executor]`` describes (``workers`` overrides the local pool size)."""
    if cfg.kind == "dask":
        with open_executor(cluster=cfg.address) as ex:
            yield ex
    else:
        with open_executor(workers=workers if workers is not None else cfg.workers) as ex:
            yield ex
