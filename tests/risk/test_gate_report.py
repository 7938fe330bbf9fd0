"""The risk report (read by the CLI and the dashboard) is saved on the first tick and then once
per ``snapshot_seconds`` of the gate's clock, not on every tick."""

from __future__ import annotations

from typing import Any

from tradefleet.orchestrator.domain import Direction
from tradefleet.orchestrator.errors import StoreError
from tradefleet.risk.persistence import MemoryRiskStore
from tests.risk.test_engine import Rig, _cfg

NS = 1_000_000_000


class SaveLog(MemoryRiskStore):
    """The in-memory store, noting when the report is saved."""

    def __init__(self) -> None:
        super().__init__()
        self.report_saves: list[int] = []

    def save_lazy(self, key: str, build: Any, ts_ns: int) -> None:
        if key == "risk_report":
            self.report_saves.append(ts_ns)
        super().save_lazy(key, build, ts_ns)


def test_the_report_is_saved_once_per_snapshot_period() -> None:
    store = SaveLog()
    rig = Rig(_cfg(snapshot_seconds=60), store=store)
    t0 = rig.clock.now_ns()
    for step in (0, 30, 29, 1, 30, 30):  # t0, +30 s, +59 s, +60 s, +90 s, +120 s
        rig.clock.advance(step)
        rig.gate.observe(rig.ctx())
    assert store.report_saves == [t0, t0 + 60 * NS, t0 + 120 * NS]
    assert rig.store.load_risk_state("risk_report") is not None


class EagerStore:
    """A risk-state store without lazy saving (only load and save)."""

    def __init__(self) -> None:
        self.saved: dict[str, dict[str, Any]] = {}

    def load_risk_state(self, key: str) -> dict[str, Any] | None:
        return self.saved.get(key)

    def save_risk_state(self, key: str, value: dict[str, Any], ts_ns: int) -> None:
        self.saved[key] = value


class FailingStore(MemoryRiskStore):
    def save_lazy(self, key: str, build: Any, ts_ns: int) -> None:
        raise StoreError("database is locked")


def test_a_store_without_lazy_saving_gets_the_report_built_at_once() -> None:
    store = EagerStore()
    rig = Rig(_cfg(), store=store)  # type: ignore[arg-type]
    rig.go("a", "X", Direction.LONG)
    report = store.saved["risk_report"]
    assert {"state", "limits", "var", "daily_loss"} <= set(report)


def test_a_report_the_store_refuses_is_alerted_and_entries_are_still_judged() -> None:
    store = FailingStore()
    rig = Rig(_cfg(), store=store)
    dec, qty = rig.go("a", "X", Direction.LONG)
    assert (dec.reason, qty) == ("sized", 100)
    assert [(a.kind, a.scope, a.reason) for a in rig.gate.alerts.recent] == [
        ("report_not_saved", "fleet", "database is locked")]


def test_the_saved_report_is_plain_json() -> None:
    import json
    import math

    from tradefleet.risk.engine import _jsonable

    class Named:
        def __str__(self) -> str:
            return "named"

    raw = {1: (1.5, math.inf), "n": [None, True, -math.nan, "s"], "o": Named(), "d": {"k": (2,)}}
    assert _jsonable(raw) == {"1": [1.5, None], "n": [None, True, None, "s"], "o": "named", "d": {"k": [2]}}
    rig = Rig(_cfg(var={"enabled": True}))
    rig.go("a", "X", Direction.LONG)
    saved = rig.store.load_risk_state("risk_report")
    assert saved is not None and json.loads(json.dumps(saved, allow_nan=False)) == saved
