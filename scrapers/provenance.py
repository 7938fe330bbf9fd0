"""Where every datum came from: source, when we fetched it, when its publisher released it.

Every answer of a data source carries a :class:`Provenance`; a :class:`ProvenanceLog`
appends them as JSON lines under the cache folder so an audit can tie a decision to the
exact response it used.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Origin of one answer. Times are int ns UTC; ``published_at`` None when the source has none."""

    source: str
    url: str
    fetched_at: int
    published_at: int | None = None
    offline: bool = False
    from_cache: bool = False

    def cached(self) -> Provenance:
        return replace(self, from_cache=True)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Sourced(Generic[T]):
    """A value together with its provenance."""

    value: T
    provenance: Provenance
    meta: dict[str, Any] = field(default_factory=dict)


class ProvenanceLog:
    """Append-only JSON-lines log of provenances (thread-safe); ``path`` None keeps it in memory."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, prov: Provenance, **extra: Any) -> None:
        """Store one provenance with optional context (series, symbol ...)."""
        row = {**prov.to_dict(), **extra}
        with self._lock:
            self.records.append(row)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row, sort_keys=True) + "\n")

    def read(self) -> list[dict[str, Any]]:
        """Return every stored record (from disk when the log has a file)."""
        if self.path is None or not self.path.exists():
            return list(self.records)
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
