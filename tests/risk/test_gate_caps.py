"""Notional caps of the risk gate that depend on what else the account holds: the correlated
cluster counts every other member, whatever the names' order."""

from __future__ import annotations

from tradefleet.orchestrator.domain import Direction
from tests.risk.fakes import random_walks
from tests.risk.test_engine import Rig, _cfg


def test_the_cluster_cap_counts_a_member_whose_name_sorts_after_the_new_entry() -> None:
    closes = random_walks(["A", "B"], 150, seed=1, corr=0.95)  # generated: two walks moving together
    rig = Rig(_cfg(correlation={"threshold": 0.7, "cluster_cap_pct": 0.10}), closes)
    assert rig.go("a", "B", Direction.LONG)[1] > 0  # B is held first; A, sorting before it, comes next
    held = float(rig.pf.position("a", "B").quantity) * closes["B"][-1]  # type: ignore[union-attr]
    dec, qty = rig.go("b", "A", Direction.LONG)
    assert dec.reason == "correlation_cluster"
    assert float(qty) * closes["A"][-1] <= 0.10 * 100_000 - held + 1e-6


def test_the_cluster_cap_counts_the_entrys_own_instrument_once_whatever_string_names_it() -> None:
    closes = random_walks(["AA", "BB"], 150, seed=1, corr=0.95)  # generated: two walks moving together
    rig = Rig(_cfg(correlation={"threshold": 0.7, "cluster_cap_pct": 0.25}), closes)
    assert rig.go("a", "BB", Direction.LONG)[1] > 0  # 10,000 of BB held by a
    name = "BBX"[:2]  # "BB" built at run time (as read from a config file), not the literal the model holds
    dec, qty = rig.go("b", name, Direction.LONG)
    assert dec.reason == "sized"
    assert float(qty) * closes["BB"][-1] > 9_000  # its whole budget: 25,000 - 10,000 of room, not 25,000 - 20,000
