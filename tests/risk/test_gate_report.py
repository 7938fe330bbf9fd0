"""The risk report (read by the CLI and the dashboard) is saved on the first tick and then once
per ``snapshot_seconds`` of the gate's clock, not on every tick."""

from __future__ import annotations

from typing import Any

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
