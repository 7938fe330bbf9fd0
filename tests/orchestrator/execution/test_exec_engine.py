"""The execution layer inside the real kernel: parents worked into children through the
order manager and the paper broker, their fills, a restart mid-schedule, the impact check.

Bars are generated (synthetic) minute bars, named so.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradefleet.orchestrator.bot import Bot, BotParams, BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.execution.exec_store import ExecStore
from tests.orchestrator.intents.kit import Harness

MINUTE = Schedule.interval("1m")


def generated_minutes(n: int, start: str = "2021-03-01 14:30", volume: float = 5_000.0) -> pd.DataFrame:
    """Generated (synthetic) minute bars: a gentle drift, open = previous close."""
    idx = pd.date_range(start, periods=n, freq="min", tz="UTC", name="ts").as_unit("ns")
    c = pd.Series(100.0 + 0.01 * np.arange(n), index=idx)
    o = c.shift(1).fillna(c.iloc[0])
    return pd.DataFrame({"open": o, "high": np.maximum(o, c) + 0.02, "low": np.minimum(o, c) - 0.02,
                         "close": c, "volume": volume}, index=idx)


class LongFromFive(Bot):
    """Long from the sixth bar on (a crafted entry for execution tests)."""

    Params = BotParams

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        sig = np.where(np.arange(len(frame)) >= 5, 1.0, 0.0)
        return pd.DataFrame({"signal": sig, "confidence": 1.0}, index=frame.index)


def harness(tmp: Path, execution: dict[str, Any], n: int = 40) -> Harness:
    spec = BotSpec("exec-bot", LongFromFive, ("XYZ",), MINUTE, "1m", AssetClass.EQUITY)
    return Harness(tmp, {"XYZ": generated_minutes(n)}, [spec], config={
        "execution": execution, "risk": {"exits": {"enabled": False}, "position_pct": 0.5, "max_position_pct": 0.5},
        "engine": {"starting_cash": 1_000_000.0}}, stages=["basic-risk"])


TWAP = {"default_algorithm": "twap", "horizon_s": 300.0, "interval_s": 60.0, "participation": 0.05,
        "min_notional": 1.0, "impact_check": False}


def children(h: Harness, parent_id: str | None = None) -> list[Any]:
    kids = [o for o in h.store.orders() if "." in o.client_order_id
            and (parent_id is None or o.client_order_id.rsplit(".", 1)[0] == parent_id)]
    return sorted(kids, key=lambda o: (o.client_order_id.rsplit(".", 1)[0], int(o.client_order_id.rsplit(".", 1)[1])))


def test_large_entry_is_worked_as_twap_children_that_fill_and_sum_to_the_parent(tmp_path: Path) -> None:
    h = harness(tmp_path, TWAP)
    h.run(35)  # ~5,000 units at 250 a bar: twenty children
    parents = ExecStore(h.store).parents()
    assert len(parents) == 1
    parent, done = parents[0]
    kids = children(h)
    assert kids and all(o.client_order_id.startswith(parent.order.client_order_id + ".") for o in kids)
    # the parent itself never reached the venue: only its children did
    assert h.store.order(parent.order.client_order_id) is None
    # every child within 5 % of its bar's 5,000 volume
    assert all(o.quantity <= Decimal(250) for o in kids)
    assert sum(o.quantity for o in kids) == parent.order.quantity
    assert Decimal(repr(h.position("exec-bot", "XYZ"))) == parent.order.quantity
    assert done is not None
    h.close()


def test_parent_resumes_after_a_restart_without_a_duplicate_child(tmp_path: Path) -> None:
    h = harness(tmp_path, TWAP)
    h.run(8)  # the parent starts at the 6th bar; a few children have gone out
    before = [o.client_order_id for o in children(h)]
    assert 0 < len(before)
    row = h.row
    h.close()
    # a fresh kernel on the same store (the book's warm start is not under test here:
    # this checks the execution layer's own restore)
    h2 = harness(tmp_path, TWAP)
    layer = h2.engine.desk.layer  # type: ignore[union-attr]
    assert len(layer.working()) == 1
    state = layer.working()[0]
    assert state.children == len(before) and state.sent == sum(o.quantity for o in children(h2))
    h2.row = row
    for i in range(row + 1):  # the market's history up to the stop, without firing
        h2.market.advance("XYZ", i)
    h2.run(30)
    parent = ExecStore(h2.store).parents()[0][0]
    pid = parent.order.client_order_id
    ids = [o.client_order_id for o in children(h2, pid)]
    assert len(ids) == len(set(ids))
    assert ids[: len(before)] == before
    assert sum(o.quantity for o in children(h2, pid)) == parent.order.quantity
    h2.close()


def test_impact_check_refuses_an_entry_whose_cost_eats_its_edge(tmp_path: Path) -> None:
    # a thin generated market (volume 5 per bar) and a 1 bp edge: the expected cost of the
    # risk gate's size (and of even one unit) is above half the edge
    h = harness(tmp_path, {"default_algorithm": None, "impact_check": True, "default_edge_bps": 1.0,
                           "max_cost_share": 0.5})
    for f in h.frames.values():
        f["volume"] = 5.0
    h.market.load("XYZ", h.frames["XYZ"])
    h.run(8)
    risk = [d for s in h.store.signals() for d in h.store.decisions(s.signal_id) if d.gate == "risk"]
    refused = [d for d in risk if d.reason == "impact_exceeds_edge"]
    assert refused, [d.reason for d in risk]
    ev = refused[0].data["impact"]
    assert ev["model"] == "linear-ac2000" and ev["edge_source"] == "default_bps"
    assert ev["total"] / ev["quantity"] > ev["budget_per_unit"]
    assert h.position("exec-bot", "XYZ") == 0.0
    h.close()


def test_impact_check_shrinks_an_entry_to_what_its_edge_pays_for(tmp_path: Path) -> None:
    # half the equity (~5,000 units) in one minute bar of 5,000 volume costs ~2.0 a unit by
    # the model; the 50 bp default edge allows 0.25: the entry is shrunk, not refused
    h = harness(tmp_path, {"default_algorithm": None, "impact_check": True})
    h.run(8)
    risk = [d for s in h.store.signals() for d in h.store.decisions(s.signal_id) if d.gate == "risk"]
    resized = [d for d in risk if d.reason == "impact_resized"]
    assert len(resized) == 1
    ev = resized[0].data["impact"]
    cap = Decimal(ev["max_quantity"])
    assert 0 < cap < Decimal(ev["quantity"])
    assert Decimal(repr(h.position("exec-bot", "XYZ"))) == cap
    # the cap is where the model's cost per unit meets the budget
    from tradefleet.orchestrator.execution.impact import ImpactModel
    rate = 5_000.0 / 60.0
    est = ImpactModel().estimate(float(cap), 100.0, ev["spread"] / ev["quantity"] * 2, rate, 60.0)
    assert est.per_unit <= ev["budget_per_unit"] * 1.01
    h.close()


def test_impact_check_passes_a_small_entry_with_its_evidence(tmp_path: Path) -> None:
    h = harness(tmp_path, {"default_algorithm": None, "impact_check": True})
    h.engine.pipeline.risk.inner.config = h.engine.pipeline.risk.inner.config.model_copy(
        update={"position_pct": 0.001})
    h.run(8)
    risk = [d for s in h.store.signals() for d in h.store.decisions(s.signal_id) if d.gate == "risk"]
    passed = [d for d in risk if "impact" in d.data and d.reason != "impact_resized"]
    assert passed and passed[0].data["impact"]["total"] > 0 and h.position("exec-bot", "XYZ") > 0
    h.close()


def test_tca_command_reports_the_worked_parent_and_its_parts_add_up(tmp_path: Path, capsys: Any) -> None:
    import json

    import pytest

    from tradefleet.app.cli.main import main

    h = harness(tmp_path, TWAP)
    h.run(35)
    h.close()
    url = f"sqlite:///{tmp_path}/intents.db"
    main(["tca", "--store", url, "--json", "--by", "algorithm"])
    rep = json.loads(capsys.readouterr().out)
    assert rep["parents"] == 1 and rep["groups"][0]["key"] == "twap"
    t = rep["total"]
    assert t["total"] == pytest.approx(t["delay"] + t["spread"] + t["impact"] + t["fees"], abs=1e-4)
    assert t["spread"] > 0 and t["fees"] > 0  # buying at the ask and paying the paper fee
    with pytest.raises(SystemExit) as exc:
        main(["tca", "--store", url, "--by", "colour"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--by 'colour'" in err[0]


def test_calibration_uses_live_fills_only_and_is_stored_versioned(tmp_path: Path) -> None:
    import pytest

    from tradefleet.orchestrator.execution.calibrate import calibrate, latest_scales, live_samples

    h = harness(tmp_path, TWAP)
    h.run(35)
    es = ExecStore(h.store)
    # the harness trades on the paper account: its fills never calibrate anything
    assert calibrate(h.store, {"live-alpaca"}, 1, min_samples=1) == []
    assert latest_scales(h.store, "paper", "XYZ").version == "default"
    # counted as if "paper" were a live venue, the paper fills yield samples with their
    # measured price beyond the touch: the paper broker's own slippage, in bps of the mid
    samples = live_samples(h.store, es, {"paper"})[("paper", "XYZ")]
    assert len(samples) == len(children(h)) and all(s[3] > 0 for s in samples)
    done = calibrate(h.store, {"paper"}, 7, min_samples=5)
    assert len(done) == 1 and done[0].samples == len(samples)
    assert done[0].slippage_bps == pytest.approx(max(sum(s[4] for s in samples) / len(samples), 0.0))
    assert latest_scales(h.store, "paper", "XYZ").version == done[0].version == "paper:XYZ:7"
    h.close()


def test_the_desk_sees_the_same_market_through_arrays_or_frames() -> None:
    """The desk reads recent bars as array views when the market has them and as a frame
    otherwise: touch, volatility, volume rate and bar length come out equal (generated bars,
    with a missing volume among them)."""
    from tradefleet.orchestrator.execution.desk import ExecutionDesk
    from tradefleet.orchestrator.market import MarketState
    from tradefleet.orchestrator.sections import ExecutionConfig

    rng = np.random.default_rng(4)
    n = 80
    close = 100 * np.cumprod(1 + rng.normal(0, 0.01, n))
    volume = rng.uniform(1e3, 5e3, n)
    volume[-3] = np.nan
    idx = pd.date_range("2024-01-02 14:30", periods=n, freq="5min", tz="UTC", name="ts")
    market = MarketState()
    market.load("XYZ", pd.DataFrame({"open": close, "high": close * 1.001, "low": close * 0.999, "close": close,
                                     "volume": volume}, index=idx))
    market.advance("XYZ", n - 1)

    class FramesOnly:  # a market without array views
        def __getattr__(self, name: str) -> Any:
            if name == "arrays":
                raise AttributeError(name)
            return getattr(market, name)

    cfg = ExecutionConfig()
    views = [ExecutionDesk(cfg, m, {}).view("XYZ") for m in (market, FramesOnly())]
    assert views[0] is not None and views[0].volatility > 0 and views[0].volume_rate > 0
    assert views[0] == views[1]
