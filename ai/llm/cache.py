"""SQLite store of LLM answers keyed by prompt hash, plus per-day call counts (the budget).

Answers are replayed by key, so a backtest that asks the same question at the same
simulated time gets the same answer without a network call.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_answers (
    key TEXT PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL,
    answer TEXT NOT NULL, created_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS llm_usage (
    day TEXT NOT NULL, provider TEXT NOT NULL, calls INTEGER NOT NULL,
    PRIMARY KEY (day, provider));
"""


class PromptCache:
    """Answers and usage counters in one SQLite file (``:memory:`` for tests)."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def get(self, key: str) -> str | None:
        """Return the stored answer for ``key``, if any."""
        with self._lock:
            row = self._db.execute("SELECT answer FROM llm_answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, provider: str, model: str, answer: str, now_ns: int) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO llm_answers VALUES (?, ?, ?, ?, ?)",
                             (key, provider, model, answer, now_ns))

    def calls(self, day: str, provider: str) -> int:
        """Return how many calls ``provider`` made on UTC ``day`` (YYYY-MM-DD)."""
        with self._lock:
            row = self._db.execute("SELECT calls FROM llm_usage WHERE day = ? AND provider = ?",
                                   (day, provider)).fetchone()
        return 0 if row is None else int(row[0])

    def count_call(self, day: str, provider: str) -> int:
        """Add one call to today's count; return the new count."""
        with self._lock:
            self._db.execute(
                "INSERT INTO llm_usage VALUES (?, ?, 1) ON CONFLICT(day, provider) "
                "DO UPDATE SET calls = calls + 1", (day, provider))
            row = self._db.execute("SELECT calls FROM llm_usage WHERE day = ? AND provider = ?",
                                   (day, provider)).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
