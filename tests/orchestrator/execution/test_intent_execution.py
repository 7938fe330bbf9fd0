"""Intents that carry an execution spec, end to end through the real kernel: the
dispatcher refuses a bad spec before any gate, hands approved orders to the execution
layer as parents, counts a working parent as pending (a re-issued target never asks
twice), and a Cancel stops a parent. Bars are generated (synthetic) minute bars.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tradefleet.orchestrator.bot import BotSpec, PortfolioBot
from tradefleet.orchestrator.context import Ctx
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.execution.algos.base import ExecSpec
from tradefleet.orchestrator.execution.exec_store import ExecStore
from tradefleet.orchestrator.intents import Cancel, Intent, OrderIntent, Target
from tradefleet.orchestrator.panel import Panel
from tests.orchestrator.execution.test_exec_engine import MINUTE, children, generated_minutes
from tests.orchestrator.intents.kit import Harness


class Script(PortfolioBot):
    """Returns the intents queued for each fire; ``every`` is returned at every fire after."""

    script: ClassVar[list[list[Intent]]] = []
    every: ClassVar[list[Intent]] = []

    def decide(self, panel: Panel, ctx: Ctx) -> list[Intent]:
        return Script.script.pop(0) if Script.script else list(Script.every)


def harness(tmp: Path, script: list[list[Intent]], every: list[Intent] = (), n: int = 40,  # type: ignore[assignment]
            store: Any = None) -> Harness:
    Script.script, Script.every = list(script), list(every)
    spec = BotSpec("s", Script, ("XYZ",), MINUTE, "1m", AssetClass.EQUITY)
    return Harness(tmp, {"XYZ": generated_minutes(n)}, [spec], store=store, config={
        # no default algorithm: only an intent's own spec works an order
        "execution": {"default_algorithm": None, "impact_check": False},
        "risk": {"exits": {"enabled": False}, "position_pct": 0.5, "max_position_pct": 0.5},
        "engine": {"starting_cash": 1_000_000.0}})


TWAP5 = {"algo": "twap", "params": {"horizon_min": 5, "interval_min": 1}}


def test_a_target_with_twap_is_worked_as_one_parent_even_when_reissued_every_bar(tmp_path: Path) -> None:
    target = Target.quantities({"XYZ": 3000}, execution=TWAP5)
    h = harness(tmp_path, [], every=[target])  # the same target at every fire
    h.run(12)
    parents = ExecStore(h.store).parents()
    assert len(parents) == 1, [p.order.quantity for p, _ in parents]
    parent, done = parents[0]
    assert parent.spec.algorithm == "twap" and parent.spec.horizon_s == 300.0 and parent.spec.interval_s == 60.0
    assert parent.order.quantity == Decimal(3000) and done is not None
    kids = children(h, parent.order.client_order_id)
    assert len(kids) >= 5  # five one-minute slices (not one market order)
    assert h.store.order(parent.order.client_order_id) is None  # the parent never reached the venue
    assert sum(o.quantity for o in kids) == Decimal(3000)
    assert h.position("s", "XYZ") == 3000.0
    # the spec is stored with the intent's decision as evidence
    sig = next(s for s in h.store.signals(bot="s") if s.meta.get("intent"))
    assert sig.meta["execution"]["algorithm"] == "twap"
    h.close()


def test_an_order_intent_with_pov_respects_its_participation(tmp_path: Path) -> None:
    intent = OrderIntent.single("XYZ", "buy", size=2000, execution={"algo": "pov", "params": {"participation": 0.1}})
    h = harness(tmp_path, [[intent]])
    h.run(10)
    (parent, _), = ExecStore(h.store).parents()
    kids = children(h, parent.order.client_order_id)
    assert len(kids) >= 4 and all(o.quantity <= Decimal(500) for o in kids)  # 10 % of 5,000 a bar
    assert sum(o.quantity for o in kids) == Decimal(2000) == Decimal(repr(h.position("s", "XYZ")))
    h.close()


@pytest.mark.parametrize("bad", [
    {"algo": "twapp", "params": {"horizon_min": 5}},  # not registered: refused by the dispatcher
])
def test_an_unknown_algorithm_is_refused_in_one_line_and_nothing_is_sent(tmp_path: Path, bad: dict[str, Any]) -> None:
    h = harness(tmp_path, [[OrderIntent.single("XYZ", "buy", size=100, execution=bad)],
                           [Target.quantities({"XYZ": 100}, execution=bad)]])
    h.run(6)
    refused = [d for s in h.store.signals(bot="s") for d in h.store.decisions(s.signal_id)]
    assert [d.reason for d in refused] == ["bad_execution_spec", "bad_execution_spec"]
    assert all("\n" not in d.detail and "unknown algorithm 'twapp'" in d.detail for d in refused)
    assert h.store.orders() == [] and ExecStore(h.store).parents() == []
    h.close()


@pytest.mark.parametrize("raw, says", [
    ({"algo": "twap", "params": {"horizon_mins": 5}}, "unknown parameter 'horizon_mins'"),
    ({"params": {"horizon_min": 5}}, "'algo'"),
    ({"algo": "pov", "params": {"participation": 1.5}}, "participation"),
    ({"algo": "twap", "params": {"horizon_min": 1, "interval_min": 5}}, "interval_s <= horizon_s"),
    ({"algo": "twap", "params": {"horizon_min": "soon"}}, "horizon_min must be a finite number"),
    ("twap", "must be a mapping"),
])
def test_a_malformed_spec_is_refused_when_the_intent_is_built(raw: Any, says: str) -> None:
    with pytest.raises(ValueError, match=None) as err:
        OrderIntent.single("XYZ", "buy", size=1, execution=raw)
    assert says in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ValueError):
        Target.weights({"XYZ": 0.1}, execution=raw)


def test_a_spec_on_an_order_it_cannot_work_is_refused() -> None:
    from tradefleet.orchestrator.domain import OrderType
    from tradefleet.orchestrator.intents import Bracket

    with pytest.raises(ValueError, match="market orders only"):
        OrderIntent.single("XYZ", "buy", size=1, order_type=OrderType.LIMIT, limit=100, execution=TWAP5)
    with pytest.raises(ValueError, match="bracket"):
        OrderIntent.single("XYZ", "buy", size=1, bracket=Bracket(stop_loss=90), execution=TWAP5)
    with pytest.raises(ValueError, match="one-leg"):
        OrderIntent.combo({"XYZ": 1, "ABC": -1}, size=1, execution=TWAP5)
    assert ExecSpec.parse(TWAP5) == ExecSpec.twap(5, 1)


def test_cancel_stops_a_working_parent(tmp_path: Path) -> None:
    slow = {"algo": "twap", "params": {"horizon_min": 20, "interval_min": 1}}
    h = harness(tmp_path, [[OrderIntent.single("XYZ", "buy", size=2000, id="big", execution=slow)], [], [],
                           [Cancel("big")]])
    h.run(3)
    (parent, _), = ExecStore(h.store).parents()
    pid = parent.order.client_order_id
    assert h.engine.desk.working(pid)  # type: ignore[union-attr]
    h.run(1)  # the fourth fire cancels
    sent = sum(o.quantity for o in children(h, pid))
    assert not h.engine.desk.working(pid)  # type: ignore[union-attr]
    assert ExecStore(h.store).parents()[0][1] is not None  # finished in the store
    h.run(10)
    assert sum(o.quantity for o in children(h, pid)) == sent < Decimal(2000)
    h.close()


def test_a_restarted_engine_counts_the_working_parent_as_pending(tmp_path: Path) -> None:
    target = Target.quantities({"XYZ": 3000}, execution={"algo": "twap", "params": {"horizon_min": 20}})
    h = harness(tmp_path, [], every=[target])
    h.run(4)
    store = h.store
    (parent, _), = ExecStore(store).parents()
    filled = Decimal(repr(h.position("s", "XYZ")))
    assert 0 < filled < Decimal(3000)
    # a fresh kernel on the same store (the harness does not warm-start the book: the
    # dispatcher's restore of the working parent is what is under test)
    h2 = harness(tmp_path, [], every=[target], store=store)
    assert h2.engine.intents.pending("s", "XYZ") == Decimal(3000) - filled
    assert h2.engine.intents.owns(children(h2, parent.order.client_order_id)[0])
    h2.close()


def test_an_intent_without_a_spec_keeps_its_id_and_a_spec_changes_it() -> None:
    from tradefleet.orchestrator.intents import intent_id

    plain = Target.quantities({"XYZ": 10})
    # the id of an intent without a spec is what it was before specs existed (a restart
    # across the upgrade re-derives the same ids: nothing is sent twice)
    assert intent_id("b", 1, 0, plain) == "in-" + __import__("hashlib").sha1(
        f"|b|1|0|Target|Target(values=(('XYZ', 10.0),), kind=<TargetKind.QUANTITIES: 'quantities'>, "
        f"tolerance=0.0, tag='')".encode()).hexdigest()[:20]
    worked = Target.quantities({"XYZ": 10}, execution=TWAP5)
    assert intent_id("b", 1, 0, worked) != intent_id("b", 1, 0, plain)
    assert intent_id("b", 1, 0, worked) != intent_id("b", 1, 0, Target.quantities({"XYZ": 10}, execution=ExecSpec.pov(0.1)))


def _impact_harness(tmp: Path, script: list[list[Intent]], volume: float) -> Harness:
    Script.script, Script.every = list(script), []
    spec = BotSpec("s", Script, ("XYZ",), MINUTE, "1m", AssetClass.EQUITY)
    frames = {"XYZ": generated_minutes(20, volume=volume)}
    return Harness(tmp, frames, [spec], config={
        "execution": {"default_algorithm": None, "impact_check": True},
        "risk": {"exits": {"enabled": False}, "position_pct": 0.5, "max_position_pct": 0.5},
        "engine": {"starting_cash": 1_000_000.0}})


def test_the_impact_check_refuses_an_intent_whose_cost_eats_its_edge(tmp_path: Path) -> None:
    # a thin generated market (volume 5 a bar): 1,000 units at once cost far more than the
    # 50 bp default edge allows, and so would one unit: the whole intent is refused
    h = _impact_harness(tmp_path, [[], [], [Target.quantities({"XYZ": 1000})]], volume=5.0)
    h.run(8)
    risk = [d for s in h.store.signals(bot="s") for d in h.store.decisions(s.signal_id) if d.gate == "risk"]
    assert [d.reason for d in risk] == ["impact_exceeds_edge"]
    ev = risk[0].data["impact"]["XYZ"]
    assert ev["model"] == "linear-ac2000" and ev["edge_source"] == "default_bps" and ev["quantity"] == 1000.0
    assert ev["total"] / ev["quantity"] > ev["budget_per_unit"] and Decimal(ev["max_quantity"]) == 0
    assert h.store.orders() == [] and h.position("s", "XYZ") == 0.0
    h.close()


def test_the_impact_check_shrinks_an_intent_and_its_spec_horizon_counts(tmp_path: Path) -> None:
    # 5,000 units in one 5,000-volume minute is over budget: shrunk to what the edge pays for
    h = _impact_harness(tmp_path, [[], [], [OrderIntent.single("XYZ", "buy", size=5000)]], volume=5_000.0)
    h.run(8)
    (d,) = [d for s in h.store.signals(bot="s") for d in h.store.decisions(s.signal_id) if d.gate == "risk"]
    assert d.reason == "impact_resized"
    cap = Decimal(d.data["impact"]["XYZ"]["max_quantity"])
    assert 0 < cap < 5000 and Decimal(repr(h.position("s", "XYZ"))) == cap
    h.close()
    # the same size worked by TWAP over 30 minutes is judged over that horizon: cheaper, not shrunk
    h = _impact_harness(tmp_path / "twap", [[], [], [OrderIntent.single(
        "XYZ", "buy", size=5000, execution={"algo": "twap", "params": {"horizon_min": 30, "participation": 0.2}})]],
        volume=5_000.0)
    h.run(19)
    (d,) = [d for s in h.store.signals(bot="s") for d in h.store.decisions(s.signal_id) if d.gate == "risk"]
    assert d.reason != "impact_resized" and d.data["impact"]["XYZ"]["horizon_s"] == 1800.0
    (parent, _), = ExecStore(h.store).parents()
    assert parent.order.quantity > cap  # the risk gate's own size, not shrunk by the impact check
    h.close()
