"""Where validation results live: the store (``validations`` table) or JSON files.

Both implement :class:`ValidationStore`; ``open_validation_store`` picks one from a
``Store`` object, a SQLAlchemy URL, or a folder path. ``is_validated(store_or_path, bot)``
is what ``tradefleet run --live`` asks before letting a bot trade real money: True only if
the bot's *latest* validation passed.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tradefleet.orchestrator.errors import StoreError


@dataclass(frozen=True)
class Check:
    """One Go/No-Go criterion."""

    name: str
    value: float | bool | None
    threshold: str
    passed: bool


@dataclass(frozen=True)
class ValidationRecord:
    """One validation of one bot."""

    bot: str
    ts_ns: int
    passed: bool
    data: str
    checks: list[Check]
    metrics: dict[str, float | None] = field(default_factory=dict)
    walk_forward: dict[str, Any] = field(default_factory=dict)
    lookahead: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return finite_json(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ValidationRecord:
        checks = [Check(**c) for c in d.get("checks", [])]
        return cls(**{**d, "checks": checks})

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]


def finite_json(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (JSON has no NaN or infinity)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    return obj


class ValidationStore(Protocol):
    """Save validations; return a bot's latest."""

    def save(self, record: ValidationRecord) -> None: ...

    def latest(self, bot: str) -> ValidationRecord | None: ...


class JsonValidationStore:
    """``<dir>/<bot>.json`` holds the latest record; ``<dir>/history.jsonl`` every record."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def save(self, record: ValidationRecord) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            data = json.dumps(record.to_dict(), sort_keys=True)
            tmp = self.root / f".{record.bot}.json.tmp"
            tmp.write_text(data)
            tmp.replace(self.root / f"{record.bot}.json")
            with (self.root / "history.jsonl").open("a") as fh:
                fh.write(data + "\n")
        except OSError as exc:
            raise StoreError(f"validations {self.root}: cannot write: {exc}") from None

    def latest(self, bot: str) -> ValidationRecord | None:
        path = self.root / f"{bot}.json"
        if not path.exists():
            return None
        try:
            return ValidationRecord.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(f"validations {path}: unreadable: {exc}") from None


class SqlValidationStore:
    """The ``validations`` table of a tradefleet store (migration 0002)."""

    def __init__(self, engine: Any) -> None:
        from tradefleet.orchestrator.store.migrate import upgrade_to_head

        self.engine = engine
        upgrade_to_head(engine)

    @classmethod
    def from_url(cls, url: str) -> SqlValidationStore:
        from tradefleet.orchestrator.store.connect import make_engine, parse_url

        return cls(make_engine(parse_url(url)))

    def save(self, record: ValidationRecord) -> None:
        from tradefleet.backtest.store_table import validations

        d = record.to_dict()
        with self.engine.begin() as conn:
            conn.execute(validations.insert().values(
                bot=record.bot, ts_ns=record.ts_ns, passed=record.passed, data=record.data,
                error=record.error, result=d))

    def latest(self, bot: str) -> ValidationRecord | None:
        from sqlalchemy import select

        from tradefleet.backtest.store_table import validations

        q = (select(validations.c.result).where(validations.c.bot == bot)
             .order_by(validations.c.ts_ns.desc(), validations.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else ValidationRecord.from_dict(row[0])


def open_validation_store(target: Any) -> ValidationStore:
    """Return the validation store for a ``Store``, a SQLAlchemy URL, or a folder path."""
    if hasattr(target, "engine") and not isinstance(target, str | Path):
        return SqlValidationStore(target.engine)
    text = str(target)
    if "://" in text:
        return SqlValidationStore.from_url(text)
    return JsonValidationStore(text)


def is_validated(store_or_path: Any, bot: str) -> bool:
    """Return True only if ``bot``'s latest validation passed."""
    rec = open_validation_store(store_or_path).latest(bot)
    return rec is not None and rec.passed


def unvalidated(store_or_path: Any, bots: list[str]) -> list[str]:
    """Return the bots (in the given order) whose latest validation is missing or failed."""
    store = open_validation_store(store_or_path)
    out = []
    for bot in bots:
        rec = store.latest(bot)
        if rec is None or not rec.passed:
            out.append(bot)
    return out
