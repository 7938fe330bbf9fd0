"""Regime history in the kernel store (migration 0005), written by a replay through the gate."""

from __future__ import annotations

from tradefleet.ai.regime.history import RegimeRow
from tradefleet.ai.regime.store_history import StoreRegimeHistory
from tradefleet.orchestrator.store import HEAD_REVISION, Store
from tradefleet.orchestrator.store.migrate import current_revision


def _row(ts: int, regime: str = "bull") -> RegimeRow:
    return RegimeRow("SPX", ts, regime, 0.8, 0.1, 0.1, "SPX-1")


def test_store_history_appends_and_never_rewrites(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path}/t.db")
    # the store is at the head revision, which includes 0005's regime table
    with store._engine.connect() as conn:
        assert current_revision(conn) == HEAD_REVISION
    hist = StoreRegimeHistory(store)
    hist.append([_row(1), _row(2, "bear")])
    hist.append([_row(2, "bull"), _row(3, "sideways")])  # ts 2 is already stored: kept as it was
    again = StoreRegimeHistory(store)  # a new process sees what is stored
    again.append([_row(3, "bear"), _row(4)])
    rows = again.read("SPX")
    assert [(r.ts_event, r.regime) for r in rows] == [(1, "bull"), (2, "bear"), (3, "sideways"), (4, "bull")]
    assert rows[0].probs == {"bull": 0.8, "bear": 0.1, "sideways": 0.1}
    assert again.read("BTC/USD") == []
    store.close()


def test_a_batch_writes_its_regime_rows_in_one_insert_at_commit_and_reads_them_before(tmp_path):
    import pytest

    store = Store.open(f"sqlite:///{tmp_path}/t.db")
    inserts: list[int] = []
    insert_many = store._insert_many  # the raw DBAPI executemany (no SQLAlchemy cursor events)

    def count(conn, table, rows):  # type: ignore[no-untyped-def]
        if table.name == "regime_history":
            inserts.append(len(rows))
        insert_many(conn, table, rows)

    store._insert_many = count  # type: ignore[method-assign]

    hist = StoreRegimeHistory(store)
    with store.batch():
        for ts in range(1, 6):  # one bar at a time, as the gate appends them
            hist.append([_row(ts), RegimeRow("BTC/USD", ts, "bear", 0.1, 0.8, 0.1, "BTC-1")])
        assert [r.ts_event for r in hist.read("SPX")] == [1, 2, 3, 4, 5]  # pending rows are read
        assert inserts == []
        store.commit()
        assert inserts == [10]  # one executemany for the whole commit
        hist.append([_row(6)])
    assert inserts == [10, 1]
    assert [r.ts_event for r in StoreRegimeHistory(store).read("SPX")] == [1, 2, 3, 4, 5, 6]

    with pytest.raises(RuntimeError), store.batch():  # a rollback drops the pending rows
        hist.append([_row(7)])
        raise RuntimeError("boom")
    assert [r.ts_event for r in StoreRegimeHistory(store).read("SPX")][-1] == 6
    store.close()


def test_replay_with_ai_gates_stores_regimes_and_votes(tmp_path):
    import sqlite3

    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay

    cfg = AppConfig.model_validate({
        "pipeline": {"stages": ["regime", "ensemble", "veto", "risk"]},
        "regime": {"model_dir": str(tmp_path / "models"), "history_dir": str(tmp_path / "hist")},
    })
    url = f"sqlite:///{tmp_path}/run.db"
    summary = run_replay(cfg, bots=["eurusd-macd"], start="2017-06-01", end="2017-07-31", store_url=url)
    assert summary.stages[:3] == ["regime", "ensemble", "veto"] and summary.signals > 0
    db = sqlite3.connect(f"{tmp_path}/run.db")
    gates = {g for (g,) in db.execute("select distinct gate from gate_decisions")}
    assert {"regime", "ensemble"} <= gates
    n_regimes = db.execute("select count(*) from regime_history where market = 'EUR/USD'").fetchone()[0]
    assert n_regimes > 100
    votes = db.execute("select data from gate_decisions where gate = 'ensemble' and data like '%votes%' limit 1").fetchone()
    assert votes is not None and '"technical"' in votes[0]


def test_a_row_as_dict_is_what_asdict_gives() -> None:
    """The history files and table are written from ``as_dict``: every field, same values."""
    from dataclasses import asdict

    r = _row(123, "bear")
    assert r.as_dict() == asdict(r) and list(r.as_dict()) == list(asdict(r))
