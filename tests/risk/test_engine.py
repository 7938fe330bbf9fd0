"""PortfolioRiskGate scenarios: sizing, every limit, blockers, states, VaR, confirmation."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Direction, Verdict
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.persistence import MemoryRiskStore
from tradefleet.risk.state import TradingState
from tests.risk.fakes import T0, FakeMarket, FakePortfolio, random_walks, signal, spec

L, S, F = Direction.LONG, Direction.SHORT, Direction.FLAT


def _cfg(**kw: object) -> PortfolioRiskConfig:
    base: dict[str, object] = {"var": {"enabled": False}, "hrp": {"enabled": False},
                               "breakers": {"stale_after_seconds": None}}
    base.update(kw)
    return PortfolioRiskConfig.model_validate(base)


class Rig:
    def __init__(self, cfg: PortfolioRiskConfig, closes: dict[str, list[float]] | None = None,
                 cash: float = 100_000.0, live: bool = False, store: MemoryRiskStore | None = None) -> None:
        self.clock = SimClock(T0)
        self.market = FakeMarket(closes or {"X": [100.0] * 60, "Y": [50.0] * 60}, T0)
        self.pf = FakePortfolio(cash, self.market)
        self.store = store or MemoryRiskStore()
        self.gate = PortfolioRiskGate(cfg, self.clock, control=self.store, state=self.store, live=live,
                                      universe=self.market.symbols, timezone="UTC")

    def ctx(self, halted: bool = False) -> GateContext:
        return GateContext(self.clock.now_ns(), spec(), self.market, self.pf, halted, "ops" if halted else "")

    def go(self, bot: str, inst: str, d: Direction, fill: bool = True, halted: bool = False, **kw: object):  # type: ignore[no-untyped-def]
        entry = self.market.last_close(inst) or 0.0
        dec, qty = self.gate.approve(signal(bot, inst, d, entry, ts=self.clock.now_ns(), **kw), self.ctx(halted), 1.0)
        if fill and qty:
            self.pf.fill(bot, inst, qty)
        return dec, qty

    def next_day(self, **moves: float) -> None:
        self.clock.advance(86_400)
        self.market.now_ns = self.clock.now_ns()
        for sym, closes in self.market.closes_by.items():
            closes.append(closes[-1] * (1 + moves.get(sym, 0.0)))


def test_entry_uses_its_whole_budget_at_the_prior_edge() -> None:
    rig = Rig(_cfg())
    dec, qty = rig.go("a", "X", L)
    assert dec.verdict is Verdict.PASS and dec.reason == "sized"
    assert qty == Decimal(100)  # budget: position_pct 10% of 100k (no running bots declared); Kelly at prior = 1
    assert dec.data["budget"] == 10_000.0 and dec.data["intensity"] == 1.0
    assert rig.go("a", "X", L)[1] == 0  # already positioned
    dec, qty = rig.go("a", "X", F)
    assert (dec.reason, qty) == ("exit", Decimal(-100))


def test_declared_running_bots_share_the_account_by_fleet() -> None:
    rig = Rig(_cfg(fleets={"fx": {"capital_pct": 0.4}}, fleet_of={"a": "eq", "b": "eq", "c": "fx"}))
    rig.gate.set_running(["a", "b", "c"])
    assert rig.gate.budgets.bot_fraction("a", "eq") == pytest.approx(0.3)  # (1 - 0.4) / 2 bots
    assert rig.gate.budgets.bot_fraction("c", "fx") == pytest.approx(0.4)
    dec, qty = rig.go("a", "X", L)
    assert qty == Decimal(200) and dec.reason == "max_position"  # 30% budget, capped at max_position_pct 20%
    rig.gate.budgets.set_weights("eq", {"a": 3.0, "b": 1.0})
    assert rig.gate.budgets.bot_fraction("b", "eq") == pytest.approx(0.15)
    dec, qty = rig.go("b", "Y", L)
    assert qty == Decimal(300)  # 15% of 100k at 50


def test_regime_fleet_and_upstream_cuts_do_not_compound() -> None:
    rig = Rig(_cfg())
    dec, qty = rig.gate.approve(signal("a", "X", L, 100.0, regime_scale=0.5, fleet_weight=0.6), rig.ctx(), 0.8)
    assert qty == Decimal(50)  # budget 10,000 x the strongest cut (regime 0.5), not 0.5 x 0.6 x 0.8
    assert dec.data["cut"] == "regime_scale"
    assert dec.verdict is Verdict.RESIZE and dec.scale <= 1.0


def test_risk_per_trade_caps_at_two_percent_of_equity_at_stop() -> None:
    rig = Rig(_cfg(kelly={"prior_trades": 30, "cap": 0.2, "fraction": 1.0}))
    dec, qty = rig.go("a", "X", L, stop=60.0)  # 2% of 100k / 40 per share = 50 shares (budget: 100)
    assert dec.reason == "risk_per_trade" and qty == 50 and dec.scale == pytest.approx(0.5)


def test_halted_context_and_states_pass_exits_only() -> None:
    rig = Rig(_cfg())
    rig.go("a", "X", L)
    dec, qty = rig.go("b", "Y", L, halted=True)
    assert dec.verdict is Verdict.REJECT and dec.reason == "halted" and qty == 0
    dec, qty = rig.go("a", "X", S, halted=True)  # flip while halted: close only
    assert dec.reason == "halted_exit_only" and qty == Decimal(-100)
    rig.gate.states.set("fleet", "operator", TradingState.REDUCING, "deleverage", rig.clock.now_ns())
    dec, qty = rig.go("b", "Y", L)
    assert dec.reason == "state_reducing" and qty == 0


def test_broker_unhealthy_halts_its_account_only() -> None:
    rig = Rig(_cfg())
    rig.gate.states.report_broker("paper", False, "timeouts", rig.clock.now_ns())
    assert rig.go("a", "X", L)[0].reason == "state_halted"


def test_max_positions_and_trades_per_day_global_bot_fleet() -> None:
    rig = Rig(_cfg(max_positions=2, bots={"a": {"max_positions": 1}}),
              {s: [10.0] * 60 for s in "ABCD"})
    assert rig.go("a", "A", L)[1] > 0
    assert rig.go("a", "B", L)[0].reason == "max_positions_bot"
    assert rig.go("b", "B", L)[1] > 0
    assert rig.go("c", "C", L)[0].reason == "max_positions_global"
    rig2 = Rig(_cfg(max_trades_per_day=2), {s: [10.0] * 60 for s in "ABCD"})
    rig2.go("a", "A", L)
    rig2.go("a", "A", F)
    rig2.go("b", "B", L)
    assert rig2.go("c", "C", L)[0].reason == "max_trades_per_day_global"
    rig2.next_day()
    assert rig2.go("c", "C", L)[1] > 0


def test_gross_exposure_cap_resizes() -> None:
    rig = Rig(_cfg(gross_exposure_pct=0.10), {s: [10.0] * 60 for s in "AB"})
    rig.go("a", "A", L)  # 6.25%
    dec, qty = rig.go("b", "B", L)
    assert dec.reason == "gross_exposure_global" and float(qty) * 10 <= 3_750 + 1e-9


def test_contradictory_positions_and_cooldown() -> None:
    rig = Rig(_cfg(), {"KXHIGHCHI-26FEB09-B38.5": [0.4] * 60, "KXHIGHCHI-26FEB09-T40": [0.3] * 60})
    assert rig.go("a", "KXHIGHCHI-26FEB09-B38.5", L)[1] > 0
    dec, _ = rig.go("b", "KXHIGHCHI-26FEB09-T40", S)
    assert dec.reason == "contradictory_position"
    rig.go("a", "KXHIGHCHI-26FEB09-B38.5", F)
    rig.clock.advance(60)
    dec, _ = rig.go("a", "KXHIGHCHI-26FEB09-T40", L)
    assert dec.reason == "cooldown"
    rig.clock.advance(30 * 60)
    assert rig.go("a", "KXHIGHCHI-26FEB09-T40", L)[1] > 0


def test_correlation_cluster_cap() -> None:
    closes = random_walks(["A", "B", "C"], 150, seed=1, corr=0.95)
    rig = Rig(_cfg(correlation={"threshold": 0.7, "cluster_cap_pct": 0.10}), closes)
    rig.go("a", "A", L)
    dec, qty = rig.go("b", "B", L)
    assert dec.reason == "correlation_cluster"
    assert abs(float(qty)) * closes["B"][-1] <= 0.10 * 100_000 - 6_250 + 1e-6 + closes["A"][-1]


def test_var_limit_resizes_order() -> None:
    closes = random_walks(["A"], 300, seed=2, vol=0.03)
    rig = Rig(_cfg(var={"enabled": True, "var95_pct": 0.001, "var99_pct": 1, "cvar95_pct": 1, "cvar99_pct": 1}), closes)
    dec, qty = rig.go("a", "A", L)
    assert dec.reason == "var_limit" and 0 < qty
    var95 = dec.data["var"]["after"]
    assert var95["historical_var95"] <= 0.001 + 1e-9 and var95["parametric_var95"] <= 0.001 + 1e-9


def test_live_confirmation_flow() -> None:
    rig = Rig(_cfg(confirm={"live_notional_threshold": 1_000.0}), live=True)
    dec, qty = rig.go("a", "X", L)
    assert dec.reason == "awaiting_confirmation" and qty == 0
    cid = dec.data["confirmation_id"]
    assert [p.id for p in rig.gate.confirmations.pending()] == [cid]
    rig.gate.confirmations.confirm(cid, "telegram")
    rig.clock.advance(1)
    dec, qty = rig.go("a", "X", L)
    assert dec.verdict is Verdict.PASS and qty == 100


def test_daily_loss_halt_via_gate_and_restart() -> None:
    store = MemoryRiskStore()
    rig = Rig(_cfg(), {"X": [100.0] * 60}, store=store)
    rig.go("a", "X", L)
    rig.pf._cash -= Decimal(6_000)  # a 6% loss that day (fees, a bad fill elsewhere)
    rig.clock.advance(60)
    dec, _ = rig.go("b", "X", L)
    assert dec.reason == "daily_loss_halt"
    assert store.control("fleet").halted  # type: ignore[union-attr]
    again = PortfolioRiskGate(_cfg(), rig.clock, control=store, state=store, universe=rig.market.symbols, timezone="UTC")
    rig.clock.advance(60)
    dec, qty = again.approve(signal("b", "Y", L, 100.0, ts=rig.clock.now_ns()), rig.ctx(), 1.0)
    assert dec.reason == "daily_loss_halt" and qty == 0
    again.resume("operator")
    rig.clock.advance(60)
    dec, qty = again.approve(signal("c", "X", L, 100.0, ts=rig.clock.now_ns()), rig.ctx(), 1.0)
    assert qty > 0


def test_loss_streak_detected_from_portfolio_cuts_size() -> None:
    rig = Rig(_cfg(blockers={"loss_streak": 2, "cooldown_minutes": 0}), {"X": [100.0] * 60})
    full = rig.go("a", "X", L)[1]
    for _ in range(2):
        rig.next_day(X=-0.01)
        rig.go("a", "X", F)
        rig.next_day()
        rig.go("a", "X", L)
    assert rig.gate.blockers.size_multiplier("a") == 0.5
    rig.go("a", "X", F)
    rig.next_day()
    assert rig.go("a", "X", L)[1] <= full // 2 + 1


def test_report_has_every_section() -> None:
    rig = Rig(_cfg(var={"enabled": True}), random_walks(["A", "B"], 200, seed=3))
    rig.go("a", "A", L)
    rep = rig.gate.report()
    for key in ("state", "limits", "var", "clusters", "cooldowns", "size_cuts", "daily_loss"):
        assert key in rep
    assert rep["var"]["measured"] and "historical" in rep["var"]
    assert rig.store.load_risk_state("risk_report") is not None


def test_gate_registers_as_risk_plugin() -> None:
    from tradefleet.orchestrator.registry import _check_class

    _check_class("risk", PortfolioRiskGate)


def test_unfilled_approvals_count_until_a_fill_or_the_rebuild_period() -> None:
    rig = Rig(_cfg(gross_exposure_pct=0.12, rebuild_seconds=300), {s: [10.0] * 60 for s in "AB"})
    assert rig.go("a", "A", L, fill=False)[1] == 1000  # 10% approved, not filled yet
    rig.clock.advance(60)  # next tick, no fill: the approval still counts
    dec, qty = rig.go("b", "B", L, fill=False)
    assert dec.reason == "gross_exposure_global" and qty == 200
    rig.clock.advance(600)  # past the rebuild period: positions re-read, nothing held
    dec, qty = rig.go("c", "B", L, fill=False)
    assert dec.reason == "sized" and qty == 1000


def test_greeks_provider_limits_new_entries() -> None:
    from dataclasses import dataclass

    @dataclass
    class G:
        delta: float
        gamma: float = 0.0
        vega: float = 0.0

    book: dict[str, float] = {"delta": 10.0}
    rig = Rig(_cfg(greeks={"max_abs_delta": 500.0}))
    rig.gate.greeks_provider = lambda positions: G(book["delta"])
    assert rig.go("a", "X", L)[1] > 0
    book["delta"] = 900.0
    rig.clock.advance(60)
    dec, qty = rig.go("b", "Y", L)
    assert dec.reason == "greeks_delta" and qty == 0
    assert rig.go("a", "X", F)[1] < 0  # exits still pass


def test_build_from_kernel_services(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tradefleet.orchestrator.bus import InProcessBus, Topic
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.orchestrator.services import Services
    from tradefleet.orchestrator.store import Store

    cfg = AppConfig.model_validate({"risk": {"max_positions": 3, "var": {"enabled": False}},
                                    "engine": {"timezone": "UTC"}})
    clock = SimClock(T0)
    market = FakeMarket({"X": [100.0] * 60})
    pf = FakePortfolio(100_000.0, market)
    bus = InProcessBus()
    alerts: list[object] = []
    controls: list[object] = []
    bus.subscribe(Topic.ALERTS, lambda t, e: alerts.append(e))
    bus.subscribe(Topic.CONTROL, lambda t, e: controls.append(e))
    with Store.open(f"sqlite:///{tmp_path / 'tf.db'}") as store:
        services = Services(cfg, clock, store, bus, Registry(), market, pf, market)  # type: ignore[arg-type]
        gate = PortfolioRiskGate.build(services)
        assert gate.config.max_positions == 3
        dec, qty = gate.approve(signal("a", "X", L, 100.0), GateContext(clock.now_ns(), spec(), market, pf), 1.0)
        assert qty == 100
        pf._cash -= Decimal(10_000)
        clock.advance(60)
        dec, _ = gate.approve(signal("b", "X", L, 100.0, ts=clock.now_ns()),
                              GateContext(clock.now_ns(), spec(), market, pf), 1.0)
        assert dec.reason == "daily_loss_halt" and store.control("fleet").halted
        assert [a.kind for a in alerts] == ["daily_loss_halt"]  # type: ignore[attr-defined]
        assert services.extras["risk_gate"] is gate
        assert len(controls) == 1  # the engine reloads its halt state on this


def test_pending_entry_is_not_doubled_and_observe_runs_tick_checks() -> None:
    rig = Rig(_cfg())
    assert rig.go("a", "X", L, fill=False)[1] == 100
    rig.clock.advance(60)
    assert rig.go("a", "X", L, fill=False)[0].reason == "noop_entry_pending"
    rig.pf.fill("a", "X", Decimal(100))
    rig.clock.advance(60)
    assert rig.go("a", "X", F, fill=False)[1] == -100
    rig.clock.advance(60)
    assert rig.go("a", "X", F, fill=False)[0].reason == "noop_exit_pending"
    rig.pf._cash -= Decimal(6_000)
    rig.clock.advance(60)
    rig.gate.observe(rig.ctx())
    assert rig.gate.daily.halted and rig.store.control("fleet").halted  # type: ignore[union-attr]


def test_kelly_records_cooldowns_and_streak_cuts_survive_restart() -> None:
    store = MemoryRiskStore()
    rig = Rig(_cfg(blockers={"loss_streak": 2}), store=store)
    for pnl in (-1.0, -2.0, 3.0, -1.0, -1.0):
        rig.gate.record_outcome("a", "X", pnl, rig.clock.now_ns())
    again = PortfolioRiskGate(rig.gate.config, rig.clock, control=store, state=store, timezone="UTC")
    assert again.kelly.estimates("a", "X") == rig.gate.kelly.estimates("a", "X")
    assert again.kelly.stats("a").n == 5
    assert again.blockers.size_multiplier("a") == 0.5
    assert again.blockers.cooldown_left("a", "X", rig.clock.now_ns() + 60 * 10**9) == 29 * 60


def test_market_model_skips_flat_and_short_histories() -> None:
    closes = random_walks(["A", "B"], 100, seed=9)
    closes["FLAT_TAIL"] = [100.0 + i for i in range(40)] + [140.0] * 60  # moves, then flat
    closes["SHORT"] = [1.0, 1.1, 1.2]
    rig = Rig(_cfg(var={"enabled": True}, hrp={"enabled": True, "lookback": 50},
                   correlation={"lookback": 50}), closes)
    dec, qty = rig.go("a", "FLAT_TAIL", L)
    assert qty > 0
    assert rig.gate.model.symbols == ["A", "B"]
    assert set(rig.gate.model.unmeasured) == {"FLAT_TAIL", "SHORT"}
    assert rig.gate.model.hrp_multiplier("FLAT_TAIL") == 1.0


def test_market_model_gives_each_symbol_its_own_hrp_multiplier() -> None:
    # generated walks: CALM moves a quarter as much as WILD, so inverse-variance HRP gives it
    # the larger share; the multipliers must land on the right names
    calm = random_walks(["CALM"], 120, seed=3, vol=0.004)
    wild = random_walks(["WILD"], 120, seed=4, vol=0.016)
    rig = Rig(_cfg(hrp={"enabled": True, "lookback": 100}, correlation={"lookback": 100}), {**calm, **wild})
    rig.go("a", "CALM", L)
    m = rig.gate.model
    assert m.symbols == ["CALM", "WILD"]
    assert m.hrp_multiplier("CALM") > 1.0 > m.hrp_multiplier("WILD")
    # two assets, no clustering to speak of: shares are inverse variances, normalised to mean 1
    var = {s: float(np.var(np.diff(np.log(c))[-100:])) for s, c in {**calm, **wild}.items()}
    share_calm = (1 / var["CALM"]) / (1 / var["CALM"] + 1 / var["WILD"])
    assert m.hrp_multiplier("CALM") == pytest.approx(min(2 * share_calm, rig.gate.config.hrp.max_multiplier), rel=0.05)


def test_market_model_derives_on_first_read_what_its_rebuild_instant_saw(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild takes the closes as they stand and derives VaR, HRP and clusters only when
    read; bars that close in between change nothing (generated random walks)."""
    import pandas as pd

    import tradefleet.risk.market_model as mm
    from tradefleet.orchestrator.market import MarketState

    built: list[int] = []

    class CountedVar(mm.PortfolioVar):
        def __init__(self, symbols: list[str], returns: np.ndarray) -> None:
            built.append(len(symbols))
            super().__init__(symbols, returns)

    monkeypatch.setattr(mm, "PortfolioVar", CountedVar)
    walks = random_walks(["A", "B", "C"], 300, seed=5, corr=0.6)
    market = MarketState()
    idx = pd.date_range("2020-01-01", periods=300, freq="D", tz="UTC", name="ts")
    for sym, c in walks.items():
        market.load(sym, pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1.0}, index=idx))
        market.advance(sym, 199)
    cfg = _cfg(var={"enabled": True}, hrp={"enabled": True, "lookback": 100}, correlation={"lookback": 100})
    lazy, eager = mm.MarketModel(cfg), mm.MarketModel(cfg)
    lazy.rebuild(market, walks, T0)
    eager.rebuild(market, walks, T0)
    want = (list(eager.symbols), dict(eager.multiplier), dict(eager.cluster_of), eager.corr.copy(),
            eager.var.cov.copy())  # type: ignore[union-attr]
    assert built == [3]  # only the model read so far derived
    for sym in walks:  # a hundred more bars close before anything reads the lazy model
        market.advance(sym, 299)
    got = (lazy.symbols, lazy.multiplier, lazy.cluster_of, lazy.corr, lazy.var.cov)  # type: ignore[union-attr]
    assert built == [3, 3]
    assert got[:3] == want[:3] and np.array_equal(got[3], want[3]) and np.array_equal(got[4], want[4])
    assert lazy.built_ns == T0 and not lazy.needs_refresh(T0 + 1, walks)


