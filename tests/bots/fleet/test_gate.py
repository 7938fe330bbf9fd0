from decimal import Decimal

import numpy as np
import pytest

from tradefleet.bots.fleet.config import FleetConfig
from tradefleet.bots.fleet.gate import FleetGate, cap_weights
from tradefleet.orchestrator.domain import Direction, Fill, Side, Signal, Verdict
from tradefleet.orchestrator.portfolio import Ledger
from tradefleet.risk.budgets import CapitalBudgets

D = Decimal


def _trade(led: Ledger, bot: str, n: int, pnl: str) -> None:
    led.apply_fill(bot, Fill(f"o{n}", "paper", f"v{n}", f"t{n}", "X", Side.BUY, D(1), D(100), D(0), n, n))
    led.apply_fill(bot, Fill(f"c{n}", "paper", f"w{n}", f"u{n}", "X", Side.SELL, D(1), D(100) + D(pnl), D(0), n, n))


def _sig(bot: str) -> Signal:
    return Signal(bot, "X", Direction.LONG, 1.0, 100.0, 1, 1)


def _wired(members: list[str], fleet_of: dict[str, str], cfg: FleetConfig, cash: str = "100000"
           ) -> tuple[Ledger, FleetGate, CapitalBudgets]:
    led = Ledger(D(cash), {"X": 100.0}.get)
    budgets = CapitalBudgets()
    budgets.set_running(fleet_of)
    gate = FleetGate(cfg, members, led, fleet_of, budgets)
    gate.set_running(members)
    return led, gate, budgets


def test_fleet_gate_gives_the_winner_more_than_an_equal_share_of_capital() -> None:
    fleet_of = {"good": "fx", "bad": "fx", "eq": "equities"}
    led, gate, budgets = _wired(["good", "bad"], fleet_of, FleetConfig(decay=0.99, floor=0.02, cap=0.9, samples=2000, seed=3))
    assert budgets.bot_fraction("good", "fx") == pytest.approx(budgets.bot_fraction("bad", "fx"), rel=0.1)  # no record
    for n in range(40):
        _trade(led, "good", 2 * n, "30")
        gate.observe()
        _trade(led, "bad", 2 * n + 1, "-30")
        gate.observe()
    assert gate.allocator.arms["good"].trades == 40 and gate.allocator.arms["bad"].trades == 40
    gate.sync()  # the next member signal would do this
    fx = budgets.fleet_fraction("fx")
    good, bad = budgets.bot_fraction("good", "fx"), budgets.bot_fraction("bad", "fx")
    assert good + bad == pytest.approx(fx)  # budgets sum to the fleet's capital
    assert good > fx / 2 > bad > 0  # winner above an equal share, loser below, never zero (floor)
    assert good <= 0.9 * fx + 1e-9  # capped per bot
    d = gate.evaluate(_sig("bad"), None)  # type: ignore[arg-type]
    assert d.verdict is Verdict.PASS and d.reason == "fleet_budget" and d.scale == 1.0  # capital, not a multiplier
    assert set(d.data["weights"]) == {"good", "bad"} and d.data["fleet"] == "fx"


def test_budgets_sum_to_capital_and_shift_to_the_best_arm_on_a_switching_bandit() -> None:
    names = [f"bot{i}" for i in range(4)]
    fleet_of = {n: "crypto" for n in names}
    led, gate, budgets = _wired(names, fleet_of, FleetConfig(decay=0.97, floor=0.02, cap=0.7, samples=1000, seed=5))
    rng = np.random.default_rng(5)
    phases = ([0.004, 0.0, -0.002, 0.001], [-0.002, 0.0, 0.001, 0.004])  # mean return per trade on the budget
    n = 0
    for means in phases:
        for _ in range(150):
            for i, bot in enumerate(names):
                capital = gate.capital(bot, float(led.equity()))
                pnl = rng.normal(means[i], 0.002) * capital
                _trade(led, bot, n, f"{pnl:.2f}")
                n += 1
                gate.observe()
            gate.sync()
            shares = [budgets.bot_fraction(b, "crypto") for b in names]
            assert sum(shares) == pytest.approx(budgets.fleet_fraction("crypto"))
            assert min(shares) >= 0.02 - 1e-9 and max(shares) <= 0.7 + 1e-9
        best = names[int(np.argmax(means))]
        assert max(names, key=lambda b: budgets.bot_fraction(b, "crypto")) == best
        assert budgets.bot_fraction(best, "crypto") > 0.25  # more than an equal share


