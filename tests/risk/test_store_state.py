"""The daily-loss halt and risk state survive a restart of the real store (SQLite)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Direction
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.store import Store
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.engine import PortfolioRiskGate, _state_store
from tradefleet.risk.store_state import StoreRiskState
from tests.risk.fakes import T0, FakeMarket, FakePortfolio, signal, spec


def test_store_risk_state_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    with Store.open(url) as store:
        kv = StoreRiskState.of(store)
        assert kv.load_risk_state("k") is None
        kv.save_risk_state("k", {"a": 1, "b": [1.5, "x"]}, 1)
        kv.save_risk_state("k", {"a": 2}, 2)
    with Store.open(url) as store:
        assert StoreRiskState.of(store).load_risk_state("k") == {"a": 2}


def test_daily_loss_halt_survives_store_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    cfg = PortfolioRiskConfig.model_validate({"var": {"enabled": False}, "hrp": {"enabled": False}})
    clock = SimClock(T0)
    market = FakeMarket({"X": [100.0] * 30}, T0)
    pf = FakePortfolio(100_000.0, market)

    def run(store: Store) -> tuple[str, Decimal]:
        gate = PortfolioRiskGate(cfg, clock, control=store, state=_state_store(store), timezone="UTC")
        ctx = GateContext(clock.now_ns(), spec(), market, pf)
        dec, qty = gate.approve(signal("a", "X", Direction.LONG, 100.0, ts=clock.now_ns()), ctx, 1.0)
        return dec.reason, qty

    with Store.open(url) as store:
        assert run(store)[0] == "sized"
        pf._cash -= Decimal(5_000)  # exactly 5% down on the day
        clock.advance(60)
        assert run(store)[0] == "daily_loss_halt"
        assert store.control("fleet").halted
    clock.advance(60)
    pf._cash += Decimal(4_000)  # recovered most of it: still halted for the day
    with Store.open(url) as store:
        assert run(store) == ("daily_loss_halt", Decimal(0))
        clock.advance(86_400)  # next day (UTC): reset
        assert run(store)[0] == "sized"
        assert not store.control("fleet").halted


def test_store_risk_state_joins_the_store_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    with Store.open(url) as store:
        kv = StoreRiskState.of(store)
        with store.batch():
            store.set_control("fleet", halted=True, reason="x", actor="risk", ts_ns=1)
            kv.save_risk_state("daily_loss", {"halted": True}, 1)  # no 'database is locked'
            assert kv.load_risk_state("daily_loss") == {"halted": True}
        assert kv.load_risk_state("daily_loss") == {"halted": True}


def _risk_state_writes(store: Store) -> list[str]:
    """Record every statement that writes the risk_state table."""
    from sqlalchemy import event

    seen: list[str] = []

    def spy(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "risk_state" in statement and not statement.lstrip().lower().startswith("select"):
            seen.append(f"{'many' if executemany else 'one'}:{len(params) if executemany else 1}")

    event.listen(store.engine, "before_cursor_execute", spy)
    return seen


def test_risk_state_is_written_once_per_key_per_commit_inside_a_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    with Store.open(url) as store:
        writes = _risk_state_writes(store)
        kv = StoreRiskState.of(store, "acct/")
        with store.batch():
            for i in range(50):  # a replay rewrites its counts on every approval
                kv.save_risk_state("trade_counts", {"n": i}, i)
                kv.save_risk_state("outcomes", {"m": -i}, i)
            assert kv.load_risk_state("trade_counts") == {"n": 49}  # pending documents are read first
            with Store.open(url) as other:  # another process sees only committed rows
                assert StoreRiskState.of(other, "acct/").load_risk_state("trade_counts") is None
            assert writes == []
            store.commit()
            assert writes == ["many:2"]  # one upsert per key, in one statement
            kv.save_risk_state("trade_counts", {"n": 50}, 50)
        assert len(writes) == 2 and writes[1] in ("many:1", "one:1")  # the end of the batch flushes the rest
    with Store.open(url) as store:
        kv = StoreRiskState.of(store, "acct/")
        assert kv.load_risk_state("trade_counts") == {"n": 50} and kv.load_risk_state("outcomes") == {"m": -49}
        with store.batch():
            kv.save_risk_state("outcomes", {"m": 1}, 1)
            # an error rolls the batch back: its pending documents go with it
            try:
                with store.batch():
                    raise RuntimeError("boom")
            except RuntimeError:
                pass
        assert kv.load_risk_state("outcomes") == {"m": 1}  # nested batch joined the outer: still pending, then flushed


def test_a_rolled_back_batch_drops_its_pending_risk_state(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    with Store.open(url) as store:
        kv = StoreRiskState.of(store)
        kv.save_risk_state("k", {"v": 0}, 0)  # outside a batch: written at once
        try:
            with store.batch():
                kv.save_risk_state("k", {"v": 1}, 1)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert kv.load_risk_state("k") == {"v": 0}
        with store.batch():
            assert kv.load_risk_state("k") == {"v": 0}


def test_the_risk_report_is_built_only_when_committed_or_asked_for(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import tradefleet.risk.report as report_mod

    built: list[int] = []
    real = report_mod.build_report

    def counting(gate):  # type: ignore[no-untyped-def]
        built.append(gate.clock.now_ns())
        return real(gate)

    monkeypatch.setattr(report_mod, "build_report", counting)
    cfg = PortfolioRiskConfig.model_validate({"var": {"enabled": False}, "hrp": {"enabled": False}})
    clock = SimClock(T0)
    market = FakeMarket({"X": [100.0] * 30}, T0)
    pf = FakePortfolio(100_000.0, market)
    with Store.open(f"sqlite:///{tmp_path / 'tf.db'}") as store:
        gate = PortfolioRiskGate(cfg, clock, control=store, state=_state_store(store), timezone="UTC")
        gate.report_every_ns = 86_400 * 10**9
        with store.batch():
            for _ in range(30):  # thirty simulated days, one report due each
                clock.advance(86_400)
                gate.observe(GateContext(clock.now_ns(), None, market, pf))  # type: ignore[arg-type]
            assert built == []
            store.commit()
            assert built == [clock.now_ns()]  # the one that is committed, as of the commit
            clock.advance(86_400)
            gate.observe(GateContext(clock.now_ns(), None, market, pf))  # type: ignore[arg-type]
            report = StoreRiskState.of(store).load_risk_state("risk_report")  # asked for: built now
            assert report is not None and report["ts_ns"] == clock.now_ns() and len(built) == 2
        assert len(built) == 2  # already built: the commit writes it as it is
        assert StoreRiskState.of(store).load_risk_state("risk_report")["ts_ns"] == clock.now_ns()  # type: ignore[index]