def _book_state(book):  # type: ignore[no-untyped-def]
    """Everything a rebuild sets, as plain values (float sums compared bit for bit)."""
    return ([(k, h.quantity, h.mark, h.realized, h.mult, h.fleet) for k, h in book.holdings.items()],
            book.cash, book.equity, book.gross, dict(book.gross_bot), dict(book.gross_fleet), book.count,
            dict(book.count_bot), dict(book.count_fleet), dict(book.net_symbol),
            {u: dict(v) for u, v in book.by_underlying.items()}, book.power)


def test_a_due_rebuild_with_the_positions_unchanged_revalues_the_book_in_place() -> None:
    """Daily bars pass the rebuild period on every tick. While the ledger's change counter
    has not moved and no order was approved, the book is revalued in place and equals, float
    for float, the book a rebuild gives; an approval, a position change without a fill
    (a restore) or a holding with no mark still rebuild."""
    from tradefleet.orchestrator.domain import Fill, Position, Side
    from tradefleet.orchestrator.portfolio import Ledger
    from tradefleet.risk.exposure import ExposureBook

    clock = SimClock(T0)
    market = FakeMarket({"X": [100.0] * 60, "Y": [50.0] * 60, "Z": [20.0] * 60}, T0)
    ledger = Ledger(Decimal(100_000), market.last_close)
    store = MemoryRiskStore()
    gate = PortfolioRiskGate(_cfg(rebuild_seconds=300), clock, control=store, state=store,
                             universe=market.symbols, timezone="UTC")
    for n, (bot, inst, side, qty, px) in enumerate([("a", "X", Side.BUY, "10", "100"), ("b", "Y", Side.SELL, "5", "50")]):
        ledger.apply_fill(bot, Fill(f"o{n}", "paper", f"v{n}", f"t{n}", inst, side, Decimal(qty), Decimal(px),
                                    Decimal("0.5"), T0, T0))

    def tick(**moves: float) -> ExposureBook:
        clock.advance(86_400)
        market.now_ns = clock.now_ns()
        for sym, closes in market.closes_by.items():
            closes.append(closes[-1] * (1 + moves.get(sym, 0.0)))
        gate.observe(GateContext(clock.now_ns(), None, market, ledger, False, ""))  # type: ignore[arg-type]
        return gate.snap.book  # type: ignore[union-attr]

    first = tick()
    for moves in ({"X": 0.013, "Y": -0.021}, {"X": -0.007}, {"Y": 0.0123, "Z": 0.5}):
        book = tick(**moves)
        assert book is first  # revalued, not rebuilt
        fresh = ExposureBook.build(ledger, market, lambda _b: "default", gate.mult)
        assert _book_state(book) == _book_state(fresh)
    assert gate.snap.built_ns == clock.now_ns()  # type: ignore[union-attr]

    # an order approved and not filled is held until the rebuild period, then dropped
    ctx = GateContext(clock.now_ns(), spec(), market, ledger, False, "")
    assert gate.approve(signal("c", "Z", L, 20.0 * 1.5, ts=clock.now_ns()), ctx, 1.0)[1] > 0
    assert first.holding("c", "Z") is not None
    book = tick()
    assert book is not first and book.holding("c", "Z") is None
    assert _book_state(book) == _book_state(ExposureBook.build(ledger, market, lambda _b: "default", gate.mult))

    # positions changed without a fill (a restore: same cash, same count): re-read
    ledger.restore(ledger.cash(), [Position("a", "X", Decimal(25), Decimal(90)), Position("b", "Y", Decimal(-5), Decimal(50))])
    again = tick()
    assert again is not book and again.holding("a", "X").quantity == 25.0  # type: ignore[union-attr]

    # a holding with no mark is valued at its average price by a build: rebuilt too
    del market.closes_by["Y"]
    last = tick()
    assert last is not again and last.holding("b", "Y").mark == 50.0  # type: ignore[union-attr]