def test_cap_weights_redistributes_excess() -> None:
    w = cap_weights({"a": 0.9, "b": 0.06, "c": 0.04}, 0.5)
    assert w["a"] == pytest.approx(0.5) and sum(w.values()) == pytest.approx(1.0)
    assert w["b"] / w["c"] == pytest.approx(1.5)


def test_fleet_gate_passes_non_members() -> None:
    gate = FleetGate(FleetConfig(), ["a"], Ledger(D("1"), {}.get))
    d = gate.evaluate(_sig("outsider"), None)  # type: ignore[arg-type]
    assert d.verdict is Verdict.PASS and d.reason == "not_in_fleet"


class _CountingLedger(Ledger):
    scans = 0

    def positions(self):  # type: ignore[no-untyped-def]
        type(self).scans += 1
        return super().positions()


def test_observe_reads_only_the_owner_a_fill_changed_with_the_same_outcomes() -> None:
    """One fill changes one bot's books: observing it never scans every position, and the
    arms see exactly the outcomes a full scan gives (many bots, many instruments)."""
    names = [f"b{i}" for i in range(6)]
    fleet_of = {n: "fx" for n in names}
    cfg = FleetConfig(decay=0.98, floor=0.02, cap=0.8, samples=200, seed=7)

    def play(ledger_cls: type[Ledger]) -> dict[str, tuple[float, float, float, int]]:
        led = ledger_cls(D("100000"), {"X": 100.0, "Y": 50.0}.get)
        budgets = CapitalBudgets()
        budgets.set_running(fleet_of)
        gate = FleetGate(cfg, names, led, fleet_of, budgets)
        gate.set_running(names)
        rng = np.random.default_rng(1)
        for n in range(120):
            bot, sym = names[int(rng.integers(6))], "XY"[n % 2]
            led.apply_fill("outsider", Fill(f"z{n}", "paper", f"z{n}", f"z{n}", sym, Side.BUY, D(1), D(10), D(0), n, n))
            led.apply_fill(bot, Fill(f"o{n}", "paper", f"v{n}", f"t{n}", sym, Side.BUY, D(2), D(100), D("0.1"), n, n))
            gate.observe()
            led.apply_fill(bot, Fill(f"c{n}", "paper", f"w{n}", f"u{n}", sym, Side.SELL, D(1),
                                     D(100) + D(str(round(float(rng.normal(0, 5)), 2))), D("0.1"), n, n))
            gate.observe()
            if n % 10 == 0:
                gate.sync()
        return {b: (a.n, a.mean, a.m2, a.trades) for b, a in gate.allocator.arms.items()}

    class _Scanning(Ledger):  # the ledger without the change index: the gate scans positions()
        owners_changed = None  # type: ignore[assignment]

    _CountingLedger.scans = 0
    fast = play(_CountingLedger)
    assert _CountingLedger.scans <= 1  # the first observe only (it takes the baseline)
    assert fast == play(_Scanning)
    assert sum(t for *_, t in fast.values()) == 240


# -- mutation-testing follow-ups (issue 25): each pins one rule of the controller -------------------
def test_an_outcome_is_the_realised_pnl_in_percent_of_the_bots_budget() -> None:
    fleet_of = {"a": "fx", "b": "fx"}
    led, gate, budgets = _wired(["a", "b"], fleet_of, FleetConfig(seed=2))
    _trade(led, "a", 1, "30")
    capital = budgets.bot_fraction("a", "fx") * float(led.equity())  # its budget when the trade closed
    assert gate.capital("a", float(led.equity())) == pytest.approx(capital)
    gate.observe()
    arm = gate.allocator.arms["a"]
    assert arm.trades == 1 and arm.mean == pytest.approx(30.0 / capital * 100.0)
    assert gate.allocator.arms["b"].trades == 0  # no change in b's books: no outcome
    gate.observe()  # nothing changed since: no second outcome
    assert arm.trades == 1


