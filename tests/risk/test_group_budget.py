"""A bot's capital budget bounds what it opens through intents too: a multi-leg order, a
target set (scaled down as one set when it asks for more than the budget) and an option
structure, whose collateral counts as
capital in use.

The defect these were written for (found 2026-12-07 in the default run's capital report):
the risk gate judged an intent group against every account and fleet cap but never against
the bot's own budget, so risk-parity held 38 % of the account on a 1.3 % budget and
goog-protective-put 16 % on 0.6 %."""

from __future__ import annotations

from decimal import Decimal

from tradefleet.orchestrator.domain import Verdict
from tradefleet.orchestrator.pipeline.group import GroupLeg, IntentGroup
from tests.risk.fakes import T0
from tests.risk.test_engine import Rig, _cfg

D = Decimal


def _group(bot: str, legs: list[tuple[str, float, float, float]], kind: str = "order", **kw: object) -> IntentGroup:
    return IntentGroup(bot, "g1", kind, tuple(GroupLeg(s, D(repr(q)), p, D(repr(h))) for s, q, p, h in legs),  # type: ignore[arg-type]
                       T0, **kw)  # type: ignore[arg-type]


def _rig() -> Rig:
    rig = Rig(_cfg(allow_short=True, max_position_pct=1.0, gross_exposure_pct=2.0,
                   correlation={"cluster_cap_pct": 4.0}), {"X": [100.0] * 60, "Y": [50.0] * 60})
    rig.gate.set_running(["a", "b", "c", "d"])  # one fleet: each bot's budget is a quarter, 25,000
    return rig


def test_a_multi_leg_order_is_scaled_to_the_bots_budget() -> None:
    r = _rig()
    d, q = r.gate.approve_group(_group("a", [("X", 200, 100.0, 0), ("Y", -200, 50.0, 0)]), r.ctx(), 1.0)
    assert d.verdict is Verdict.RESIZE and d.reason == "capital_budget", d
    assert (q[0], q[1]) in {(D(166), D(-166)), (D(167), D(-167))}  # 25,000 of 30,000: one factor, ratio kept


def test_a_bots_open_positions_use_its_budget_up_and_a_reduction_is_never_refused() -> None:
    r = _rig()
    r.pf.fill("a", "X", D(240))  # 24,000 of its 25,000
    d, q = r.gate.approve_group(_group("a", [("Y", 100, 50.0, 0)]), r.ctx(), 1.0)
    assert d.reason == "capital_budget" and q in {(D(19),), (D(20),)}  # the 1,000 left, at 50 (bisected)
    d, q = r.gate.approve_group(_group("b", [("Y", 100, 50.0, 0)]), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS and q == (D(100),)  # another bot's budget is its own
    r.pf.fill("a", "Y", D(20))
    d, q = r.gate.approve_group(_group("a", [("X", -100, 100.0, 240)]), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS and q == (D(-100),)


def test_a_target_set_over_the_budget_is_scaled_down_as_one_set() -> None:
    r = _rig()
    legs = [("X", 300, 100.0, 0), ("Y", 400, 50.0, 0)]  # 50,000 of weights for a 25,000 budget
    d, q = r.gate.approve_group(_group("a", legs, kind="target", staged=True), r.ctx(), 1.0)
    assert d.reason == "capital_budget" and d.verdict is Verdict.RESIZE
    assert 149 <= q[0] <= 150 and 199 <= q[1] <= 200


def test_without_declared_running_bots_no_budget_applies() -> None:
    r = Rig(_cfg(allow_short=True, max_position_pct=1.0, gross_exposure_pct=2.0,
                 correlation={"cluster_cap_pct": 4.0}))
    d, q = r.gate.approve_group(_group("a", [("X", 300, 100.0, 0)]), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS and q == (D(300),)


def _counting(monkeypatch: object) -> list[int]:
    import tradefleet.risk.group as group_mod

    calls: list[int] = []
    real = group_mod._Checker.breach

    def breach(self, changes):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(self, changes)

    monkeypatch.setattr(group_mod._Checker, "breach", breach)  # type: ignore[attr-defined]
    return calls


def test_an_intent_nothing_of_which_fits_is_refused_for_its_limit_without_the_bisection(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A bot whose budget is used up: the least scale the bisection could return already
    breaches, so the gate refuses at once, for the limit (the bisection's 24 probes would
    reach the same decision)."""
    r = _rig()
    r.pf.fill("a", "X", D(250))  # all of its 25,000
    calls = _counting(monkeypatch)
    d, q = r.gate.approve_group(_group("a", [("Y", 100, 50.0, 0), ("X", 10, 100.0, 250)]), r.ctx(), 1.0)
    assert (d.verdict, d.reason, q) == (Verdict.REJECT, "capital_budget", (D(0), D(0)))
    assert len(calls) <= 9, len(calls)  # three probes of at most three states each; the bisection: 25 probes


def test_an_intent_whose_least_lot_breaches_is_refused_as_under_one_lot_without_the_bisection(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One lot of each leg (a 1:1 pair of 100 and 50) costs 150 against 100 of budget left:
    scaled to fit, a leg would round to no lot, so the intent is refused as under one lot,
    bound by the budget, after a probe at the least scale instead of the bisection."""
    r = _rig()
    r.pf.fill("a", "X", D(249))  # 24,900 of its 25,000: 100 left
    calls = _counting(monkeypatch)
    d, q = r.gate.approve_group(_group("a", [("X", 3, 100.0, 249), ("Y", -3, 50.0, 0)]), r.ctx(), 1.0)
    assert (d.verdict, d.reason, q) == (Verdict.REJECT, "size_below_lot", (D(0), D(0)))
    assert "bound by capital_budget" in d.detail and "needs scale 0.3333" in d.detail, d.detail
    assert len(calls) <= 9, len(calls)  # three probes of at most three states each; the bisection: 25 probes


def test_the_portfolio_fleet_has_half_the_account_by_default_unless_the_config_says_otherwise() -> None:
    """The portfolio bots allocate the account by target weights; held to an equal share per
    running bot they would use 7 % of the default run's account between them, so by default
    their fleet has half of it and the other fleets share the rest by their running bots."""
    import pytest

    from tradefleet.risk.budgets import CapitalBudgets, declared
    from tradefleet.risk.config import PortfolioRiskConfig

    running = {"rp": "portfolio", "mr": "portfolio", "s1": "equities", "s2": "equities", "c": "crypto"}
    budgets = CapitalBudgets(*declared(PortfolioRiskConfig(), ()))
    budgets.set_running(running)
    assert budgets.bot_fraction("rp", "portfolio") == pytest.approx(0.25)
    assert budgets.bot_fraction("s1", "equities") == pytest.approx(0.5 * 2 / 3 / 2)
    kept = PortfolioRiskConfig.model_validate({"fleets": {"crypto": {"daily_loss_pct": 0.1},
                                                          "portfolio": {"max_positions": 4}}})
    assert kept.fleets["portfolio"].capital_pct == 0.5 and kept.fleets["portfolio"].max_positions == 4
    assert kept.fleets["crypto"].capital_pct is None
    assert PortfolioRiskConfig.model_validate({"fleets": {"portfolio": {"capital_pct": 0.2}}}) \
        .fleets["portfolio"].capital_pct == 0.2