def test_the_universe_without_options_follows_arrivals_departures_and_late_option_specs() -> None:
    """The risk model's universe: every data symbol but option contracts. Kept across ticks
    and updated from the symbols that arrived (thousands of option series in a long run);
    a symbol that left, or one whose option spec arrived after its data, is reclassified."""
    from types import SimpleNamespace

    symbols = ["SPX", "X"]
    store = MemoryRiskStore()
    gate = PortfolioRiskGate(_cfg(), SimClock(T0), control=store, state=store, universe=lambda: tuple(symbols),
                             timezone="UTC")
    option = SimpleNamespace(option=object())
    gate.instruments = {"X": SimpleNamespace(option=None)}
    want = lambda: {s for s in symbols if getattr(gate.instruments.get(s), "option", None) is None}  # noqa: E731
    assert gate._universe_now() == want() == {"SPX", "X"}
    for k in range(50):
        symbols.append(f"SPX{k:03d}C")
        gate.instruments[f"SPX{k:03d}C"] = option
        symbols.append(f"U{k}")
        assert gate._universe_now() == want()
    symbols.append("LATE")  # data before its option spec: counted until the spec says otherwise
    assert "LATE" in gate._universe_now()
    gate.instruments["LATE"] = option
    symbols.append("Y")
    assert gate._universe_now() == want() and "LATE" not in want()
    symbols.remove("U3")
    symbols.remove("SPX004C")
    symbols.append("Z")  # two left, one came
    assert gate._universe_now() == want() and "U3" not in gate._universe_now()