def test_without_budgets_a_bots_capital_is_its_weight_of_equity() -> None:
    led = Ledger(D("100000"), {"X": 100.0}.get)
    gate = FleetGate(FleetConfig(seed=4), ["a", "b"], led, {"a": "fx", "b": "fx"})
    w = gate.weights("fx")
    assert gate.capital("a", 1000.0) == pytest.approx(w["a"] * 1000.0)
    _trade(led, "b", 1, "-20")
    gate.observe()
    assert gate.allocator.arms["b"].mean == pytest.approx(-20.0 / (w["b"] * float(led.equity())) * 100.0)


def test_a_bot_with_no_budget_counts_its_outcome_on_the_whole_equity() -> None:
    budgets = CapitalBudgets(bot_pct={"a": 0.0})
    budgets.set_running({"a": "fx", "b": "fx"})
    led = Ledger(D("1000"), {"X": 100.0}.get)
    gate = FleetGate(FleetConfig(), ["a", "b"], led, {"a": "fx", "b": "fx"}, budgets)
    assert gate.capital("a", 1000.0) == 1000.0
    _trade(led, "a", 1, "10")
    gate.observe()
    assert gate.allocator.arms["a"].mean == pytest.approx(10.0 / 1010.0 * 100.0)


def test_an_account_with_no_equity_counts_outcomes_against_one_unit() -> None:
    led = Ledger(D("-30"), {"X": 100.0}.get)  # generated: the trade below brings equity to exactly 0
    budgets = CapitalBudgets(bot_pct={"a": 0.5})
    budgets.set_running({"a": "fx"})
    gate = FleetGate(FleetConfig(), ["a"], led, {"a": "fx"}, budgets)
    _trade(led, "a", 1, "30")
    assert led.equity() == 0
    gate.observe()
    assert gate.allocator.arms["a"].mean == pytest.approx(30.0 / 0.5 * 100.0)


def test_set_running_takes_the_risk_gates_budgets_and_keeps_only_members() -> None:
    from types import SimpleNamespace

    fleet_of = {"a": "fx", "b": "fx", "c": "fx"}
    budgets = CapitalBudgets()
    budgets.set_running({"a": "fx", "b": "fx", "c": "fx"})
    gate = FleetGate(FleetConfig(seed=1), ["a", "b"], Ledger(D("1000"), {}.get), fleet_of)
    gate._extras = {"risk_gate": SimpleNamespace(budgets=budgets)}
    gate.set_running(["b", "a", "c"])  # c runs but is no member
    assert gate.budgets is budgets and gate.members == {"a", "b"}
    assert set(gate.allocator.arms) == {"a", "b"}
    w = gate.weights("fx")
    assert budgets.weight("a", "fx") == pytest.approx(w["a"]) and budgets.weight("c", "fx") == 0.0  # pushed
    own = CapitalBudgets()
    gate2 = FleetGate(FleetConfig(), ["a"], Ledger(D("1000"), {}.get), fleet_of, own)
    gate2._extras = {"risk_gate": SimpleNamespace(budgets=budgets)}
    gate2.set_running(["a"])
    assert gate2.budgets is own  # budgets handed in are kept


