"""The run lock: at most one ``tradefleet run`` per store.

SQLite stores lock a sidecar file (``<db>.lock``) with ``fcntl.flock``; the OS drops the
lock when the holder exits, even after ``kill -9``. PostgreSQL stores take a session-level
``pg_try_advisory_lock`` on a dedicated connection; the server drops it when that session
ends. Either way a second run fails at once with :class:`StoreLockedError` naming the
holder, its pid and since when.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from tradefleet.orchestrator.clock import ns_to_dt
from tradefleet.orchestrator.errors import StoreError, StoreLockedError
from tradefleet.orchestrator.store.connect import pg_lock_key

_APP_PREFIX = "tf-run|"
_memory_locks: dict[int, str] = {}
_memory_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class LockInfo:
    """Who holds a run lock."""

    holder: str
    pid: int
    since_ns: int

    def describe(self) -> str:
        since = ns_to_dt(self.since_ns).strftime("%Y-%m-%d %H:%M:%S UTC") if self.since_ns else "?"
        return f"{self.holder} (pid {self.pid} since {since})"


class RunLock:
    """A held run lock; release it with :meth:`release` or by leaving the ``with`` block.

    A process forked while holding it (a process-pool worker) does not keep it: the
    child drops its copy of the descriptor, so the lock still dies with the holder.
    """

    def __init__(self, info: LockInfo, releaser: Any, fd: int | None = None) -> None:
        self.info = info
        self._releaser = releaser
        self._held = True
        self._fd = fd  # the descriptor a forked child must drop (lock file or PG socket)
        _live_locks.add(self)

    @property
    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._held:
            self._held = False
            _live_locks.discard(self)
            self._releaser()

    def _forget_in_child(self) -> None:
        """In a forked child: point the inherited descriptor at /dev/null (no unlock, no
        PG terminate message, and the number is not reused), so the child holds no
        reference to the lock and it still dies with the holder."""
        self._held = False
        if self._fd is None:
            return
        try:
            devnull = os.open(os.devnull, os.O_RDWR)
            try:
                os.dup2(devnull, self._fd)
            finally:
                os.close(devnull)
        except OSError:
            pass

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


_live_locks: set[RunLock] = set()


def _after_fork_in_child() -> None:
    for held in list(_live_locks):
        held._forget_in_child()
    _live_locks.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _locked_message(where: str, info: LockInfo | None) -> str:
    who = info.describe() if info else "another process (holder unknown)"
    return f"store {where} is held by {who}; stop that run first"


def acquire_file_lock(db_path: Path, where: str, info: LockInfo) -> RunLock:
    """Lock ``<db_path>.lock`` without waiting, or raise StoreLockedError."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"store {where}: cannot open lock file {lock_path}: {exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_file_info(fd)
        os.close(fd)
        raise StoreLockedError(_locked_message(where, holder)) from None
    except OSError as exc:
        os.close(fd)
        raise StoreError(f"store {where}: cannot lock {lock_path}: {exc}") from None
    payload = json.dumps({"holder": info.holder, "pid": info.pid, "since_ns": info.since_ns}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, payload, 0)

    def release() -> None:
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    return RunLock(info, release, fd)


def _read_file_info(fd: int) -> LockInfo | None:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode())
        return LockInfo(str(data["holder"]), int(data["pid"]), int(data["since_ns"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # the holder has not written its details yet


def acquire_memory_lock(engine: Engine, where: str, info: LockInfo) -> RunLock:
    """Lock an in-memory store (visible to this process only, so a process-local lock)."""
    key = id(engine)
    with _memory_guard:
        if key in _memory_locks:
            raise StoreLockedError(_locked_message(where, None))
        _memory_locks[key] = info.holder

    def release() -> None:
        with _memory_guard:
            _memory_locks.pop(key, None)

    return RunLock(info, release)


def acquire_pg_lock(engine: Engine, where: str, info: LockInfo) -> RunLock:
    """Take a session advisory lock on a dedicated connection, or raise StoreLockedError."""
    conn = engine.connect()
    try:
        key = pg_lock_key(conn, "run")
        # application_name holds 63 bytes: pid, whole seconds, then as much holder as fits
        app = f"{_APP_PREFIX}{info.pid}|{info.since_ns // 1_000_000_000}|{info.holder}"
        app = app.encode()[:63].decode(errors="ignore")
        conn.execute(text("select set_config('application_name', :a, false)"), {"a": app})
        got = conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
        holder = None if got else _pg_holder(conn, key)
        conn.commit()  # a session lock outlives the transaction; don't sit idle in one
    except BaseException:
        conn.close()
        raise
    if not got:
        conn.close()
        raise StoreLockedError(_locked_message(where, holder))

    def release() -> None:
        try:
            conn.execute(text("select pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
        finally:
            conn.close()

    return RunLock(info, release, _socket_fd(conn))


def _socket_fd(conn: Connection) -> int | None:
    fileno = getattr(conn.connection.driver_connection, "fileno", None)
    try:
        return int(fileno()) if callable(fileno) else None
    except Exception:  # a driver without a socket descriptor: nothing to drop on fork
        return None


def _pg_holder(conn: Connection, key: int) -> LockInfo | None:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(
        text("select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid"
             " where l.locktype = 'advisory' and l.granted and l.classid::bigint = :hi"
             " and l.objid::bigint = :lo"
             " and l.objsubid = 1 limit 1"),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    ).first()
    if row is None or not str(row[0]).startswith(_APP_PREFIX):
        return None
    try:
        pid, since, holder = str(row[0])[len(_APP_PREFIX):].split("|", 2)
        return LockInfo(holder, int(pid), int(since) * 1_000_000_000)
    except ValueError:
        return None
