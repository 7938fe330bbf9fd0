"""The risk gate judging a target set, a multi-leg order or a quote pair as ONE decision."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefleet.orchestrator.domain import Verdict
from tradefleet.orchestrator.intents import LegRisk
from tradefleet.orchestrator.pipeline.group import GroupLeg, IntentGroup
from tests.risk.fakes import T0
from tests.risk.test_engine import Rig, _cfg

D = Decimal


def _group(legs: list[tuple[str, float, float]], kind: str = "order", **kw: object) -> IntentGroup:
    return IntentGroup("bot-a", "g1", kind, tuple(GroupLeg(s, D(repr(q)), p, D(0)) for s, q, p in legs),  # type: ignore[arg-type]
                       T0, **kw)  # type: ignore[arg-type]


def _rig(**cfg: object) -> Rig:
    return Rig(_cfg(**cfg), {"X": [100.0] * 60, "Y": [50.0] * 60, "Z": [20.0] * 60})


def test_pair_within_limits_passes_whole() -> None:
    r = _rig()
    d, q = r.gate.approve_group(_group([("X", 100, 100.0), ("Y", -200, 50.0)]), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS and q == (D(100), D(-200))


def test_one_scale_factor_keeps_the_ratio_and_rounds_to_lots() -> None:
    r = _rig()  # max position 20% of 100k: X leg of 30k must shrink to 20k, Y with it
    d, q = r.gate.approve_group(_group([("X", 300, 100.0), ("Y", -300, 50.0)]), r.ctx(), 1.0)
    assert d.verdict is Verdict.RESIZE and d.reason == "max_position"
    assert q[0] == D(199) or q[0] == D(200)
    assert abs(float(q[1]) / float(q[0]) + 1.0) < 0.01  # ratio 1:-1 kept
    assert all(x == int(x) for x in q)  # whole lots


def test_upstream_scale_applies_to_every_leg() -> None:
    r = _rig()
    d, q = r.gate.approve_group(_group([("X", 100, 100.0), ("Y", -100, 50.0)]), r.ctx(), 0.5)
    assert d.reason == "scaled" and q == (D(50), D(-50))


def test_bot_size_is_a_cap_never_grown() -> None:
    r = _rig()
    d, q = r.gate.approve_group(_group([("X", 3, 100.0)]), r.ctx(), 1.0)
    assert q == (D(3),)


def test_a_leg_under_one_lot_after_scaling_refuses_the_whole_order() -> None:
    r = _rig()
    d, q = r.gate.approve_group(_group([("X", 1, 100.0), ("Y", -1, 50.0)]), r.ctx(), 0.4)
    assert d.verdict is Verdict.REJECT and d.reason == "size_below_lot" and q == (D(0), D(0))


def test_one_leg_filled_state_refuses_a_non_atomic_hedge_or_needs_a_hedge_plan() -> None:
    # gross cap 30%: the pair together (X +25k long... legs net) is judged in full and alone
    r = _rig(gross_exposure_pct=0.5, max_position_pct=0.3)
    legs = [("X", 250, 100.0), ("Y", -500, 50.0)]  # 25k each, 50k gross: fits in full
    d, q = r.gate.approve_group(_group(legs, venue_atomic=True), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS
    r = _rig(correlation={"cluster_cap_pct": 0.9}, gross_exposure_pct=0.5, max_position_pct=0.3, allow_short=True)
    r.pf.fill("bot-a", "Y", D(400))  # holds 20k of Y: selling 500 Y alone flips it short 5k
    # full state: X +25k, Y -> -100 (-5k): gross 30k fits; X alone: 20k + 25k = 45k fits; cash check
    d, q = r.gate.approve_group(_group([("X", 250, 100.0), ("Y", -500, 50.0)]), r.ctx(), 1.0)
    assert d.verdict is not Verdict.REJECT


def test_cash_breach_in_a_one_leg_state_is_refused_unless_hedged() -> None:
    # 40k cash after buying 60k of Y: buying 90k of X funded by selling the Y fits in full,
    # but X filled alone needs more cash than there is
    def rig() -> Rig:
        r = _rig(max_position_pct=1.0, gross_exposure_pct=5.0, correlation={"cluster_cap_pct": 5.0})
        r.pf.fill("bot-a", "Y", D(1200))
        return r

    legs = (GroupLeg("Y", D(-1200), 50.0, D(1200)), GroupLeg("X", D(900), 100.0))
    d, q = rig().gate.approve_group(IntentGroup("bot-a", "g", "order", legs, T0), rig().ctx(), 1.0)
    assert d.verdict is Verdict.RESIZE and d.reason == "cash" and q[0] == D(-1200) and 0 < q[1] <= 400
    r = rig()
    d, q = r.gate.approve_group(IntentGroup("bot-a", "g", "order", legs, T0, leg_risk=LegRisk.HEDGE), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS and q == (D(-1200), D(900))
    r = rig()  # a staged target: reductions filled first, then X fits
    d, q = r.gate.approve_group(IntentGroup("bot-a", "g", "target", legs, T0, staged=True), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS and q == (D(-1200), D(900))
    r = rig()  # a venue combo fills both or neither
    d, q = r.gate.approve_group(IntentGroup("bot-a", "g", "order", legs, T0, venue_atomic=True), r.ctx(), 1.0)
    assert d.verdict is Verdict.PASS


def test_quote_sides_are_each_bounded_alone() -> None:
    r = _rig()  # max position 20%: 200 X per side at most
    g = IntentGroup("bot-a", "q", "quote", (GroupLeg("X", D(300), 99.0), GroupLeg("X", D(-300), 101.0)), T0, sides=True)
    d, q = r.gate.approve_group(g, r.ctx(), 1.0)
    assert d.reason == "max_position" and abs(q[0]) <= 200 and abs(q[1]) <= 200 and q[0] == -q[1]


def test_blocked_entry_refuses_everything_but_pure_reductions_pass() -> None:
    r = _rig(allow_short=False)
    d, q = r.gate.approve_group(_group([("X", 10, 100.0), ("Y", -10, 50.0)]), r.ctx(), 1.0)
    assert d.reason == "short_not_allowed" and q == (D(0), D(0))
    d, q = r.gate.approve_group(_group([("X", 10, 100.0)]), r.ctx(halted=True), 1.0)
    assert d.reason == "halted"
    r.pf.fill("bot-a", "X", D(10))
    g = IntentGroup("bot-a", "g", "target", (GroupLeg("X", D(-10), 100.0, D(10)),), T0, staged=True)
    d, q = r.gate.approve_group(g, r.ctx(halted=True), 1.0)
    assert d.verdict is Verdict.PASS and q == (D(-10),)


# -- properties -----------------------------------------------------------------------
SYMS = ("X", "Y", "Z")
PRICES = {"X": 100.0, "Y": 50.0, "Z": 20.0}

leg_st = st.tuples(st.sampled_from(SYMS), st.integers(-3000, 3000).filter(lambda x: x != 0))
held_st = st.dictionaries(st.sampled_from(SYMS), st.integers(-800, 800), max_size=3)


def _breaches(r: Rig, held: dict[str, int], fills: dict[str, Decimal], cfg_gross: float, cfg_pos: float) -> list[str]:
    """Recompute every limit from scratch on the post-trade book."""
    eq = float(r.pf.equity())
    pos = {s: held.get(s, 0) + float(fills.get(s, 0)) for s in SYMS}
    out = []
    before = {s: float(held.get(s, 0)) for s in SYMS}
    for s in SYMS:
        if abs(pos[s]) * PRICES[s] > cfg_pos * eq + 1e-6 and abs(pos[s]) > abs(before[s]):
            out.append(f"max_position {s}")
    gross_before = sum(abs(before[s]) * PRICES[s] for s in SYMS)
    gross = sum(abs(pos[s]) * PRICES[s] for s in SYMS)
    if gross > cfg_gross * eq + 1e-6 and gross > gross_before + 1e-9:
        out.append("gross")
    spend = sum(float(fills.get(s, 0)) * PRICES[s] for s in SYMS)
    if spend > 0 and float(r.pf.cash()) - spend < -1e-6:
        out.append("cash")
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(held=held_st, legs=st.lists(leg_st, min_size=2, max_size=3, unique_by=lambda x: x[0]),
       scale=st.floats(0.05, 1.0), hedge=st.booleans())
def test_property_no_partial_approval_and_no_breach(held: dict[str, int], legs: list[tuple[str, int]], scale: float,
                                                    hedge: bool) -> None:
    gross, pos = 0.6, 0.25
    r = Rig(_cfg(gross_exposure_pct=gross, max_position_pct=pos, correlation={"cluster_cap_pct": 10.0}),
            {s: [p] * 60 for s, p in PRICES.items()}, cash=100_000.0)
    for s, q in held.items():
        if q:
            r.pf.fill("bot-a", s, D(q))
    g = IntentGroup("bot-a", "p", "order", tuple(GroupLeg(s, D(q), PRICES[s], D(held.get(s, 0))) for s, q in legs),
                    T0, leg_risk=LegRisk.HEDGE if hedge else LegRisk.REFUSE)
    d, q = r.gate.approve_group(g, r.ctx(), scale)
    approved = [x for x in q if x != 0]
    assert len(approved) in (0, len(legs))  # all legs or none
    if not approved:
        assert d.verdict is Verdict.REJECT or g.reduces_only
        return
    assert d.verdict is not Verdict.REJECT
    for leg, x in zip(g.legs, q, strict=True):
        assert abs(x) <= abs(leg.quantity) and (x > 0) == (leg.quantity > 0)  # a cap: shrink, never grow or flip
    fills = {leg.instrument: x for leg, x in zip(g.legs, q, strict=True)}
    assert _breaches(r, held, fills, gross, pos) == []
    if not hedge and not g.reduces_only:  # every one-leg-filled state holds too
        for leg, x in zip(g.legs, q, strict=True):
            assert _breaches(r, held, {leg.instrument: x}, gross, pos) == [], leg


def test_group_var_limit_scales_the_pair_until_the_post_trade_var_fits() -> None:
    from tests.risk.fakes import random_walks

    closes = random_walks(["A", "B"], 300, seed=5, vol=0.03, corr=0.3)
    cfg = _cfg(var={"enabled": True, "var95_pct": 0.004, "var99_pct": 1, "cvar95_pct": 1, "cvar99_pct": 1},
               correlation={"cluster_cap_pct": 5.0})
    r = Rig(cfg, closes)
    r.gate.observe(r.ctx())  # builds the market model (returns, covariance)
    pa, pb = closes["A"][-1], closes["B"][-1]
    legs = (GroupLeg("A", D(150), pa), GroupLeg("B", D(-150), pb))
    d, q = r.gate.approve_group(IntentGroup("bot-a", "v", "order", legs, T0, venue_atomic=True), r.ctx(), 1.0)
    assert d.reason == "var_limit" and 0 < q[0] < 150 and q[1] == -q[0]
    pv = r.gate.model.var
    assert pv is not None
    eq = float(r.pf.equity())
    w = pv.weights({"A": float(q[0]) * pa / eq, "B": float(q[1]) * pb / eq})  # recomputed from scratch
    for method in ("historical", "parametric"):
        assert pv.measure(w, method).var95 <= 0.004 + 1e-9
    w_more = pv.weights({"A": (float(q[0]) + 2) * pa / eq, "B": (float(q[1]) - 2) * pb / eq})
    assert max(pv.measure(w_more, m).var95 for m in ("historical", "parametric")) > 0.004  # the largest that fits