def test_build_groups_members_by_risk_fleet_then_family_and_observes_every_fill() -> None:
    from types import SimpleNamespace

    from tradefleet.orchestrator.bus import InProcessBus, Topic
    from tradefleet.orchestrator.services import Services

    class _Registry:  # a fake registry: name -> spec with a family
        def bots(self) -> dict[str, object]:
            return {"fx1": SimpleNamespace(family="forex"), "fx2": SimpleNamespace(family="forex"),
                    "eq1": SimpleNamespace(family="equities"), "odd": SimpleNamespace(family=""),
                    "mm": SimpleNamespace(family="prediction")}

    def services(fleet: FleetConfig | None, fleet_of: dict[str, str]) -> Services:
        cfg = SimpleNamespace(risk=SimpleNamespace(fleet_of=fleet_of))
        if fleet is not None:
            cfg.fleet = fleet
        led = Ledger(D("100000"), {"X": 100.0}.get)
        return Services(cfg, None, "the-store", InProcessBus(), _Registry(), None, led, None,  # type: ignore[arg-type]
                        extras={"k": 1})

    s = services(FleetConfig(families=["forex", "equities", "crypto"]), {"eq1": "fx"})
    gate = FleetGate.build(s)
    assert gate.members == {"fx1", "fx2", "eq1"}  # by family
    assert gate.fleet_of == {"fx1": "forex", "fx2": "forex", "eq1": "fx", "odd": "default", "mm": "prediction"}
    assert set(gate.allocators) == {"forex", "fx"} and gate._store == "the-store" and gate._extras == {"k": 1}
    _trade(s.portfolio, "fx1", 1, "5")  # type: ignore[arg-type]
    s.bus.publish(Topic.FILLS, object())  # a fill on the bus is an observe
    assert gate.allocators["forex"].arms["fx1"].trades == 1
    named = FleetGate.build(services(FleetConfig(members=["mm", "ghost", "eq1"]), {}))
    assert named.members == {"mm", "eq1"}  # named members, if registered, whatever their family
    assert FleetGate.build(services(FleetConfig(enabled=False), {})).members == frozenset()
    default = FleetGate.build(services(None, {}))  # no [fleet] section: the defaults
    assert default.members == {"fx1", "fx2", "eq1", "mm"} and default.config == FleetConfig()


def test_outcomes_reach_the_budgets_only_when_their_fleet_syncs() -> None:
    fleet_of = {"a": "fx", "b": "fx", "c": "eq", "d": "eq"}
    led, gate, budgets = _wired(list(fleet_of), fleet_of, FleetConfig(samples=500, seed=9))
    before = {b: budgets.bot_fraction(b, f) for b, f in fleet_of.items()}
    w = gate.weights("fx")
    assert gate.weights("fx") == w  # one set of posteriors: one allocation
    for n in range(10):
        _trade(led, "a", n, "50")
        gate.observe()
    assert {b: budgets.bot_fraction(b, f) for b, f in fleet_of.items()} == before  # not yet re-sampled
    gate.sync("eq")  # another fleet: fx's budgets stay
    assert budgets.bot_fraction("a", "fx") == before["a"]
    gate.sync()  # every fleet with new outcomes
    assert budgets.bot_fraction("a", "fx") > before["a"]
    assert budgets.bot_fraction("c", "eq") == before["c"]
    assert gate.weights("fx") != w and gate.weights("fx")["a"] == pytest.approx(budgets.weight("a", "fx"))
    for n in range(10, 20):
        _trade(led, "c", n, "50")
        gate.observe()
    gate.sync("eq")
    assert budgets.bot_fraction("c", "eq") > before["c"]


def test_weights_of_an_empty_or_unknown_fleet_are_empty_and_the_default_is_the_first() -> None:
    led = Ledger(D("1000"), {}.get)
    assert FleetGate(FleetConfig(), [], led).weights() == {}
    gate = FleetGate(FleetConfig(), ["b", "a"], led, {"a": "x", "b": "y"})
    assert gate.weights("nope") == {}
    assert gate.weights() == gate.weights("x") and set(gate.weights()) == {"a"}  # fleets in member order
    assert gate.group("zzz") == "fleet"  # a bot without a fleet is in the config's one


def test_a_floor_above_an_equal_share_gives_equal_shares() -> None:
    gate = FleetGate(FleetConfig(floor=0.6, cap=1.0), ["a", "b"], Ledger(D("1000"), {}.get))
    assert gate.allocator.floor == 0.5
    assert gate.weights() == pytest.approx({"a": 0.5, "b": 0.5})


def test_evaluate_explains_the_weight_against_an_equal_share() -> None:
    fleet_of = {"a": "fx", "b": "fx", "c": "fx", "d": "fx"}
    led, gate, budgets = _wired(list(fleet_of), fleet_of, FleetConfig(seed=5))
    for n in range(5):
        _trade(led, "a", n, "40")
        gate.observe()
    d = gate.evaluate(_sig("a"), None)  # type: ignore[arg-type]
    w = gate.weights("fx")
    assert d.data["equal_share"] == 0.25 and d.data["weights"] == w
    assert d.data["trades"] == {"a": 5, "b": 0, "c": 0, "d": 0}
    assert d.data["budget_of_equity"] == pytest.approx(budgets.bot_fraction("a", "fx"))
    assert d.detail == f"weight {w['a']:.3f} ({w['a'] / 0.25:.2f}x an equal share of fleet fx)"
    bare = FleetGate(FleetConfig(), ["a", "b"], led, fleet_of)
    assert "budget_of_equity" not in bare.evaluate(_sig("a"), None).data  # type: ignore[arg-type]


