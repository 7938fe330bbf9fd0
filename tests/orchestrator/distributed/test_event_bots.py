"""Event bots in the distributed runtime: the leader holds the venue books, the tick feeds
and the single writer, so it evaluates event bots itself (as it does portfolio bots) instead
of leaving them out. Paper against the Kalshi and Polymarket loopback fakes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tradefleet.app.config import AppConfig
from tradefleet.app.distributed.runtime import serve
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus, connect
from tradefleet.orchestrator.store import Store
from tests.bots.prediction.test_live_paper import NOW, _config, venues  # noqa: F401 (fixture)
from tests.orchestrator.distributed.conftest import REDIS_URL

EVENT_BOTS = ["kalshi-longshot-fader", "kalshi-polymarket-arb"]


def test_distributed_paper_runs_event_bots_on_the_leader(prefix: str, pg_url: str, tmp_path: Path, venues) -> None:
    from tradefleet.app.distributed.live import run_distributed_paper

    kalshi, poly = venues
    base = _config(tmp_path, kalshi, poly)
    cfg = AppConfig.model_validate({**base.model_dump(exclude_unset=True), "engine": {"store_url": pg_url},
                                    "scale": {"bus": {"kind": "redis", "url": REDIS_URL, "prefix": prefix}}})
    clock = SimClock(NOW)
    lbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="leader", consumer="l", prefix=prefix, block_ms=20)
    wbus = RedisStreamsBus(connect(REDIS_URL, block_ms=20), group="workers", consumer="w", prefix=prefix, block_ms=20)
    from tradefleet.orchestrator.distributed.work import HistoryData, SignalWorker

    SignalWorker(wbus, {}, HistoryData({}))
    stop = threading.Event()
    worker = threading.Thread(target=serve, args=(wbus, stop), daemon=True)
    worker.start()

    def schedule(enqueue: Any, specs: list[Any]) -> Any:
        for spec in specs:
            enqueue(spec.name, clock.now_ns())
        return type("S", (), {"shutdown": lambda self: None})()

    try:
        runner = run_distributed_paper(cfg, lbus, bots=EVENT_BOTS, clock=clock, install_signals=False,
                                       scheduler=schedule, stop_when_idle=True)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not runner.deposed and runner.fires == 2
    assert not runner.leader.stats.processed  # evaluated on the leader, nothing sent to a worker
    with Store.open(pg_url) as store, store.engine.connect() as conn:
        rows = conn.execute(text("select o.bot, f.instrument, f.side from fills f join orders o "
                                 "on o.client_order_id = f.client_order_id")).fetchall()
    by_bot = {(r[0], r[1], r[2]) for r in rows}
    assert ("kalshi-longshot-fader", "KXHIGHNY-T90", "sell") in by_bot
    assert {("kalshi-polymarket-arb", "KXFED-T425", "buy"), ("kalshi-polymarket-arb", "POLY-FED-CUT-DEC", "sell")} <= by_bot


def test_leader_replays_event_bots_on_their_session(prefix: str, tmp_path: Path) -> None:
    """``tradefleet leader`` (the replay leader) once left every event bot out; it now
    replays them on the bundled SYNTHETIC session, fills at the touch and settles them."""
    import json
    import sqlite3

    from typer.testing import CliRunner

    from tradefleet.app.cli.main import build_app

    cfg = tmp_path / "tf.toml"
    cfg.write_text(f'[scale.bus]\nkind = "redis"\nurl = "{REDIS_URL}"\nprefix = "{prefix}"\n'
                   '[scale.health]\nport = 0\n')
    db = tmp_path / "leader.db"
    args = ["leader", "--config", str(cfg), "--store", f"sqlite:///{db}", "--json"]
    for b in EVENT_BOTS:
        args += ["--bot", b]
    res = CliRunner().invoke(build_app(), args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["orders"] > 0 and out["dispatched"] == 0 and not out["deposed"]  # all on the leader
    con = sqlite3.connect(db)
    rows = con.execute("select o.bot, f.instrument, f.side, f.quantity, o.reduce_only from fills f "
                       "join orders o on o.client_order_id = f.client_order_id").fetchall()
    con.close()
    assert {r[0] for r in rows} == set(EVENT_BOTS)
    held: dict[tuple[str, str], float] = {}
    for bot, inst, side, qty, _ in rows:
        held[(bot, inst)] = held.get((bot, inst), 0.0) + (float(qty) if side == "buy" else -float(qty))
    assert all(abs(v) < 1e-9 for v in held.values()), held  # every contract settled at the end
    assert any(r[4] for r in rows)  # the settlements are reduce-only closes
