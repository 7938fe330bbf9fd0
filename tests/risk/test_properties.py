"""Properties of the risk gate (hypothesis): no approved order breaches any limit;
HALTED approves nothing that adds exposure; a resize never increases size.

Limits are re-computed here independently from the fake portfolio and market, not read
back from the gate's own exposure book."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Direction, Verdict
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.persistence import MemoryRiskStore
from tradefleet.risk.state import TradingState
from tests.risk.fakes import T0, FakeMarket, FakePortfolio, random_walks, signal, spec

SYMBOLS = ["AAA", "BBB", "CCC", "KXEV-26FEB09-T40", "KXEV-26FEB09-B38.5"]
BOTS = ["b0", "b1", "b2", "b3"]
EPS = 1e-6

configs = st.fixed_dictionaries({
    "max_position_pct": st.floats(0.02, 0.3),
    "max_positions": st.integers(1, 6),
    "gross_exposure_pct": st.floats(0.05, 1.0),
    "max_trades_per_day": st.integers(1, 12),
    "risk_per_trade_pct": st.floats(0.002, 0.05),
    "kelly": st.fixed_dictionaries({"fraction": st.floats(0.1, 1.0), "cap": st.floats(0.05, 0.5)}),
    "correlation": st.fixed_dictionaries({"threshold": st.floats(0.3, 0.9),
                                          "cluster_cap_pct": st.floats(0.05, 0.6)}),
    "var": st.fixed_dictionaries({"enabled": st.booleans(), "var95_pct": st.floats(0.0005, 0.02),
                                  "var99_pct": st.floats(0.001, 0.03), "cvar95_pct": st.floats(0.001, 0.03),
                                  "cvar99_pct": st.floats(0.001, 0.05)}),
    "blockers": st.fixed_dictionaries({"cooldown_minutes": st.sampled_from([0.0, 30.0])}),
    # tight enough that the extreme-move breaker and the daily-loss halt are reached
    "breakers": st.fixed_dictionaries({"stale_after_seconds": st.just(None),
                                       "extreme_move_pct": st.floats(0.02, 0.1)}),
    "daily_loss": st.fixed_dictionaries({"pct": st.floats(0.0005, 0.01)}),
    "bots": st.fixed_dictionaries({"b0": st.fixed_dictionaries({
        "max_positions": st.integers(0, 3), "gross_exposure_pct": st.floats(0.02, 0.5),
        "max_trades_per_day": st.integers(0, 5), "max_position_pct": st.floats(0.01, 0.2)})}),
    "fleets": st.fixed_dictionaries({"default": st.fixed_dictionaries({
        "gross_exposure_pct": st.floats(0.05, 1.0), "max_positions": st.integers(1, 8)})}),
})

actions = st.lists(st.tuples(
    st.sampled_from(BOTS), st.sampled_from(SYMBOLS),
    st.sampled_from([Direction.LONG, Direction.SHORT, Direction.FLAT]),
    st.one_of(st.none(), st.floats(0.005, 0.2)),       # stop distance
    st.sampled_from([1.0, 1.0, 0.5, 0.0]),              # upstream scale
    st.sampled_from([0, 1, 45, 600, 1440]),             # minutes to advance
    st.floats(-0.08, 0.08),                             # price move when advancing
    st.sampled_from(["none"] * 7 + ["ctx", "halted", "reducing"]),
), min_size=1, max_size=40)


def _notional(pf: FakePortfolio, market: FakeMarket) -> dict[tuple[str, str], float]:
    return {(p.bot, p.instrument): float(p.quantity) * market.last_close(p.instrument)  # type: ignore[operator]
            for p in pf.positions() if p.quantity}


def _cluster_sums(gate: PortfolioRiskGate, nots: dict[tuple[str, str], float]) -> dict[int, float]:
    net: Counter[str] = Counter()
    for (_, inst), v in nots.items():
        net[inst] += v
    sums: Counter[int] = Counter()
    for inst, v in net.items():
        sums[gate.model.cluster_of.get(inst, hash(inst))] += abs(v)
    return sums


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs, actions, st.integers(0, 10_000))
def test_no_approved_order_breaches_any_limit(cfg_raw: dict, steps: list, seed: int) -> None:  # type: ignore[type-arg]
    cfg = PortfolioRiskConfig.model_validate(cfg_raw)
    clock = SimClock(T0)
    closes = random_walks(SYMBOLS[:3], 120, seed, vol=0.01, corr=0.6)
    closes.update({s: [0.4 + 0.001 * (i % 7) for i in range(120)] for s in SYMBOLS[3:]})
    market = FakeMarket(closes, T0)
    pf = FakePortfolio(100_000.0, market)
    store = MemoryRiskStore()
    gate = PortfolioRiskGate(cfg, clock, control=store, state=store, universe=market.symbols, timezone="UTC")
    entries: Counter[str] = Counter()
    last_mark: float | None = None  # equity at the gate's previous look at the book
    day_seen, base, halted_day = "", 0.0, ""
    for bot, inst, direction, stop_d, scale, minutes, move, mode in steps:
        if minutes:
            clock.advance(minutes * 60)
            market.now_ns = clock.now_ns()
            for sym in SYMBOLS[:3]:
                market.closes_by[sym].append(market.closes_by[sym][-1] * (1 + move))
        gate.states.clear("fleet", "prop", clock.now_ns())
        if mode in ("halted", "reducing"):
            gate.states.set("fleet", "prop", TradingState.parse(mode), "test", clock.now_ns())
        price = market.last_close(inst)
        assert price is not None
        stop = None if stop_d is None or direction is Direction.FLAT else price * (1 - direction.sign * stop_d)
        before = _notional(pf, market)
        equity = float(pf.equity())
        # the daily loss, rebuilt here: the base is the last mark before (UTC) midnight
        day = str(clock.now().date())
        if day != day_seen:
            day_seen, base = day, (last_mark if last_mark is not None else equity)
        last_mark = equity
        if base > 0 and base - equity >= cfg.daily_loss.pct * base:  # type: ignore[operator]
            halted_day = day
            event("daily loss reached (independent)")
        closes_now = market.closes_by.get(inst, [])
        shock = (inst in {i for (_, i) in before} and len(closes_now) >= 2 and closes_now[-2] > 0
                 and abs(closes_now[-1] / closes_now[-2] - 1) >= cfg.breakers.extreme_move_pct)
        if shock:
            event("extreme move in a held instrument (independent)")
        ctx = GateContext(clock.now_ns(), spec(bot), market, pf, mode == "ctx", "test")
        dec, qty = gate.approve(signal(bot, inst, direction, price, ts=clock.now_ns(), stop=stop), ctx, scale)
        event(f"{dec.verdict.value}:{dec.reason}")
        # a resize never increases size; a verdict is consistent with its quantity
        assert 0.0 <= dec.scale <= 1.0
        if dec.verdict is Verdict.REJECT:
            assert qty == 0
        if not qty:
            continue
        old = before.get((bot, inst), 0.0)
        pf.fill(bot, inst, qty)
        after = _notional(pf, market)
        new = after.get((bot, inst), 0.0)
        adds = abs(new) > abs(old) + EPS or (new * old < 0)
        if not adds:
            continue
        # HALTED / REDUCING / engine halt approve nothing that adds exposure
        assert mode == "none", f"{mode}: approved {qty} adding exposure"
        assert halted_day != day, f"approved {qty} after the day's loss reached the limit"
        assert not shock, f"approved {qty} in {inst} right after an extreme move"
        entries[day] += 1
        entries[f"{bot}|{day}"] += 1
        assert entries[day] <= cfg.max_trades_per_day
        b0, fleet = cfg.bots["b0"], cfg.fleets["default"]
        if bot == "b0":
            assert entries[f"b0|{day}"] <= (b0.max_trades_per_day or 0)
            assert abs(new) <= (b0.max_position_pct or 1.0) * equity + EPS
            assert sum(abs(v) for (b, _), v in after.items() if b == "b0") <= (b0.gross_exposure_pct or 0) * equity + EPS
            assert sum(1 for (b, _) in after if b == "b0") <= (b0.max_positions or 0)
        assert sum(abs(v) for v in after.values()) <= (fleet.gross_exposure_pct or 0) * equity + EPS
        assert len(after) <= (fleet.max_positions or 0)
        assert abs(new) <= cfg.max_position_pct * equity + EPS
        assert sum(abs(v) for v in after.values()) <= cfg.gross_exposure_pct * equity + EPS
        assert len(after) <= cfg.max_positions
        assert abs(new) <= dec.data["desired"] + EPS
        if stop is not None:
            assert float(abs(qty)) * abs(price - stop) <= cfg.risk_per_trade_pct * equity + EPS or old * new < 0
        for cid, total in _cluster_sums(gate, after).items():
            if cid == gate.model.cluster_of.get(inst, hash(inst)):
                assert total <= cfg.correlation.cluster_cap_pct * equity + EPS
        signs = {(b, i): np.sign(v) for (b, i), v in after.items()}
        from tradefleet.risk.tickers import underlying
        for (b, i), s in signs.items():
            if underlying(i) == underlying(inst) and (b, i) != (bot, inst):
                assert s == np.sign(new), "contradictory positions on one underlying"
        if cfg.var.enabled and gate.model.var is not None and inst in gate.model.var.index:
            pv = gate.model.var
            w = pv.weights({i: v / equity for (_, i), v in after.items()})
            w0 = pv.weights({i: v / equity for (_, i), v in before.items()})
            for method in cfg.var.methods:
                m, m0 = pv.measure(w, method), pv.measure(w0, method)
                for k, lim in (("var95", cfg.var.var95_pct), ("var99", cfg.var.var99_pct),
                               ("cvar95", cfg.var.cvar95_pct), ("cvar99", cfg.var.cvar99_pct)):
                    v, v0 = getattr(m, k), getattr(m0, k)
                    assert v <= lim + 1e-9 or v0 / lim >= 1.0, f"{method} {k} {v} > {lim}"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(BOTS), st.sampled_from(SYMBOLS[:3]),
                          st.sampled_from(list(Direction))), min_size=1, max_size=30),
       st.sampled_from(["ctx", "halted", "daily"]))
def test_halted_approves_nothing_that_adds_exposure(steps: list, how: str) -> None:  # type: ignore[type-arg]
    cfg = PortfolioRiskConfig.model_validate({"var": {"enabled": False}})
    clock = SimClock(T0)
    market = FakeMarket(random_walks(SYMBOLS[:3], 60, 1), T0)
    pf = FakePortfolio(100_000.0, market)
    store = MemoryRiskStore()
    gate = PortfolioRiskGate(cfg, clock, control=store, state=store, universe=market.symbols, timezone="UTC")
    for i, (bot, inst, _) in enumerate(steps[:5]):  # some positions before the halt
        _, q = gate.approve(signal(bot, inst, Direction.LONG if i % 2 else Direction.SHORT, 100.0,
                                   ts=clock.now_ns()), GateContext(clock.now_ns(), spec(bot), market, pf), 1.0)
        if q:
            pf.fill(bot, inst, q)
    clock.advance(1)
    if how == "halted":
        gate.states.set("fleet", "operator", TradingState.HALTED, "test", clock.now_ns())
    elif how == "daily":
        pf._cash -= Decimal(30_000)
    for bot, inst, direction in steps:
        clock.advance(1)
        pos = pf.position(bot, inst)
        held = pos.quantity if pos else Decimal(0)
        ctx = GateContext(clock.now_ns(), spec(bot), market, pf, how == "ctx", "halt")
        dec, qty = gate.approve(signal(bot, inst, direction, 100.0, ts=clock.now_ns()), ctx, 1.0)
        assert abs(held + qty) <= abs(held), f"{how}: {dec}"
        assert qty == 0 or (held + qty) * held >= 0
        if qty:
            pf.fill(bot, inst, qty)