def test_cap_weights_edge_cases() -> None:
    assert cap_weights({}, 0.5) == {}
    assert cap_weights({"a": 0.7, "b": 0.2, "c": 0.1}, 0.1) == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    # the excess pushes b over the cap too: a second pass
    w = cap_weights({"a": 0.6, "b": 0.3, "c": 0.05, "d": 0.05}, 0.35)
    assert w == pytest.approx({"a": 0.35, "b": 0.35, "c": 0.15, "d": 0.15})
    # members with nothing share the excess equally
    assert cap_weights({"a": 1.0, "b": 0.0, "c": 0.0}, 0.5) == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.25})
    assert cap_weights({"a": 0.4, "b": 0.6}, 0.6) == {"a": 0.4, "b": 0.6}  # at the cap: untouched


def test_restore_without_a_store_or_members_is_a_no_op_and_a_restored_book_is_the_baseline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tradefleet.orchestrator.domain import Position
    from tradefleet.orchestrator.store import Store

    book = Ledger(D("1000"), {"X": 100.0, "Y": 10.0}.get)
    book.restore(D("1000"), [Position("a", "X", D(0), D(100), D("7")), Position("a", "Y", D(0), D(10), D("5")),
                             Position("z", "X", D(0), D(100), D("9"))])
    gate = FleetGate(FleetConfig(), ["a", "b"], book)
    gate.restore(book)  # no store: nothing restored, nothing saved
    assert gate._state is None
    store = Store.open(f"sqlite:///{tmp_path}/f.db")
    empty = FleetGate(FleetConfig(), [], book)
    empty._store = store
    empty.restore(book)
    assert empty._state is None
    fresh = FleetGate(FleetConfig(), ["a", "b"], book)
    fresh._store = store
    fresh.restore(book)  # nothing stored yet: a's realised 12 is the baseline
    fresh.observe()
    assert fresh.allocator.arms["a"].trades == 0 and fresh._realized["a"] == D(12) and "z" not in fresh._realized
    _trade(book, "a", 1, "3")
    fresh.observe()
    assert fresh.allocator.arms["a"].trades == 1
    doc = fresh._state.load_risk_state("fleet:fleet")
    assert doc["realized"] == {"a": "15", "b": "0"} and doc["arms"]["a"]["trades"] == 1
    store.close()


def test_the_fleet_gate_registers_as_a_gate_plugin_of_this_api() -> None:
    from tradefleet.orchestrator.registry import PluginStatus, Registry

    rec = Registry().add_entry("gates", "fleet", "tradefleet.bots.fleet.gate:FleetGate", lambda: FleetGate)
    assert rec.status is PluginStatus.OK, rec.error


def test_cap_weights_sum_to_one_even_from_raw_scores() -> None:
    assert cap_weights({"a": 0.3, "b": 0.1}, 1.0) == pytest.approx({"a": 0.75, "b": 0.25})


def test_an_outcome_starts_drawing_its_fleets_next_allocation_in_the_background() -> None:
    fleet_of = {"a": "fx", "b": "fx", "c": "eq", "d": "eq"}
    led, gate, _ = _wired(list(fleet_of), fleet_of, FleetConfig(samples=500, seed=9))
    twin_led, twin, _ = _wired(list(fleet_of), fleet_of, FleetConfig(samples=500, seed=9))
    for n in range(6):
        for lg, g in ((led, gate), (twin_led, twin)):
            _trade(lg, "a", n, "50")
            g.observe()
        assert gate.allocators["fx"]._ahead is not None and gate.allocators["eq"]._ahead is None
        twin.allocators["fx"]._ahead = None  # the twin always draws when asked
        assert gate.weights("fx") == twin.weights("fx")
