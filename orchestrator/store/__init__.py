"""The store: every signal, decision, order, fill, position, equity point and control
change, in SQLite (WAL, under ``./var/``) or any SQLAlchemy database.

``Store.open(url)`` creates and migrates the database; the schema is owned by the Alembic
migrations in ``migrations/`` (Alembic itself is imported only when a migration runs).
"""

from __future__ import annotations

from tradefleet.orchestrator.store.connect import DEFAULT_URL
from tradefleet.orchestrator.store.lock import LockInfo, RunLock
from tradefleet.orchestrator.store.migrate import HEAD_REVISION
from tradefleet.orchestrator.store.records import (
    FLEET,
    BotRecord,
    ControlEvent,
    ControlState,
    EquityPoint,
    OrderRecord,
    RunRecord,
    SignalRecord,
    account_scope,
    bot_scope,
    rejected,
)
from tradefleet.orchestrator.store.repo import Store

__all__ = [
    "DEFAULT_URL", "FLEET", "HEAD_REVISION", "BotRecord", "ControlEvent", "ControlState",
    "EquityPoint", "LockInfo", "OrderRecord", "RunLock", "RunRecord", "SignalRecord", "Store",
    "account_scope", "bot_scope", "rejected",
]
