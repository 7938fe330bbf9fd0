"""The run lock: a second holder fails fast, in another process too, and the lock is
released by the OS (SQLite) or the server (PostgreSQL) when its holder is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import StoreError, StoreLockedError
from tradefleet.orchestrator.store import Store

HOLDER = textwrap.dedent("""
    import sys
    from tradefleet.orchestrator.store import Store
    store = Store.open(sys.argv[1])
    store.acquire_run_lock("tradefleet run (test holder)")
    print("locked", flush=True)
    sys.stdin.read()  # hold until killed
""")


def _start_holder(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "locked":
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"holder did not lock: {line!r} {err}")
    return proc


def _wait_released_pg(url: str) -> None:
    """Block (server side, bounded by lock_timeout) until the dead holder's session is gone."""
    from sqlalchemy import text

    from tradefleet.orchestrator.store.connect import pg_lock_key

    with Store.open(url) as probe, probe.engine.connect() as conn:
        key = pg_lock_key(conn, "run")
        conn.execute(text("set lock_timeout = '20s'"))
        conn.execute(text("select pg_advisory_lock(:k)"), {"k": key})
        conn.execute(text("select pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()


def test_second_run_in_another_process_fails_then_lock_freed_by_kill(store_url: str) -> None:
    proc = _start_holder(store_url)
    try:
        with Store.open(store_url) as store:
            with pytest.raises(StoreLockedError) as err:
                store.acquire_run_lock("second run")
            msg = str(err.value)
            assert msg.startswith(f"store {store.where} is held by tradefleet run (test holder)"
                                  f" (pid {proc.pid} since ")
            assert msg.endswith("UTC); stop that run first")
            assert isinstance(err.value, StoreError)
    finally:
        proc.send_signal(signal.SIGKILL)  # no clean release: the OS/server must drop it
        proc.wait()
        proc.communicate()
    if store_url.startswith("postgresql"):
        _wait_released_pg(store_url)
    with Store.open(store_url) as store, store.run_lock("third run") as held:
        assert held.held and held.info.pid == os.getpid()


def test_lock_released_and_reacquired_in_process(store_url: str) -> None:
    clock = SimClock(1_700_000_000 * 10**9)
    with Store.open(store_url, clock=clock) as a, Store.open(store_url) as b:
        with a.run_lock("run A") as held:
            assert held.info.since_ns == 1_700_000_000 * 10**9
            with pytest.raises(StoreLockedError,
                               match=r"held by run A \(pid \d+ since 2023-11-14 22:13:20 UTC\)"):
                b.acquire_run_lock("run B")
        assert not held.held
        second = b.acquire_run_lock("run B")
        with pytest.raises(StoreLockedError, match="held by run B"):
            a.acquire_run_lock("run A again")
        second.release()
        second.release()  # idempotent


def test_close_releases_lock(store_url: str) -> None:
    a = Store.open(store_url)
    a.acquire_run_lock("run A")
    a.close()
    with Store.open(store_url) as b, b.run_lock("run B"):
        pass


def test_sqlite_lock_file_sits_next_to_database(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store, store.run_lock("x"):
        db = sqlite_url.removeprefix("sqlite:///")
        assert os.path.exists(db + ".lock")


def test_in_memory_store_lock_is_process_local() -> None:
    with Store.open("sqlite://") as store:
        with store.run_lock("a"), pytest.raises(StoreLockedError):
            store.acquire_run_lock("b")
        store.acquire_run_lock("c").release()


FORKING_HOLDER = textwrap.dedent("""
    import os, sys
    from tradefleet.orchestrator.store import Store
    store = Store.open(sys.argv[1])
    store.acquire_run_lock("forking run")
    child = os.fork()
    if child == 0:  # a process-pool worker, say: outlives its parent here
        sys.stdin.read()
        os._exit(0)
    print(child, flush=True)
    sys.stdin.read()
""")


def test_forked_child_does_not_keep_lock_after_holder_dies(store_url: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", FORKING_HOLDER, store_url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    child = int(proc.stdout.readline())
    try:
        with Store.open(store_url) as store, pytest.raises(StoreLockedError, match="forking run"):
            store.acquire_run_lock("second")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if store_url.startswith("postgresql"):
            _wait_released_pg(store_url)  # fails after lock_timeout if the child kept it
        with Store.open(store_url) as store, store.run_lock("after the holder died"):
            pass
    finally:
        proc.communicate()  # closes stdin: the child reads EOF and exits
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
