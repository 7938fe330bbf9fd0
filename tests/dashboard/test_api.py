"""The REST API under /api/v1, driven with a real HTTP client (httpx) against a served
dashboard (waitress on a loopback port): every endpoint, every scope, the audit trail,
the OpenAPI document, and a force-exit carried out by a running replay's engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store

from tradefleet.dashboard.serve import DashboardServer
from tradefleet.dashboard.store_tables import operator_audit
from tradefleet.dashboard.tokens import TokenStore
from tests.dashboard.conftest import REPLAY_BOTS, T0, make_config


@pytest.fixture
def served(tmp_path: Path, store_url: str, specs: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """A served dashboard and one token per scope set: read, control, trade."""
    with Store.open(store_url) as store:
        ts = TokenStore(store, SimClock(T0))
        tokens = {"read": ts.create("reader", ["read"], "test"), "control": ts.create("ops", ["control"], "test"),
                  "trade": ts.create("desk", ["trade"], "test")}
    srv = DashboardServer(make_config(tmp_path), store_url, SimClock(T0), port=0, specs=specs).start()
    try:
        yield srv.url + "/api/v1", tokens
    finally:
        srv.stop()


def _client(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=60)


def _audit(store_url: str) -> list[Any]:
    with Store.open(store_url) as store, store.engine.connect() as conn:
        return conn.execute(operator_audit.select().where(operator_audit.c.kind == "api")
                            .order_by(operator_audit.c.id)).all()


def test_no_token_or_unknown_token_is_401(served: tuple[str, dict[str, str]], store_url: str) -> None:
    url, _ = served
    for token in (None, "tfk_not-a-real-token", "garbage"):
        r = _client(url, token).get("/status")
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
        assert "Bearer" in r.json()["error"]
    assert [row.actor for row in _audit(store_url)] == ["api:?"] * 3


def test_read_token_is_refused_on_control_and_trade(served: tuple[str, dict[str, str]], store_url: str) -> None:
    url, tokens = served
    c = _client(url, tokens["read"])
    assert c.get("/status").status_code == 200
    for path, body in (("/halt", {"reason": "x"}), ("/bots/spx-rsi2/pause", {}), ("/resume", {}),
                       ("/positions/spx-rsi2/SPX/exit", {}), ("/backtests", {"bot": "spx-rsi2"})):
        r = c.post(path, json=body)
        assert r.status_code == 403 and "scope" in r.json()["error"], path
    with Store.open(store_url) as store:
        assert not store.control("fleet").halted and not store.control("bot:spx-rsi2").paused
    rows = _audit(store_url)
    assert {(r.actor, r.status) for r in rows[1:]} == {("api:reader", 403)}
    assert rows[0].actor == "api:reader" and rows[0].status == 200 and rows[0].path == "/api/v1/status"


def test_control_token_cannot_trade(served: tuple[str, dict[str, str]]) -> None:
    url, tokens = served
    c = _client(url, tokens["control"])
    assert c.post("/backtests", json={"bot": "spx-rsi2"}).status_code == 403
    assert c.post("/positions/spx-rsi2/SPX/exit").status_code == 403


def test_revoked_token_is_refused_at_once(served: tuple[str, dict[str, str]], store_url: str) -> None:
    url, tokens = served
    c = _client(url, tokens["read"])
    assert c.get("/bots").status_code == 200
    with Store.open(store_url) as store:
        TokenStore(store, SimClock(T0)).revoke("reader")
    assert c.get("/bots").status_code == 401


def test_tokens_are_stored_hashed(served: tuple[str, dict[str, str]], store_url: str) -> None:
    _, tokens = served
    raw = Path(store_url.removeprefix("sqlite:///")).read_bytes()
    for t in tokens.values():
        assert t.encode() not in raw


def test_read_endpoints(served: tuple[str, dict[str, str]], store_url: str) -> None:
    url, tokens = served
    c = _client(url, tokens["read"])
    st = c.get("/status").json()
    assert st["status"]["state"] == "active" and st["trading_state"]["state"] == "active"
    bots = c.get("/bots").json()["items"]
    assert {b["name"] for b in bots} >= set(REPLAY_BOTS)
    one = c.get("/bots/spx-rsi2").json()
    assert one["name"] == "spx-rsi2" and one["signals"] > 0
    assert c.get("/bots/no-such-bot").status_code == 404
    with Store.open(store_url) as store:
        n_orders, n_fills = len(store.orders()), len(store.fills())
        n_signals = len(store.signals())
        n_pos = len(store.positions())
    assert len(c.get("/positions").json()["items"]) == n_pos
    page = c.get("/orders", params={"limit": 5}).json()
    assert page["total"] == n_orders and len(page["items"]) == 5 and page["next_offset"] == 5
    page2 = c.get("/orders", params={"limit": 5, "offset": 5}).json()
    assert not {o["client_order_id"] for o in page["items"]} & {o["client_order_id"] for o in page2["items"]}
    assert c.get("/fills", params={"limit": 500}).json()["total"] == n_fills
    sig = c.get("/signals", params={"limit": 10}).json()
    assert sig["total"] == n_signals and sig["items"][0]["decisions"]
    assert c.get("/orders", params={"limit": 0}).status_code == 400
    assert "integer" in c.get("/orders", params={"limit": "ten"}).json()["error"]
    assert "limits" in c.get("/risk").json()
    eq = c.get("/equity", params={"max_points": 50}).json()["items"]
    assert 2 <= len(eq) <= 50 and eq[0]["ts"] < eq[-1]["ts"]
    assert c.get("/validations").json() == {"items": []}


def test_signal_filters_and_paging(served: tuple[str, dict[str, str]], store_url: str) -> None:
    url, tokens = served
    c = _client(url, tokens["read"])
    with Store.open(store_url) as store:
        sigs = store.signals()
    goog = [s for s in sigs if s.bot == "goog-rsi2"]
    r = c.get("/signals", params={"bot": "goog-rsi2", "limit": 3}).json()
    assert r["total"] == len(goog) and {s["bot"] for s in r["items"]} == {"goog-rsi2"}
    seen, offset = [], 0
    while offset is not None:
        page = c.get("/signals", params={"instrument": "SPX", "limit": 7, "offset": offset}).json()
        seen += [s["signal_id"] for s in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == sum(1 for s in sigs if s.instrument == "SPX")
    ordered = c.get("/signals", params={"outcome": "ordered", "limit": 500}).json()
    assert ordered["total"] == sum(1 for s in sigs if s.outcome == "ordered")
    rejected = c.get("/signals", params={"gate": "regime", "limit": 500}).json()
    assert rejected["total"] == sum(1 for s in sigs if s.outcome.startswith("rejected:regime:")) > 0
    assert all(any(d["gate"] == "regime" and d["verdict"] == "reject" for d in s["decisions"]) for s in rejected["items"])
    dated = c.get("/signals", params={"since": "2011-01-01", "until": "2011-02-01", "limit": 500}).json()
    assert all("2011-01" in s["time"] for s in dated["items"])
    assert c.get("/signals", params={"since": "last tuesday"}).status_code == 400


def test_control_endpoints_and_halt_confirmation(served: tuple[str, dict[str, str]], store_url: str) -> None:
    url, tokens = served
    c = _client(url, tokens["control"])
    r = c.post("/bots/spx-rsi2/pause", json={"reason": "maintenance"})
    assert r.status_code == 200 and r.json()["paused"] is True and r.json()["actor"] == "api:ops"
    st = c.get("/status").json()["trading_state"]
    assert any(h["scope"] == "bot:spx-rsi2" and h["reason"] == "maintenance" for h in st["holds"])
    assert c.post("/bots/spx-rsi2/resume").json()["paused"] is False
    assert c.post("/bots/nope/pause").status_code == 400
    assert c.post("/halt", json={"reason": " "}).status_code == 400
    assert c.post("/halt", json={"reason": "venue outage"}).json()["halted"] is True
    assert c.get("/status").json()["trading_state"]["state"] == "halted"
    r = c.post("/resume")
    assert r.status_code == 409 and "confirm" in r.json()["error"]
    with Store.open(store_url) as store:
        assert store.control("fleet").halted
    assert c.post("/resume", json={"confirm": True}).json()["halted"] is False
    with Store.open(store_url) as store:
        events = [(e.scope, e.actor) for e in store.control_events()][-4:]
    assert all(actor == "api:ops" for _, actor in events)


def test_force_exit_needs_an_open_position(served: tuple[str, dict[str, str]]) -> None:
    url, tokens = served
    r = _client(url, tokens["trade"]).post("/positions/spx-rsi2/SPX/exit", json={"reason": "test"})
    assert r.status_code == 400 and "holds no position" in r.json()["error"]


def test_backtest_start_and_report(served: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, tokens = served
    c = _client(url, tokens["trade"])
    assert c.post("/backtests", json={"bot": "nope"}).status_code == 400
    assert c.post("/backtests", json={"bot": "spx-rsi2", "start": "01/02/2010"}).status_code == 400
    r = c.post("/backtests", json={"bot": "spx-rsi2", "start": "2010-01-01", "end": "2011-12-31"})
    assert r.status_code == 202 and r.json()["state"] in ("queued", "running")
    job_id = r.json()["id"]
    # the job runs on the server's worker thread: wait for it by polling its own endpoint
    state = r.json()["state"]
    while state in ("queued", "running"):
        state = c.get(f"/backtests/{job_id}", timeout=120).json()["state"]
    job = c.get(f"/backtests/{job_id}").json()
    assert job["state"] == "done", job["error"]
    assert job["requested_by"] == "api:desk" and "sharpe" in job["metrics"]
    rep = c.get(f"/backtests/{job_id}/report")
    assert rep.status_code == 200 and "plotly" in rep.text.lower()
    assert "nonce-" in rep.headers["Content-Security-Policy"] and "sandbox" in rep.headers["Content-Security-Policy"]
    assert (tmp_path / "reports" / job["report"]).exists()
    assert c.get("/backtests/nope").status_code == 404


def test_openapi_states_each_endpoints_scope(served: tuple[str, dict[str, str]]) -> None:
    url, _ = served
    doc = httpx.get(url + "/openapi.json", timeout=30).json()
    assert doc["openapi"].startswith("3.")
    ops = {(m.upper(), p): op for p, item in doc["paths"].items() for m, op in item.items()}
    assert ops[("GET", "/status")]["x-scope"] == "read"
    assert ops[("POST", "/halt")]["x-scope"] == "control" and ops[("POST", "/resume")]["x-scope"] == "control"
    assert ops[("POST", "/bots/{name}/pause")]["security"] == [{"bearer": ["control"]}]
    assert ops[("POST", "/positions/{bot}/{instrument}/exit")]["x-scope"] == "trade"
    assert ops[("POST", "/backtests")]["x-scope"] == "trade"
    for (method, _path), op in ops.items():
        assert op["x-scope"] == ("read" if method == "GET" else op["x-scope"])
        assert f"(scope: {op['x-scope']})" in op["summary"]
    needed = {"/status", "/bots", "/bots/{name}", "/positions", "/orders", "/fills", "/signals", "/risk", "/equity",
              "/validations", "/halt", "/resume", "/backtests", "/backtests/{job_id}"}
    assert needed <= set(doc["paths"])


def test_force_exit_is_carried_out_by_a_running_replay(tmp_path: Path, specs: Any) -> None:
    """POST .../exit while a replay runs: the replay's engine closes the position with a
    reduce-only order of the whole quantity, stored with the reason ``force_exit``."""
    from decimal import Decimal

    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import Replay

    store_url = f"sqlite:///{tmp_path}/run.db"
    with Store.open(store_url) as store:
        token = TokenStore(store, SimClock(T0)).create("desk", ["trade"], "test")
    srv = DashboardServer(make_config(tmp_path), store_url, SimClock(T0), port=0, specs=specs).start()
    wall = SimClock(T0)
    asked: dict[str, Any] = {}
    try:
        c = _client(srv.url + "/api/v1", token)

        def progress(p: Any) -> None:
            wall.advance(2)  # the replay's wall clock: every progress call is also a control poll
            if asked or not p.open_positions:
                return
            held = c.get("/positions", params={"open": "1"}).json()["items"]
            if not held:
                return
            pos = held[0]
            r = c.post(f"/positions/{pos['bot']}/{pos['instrument']}/exit", json={"reason": "operator test"})
            assert r.status_code == 200 and r.json()["pending"] is True, r.text
            asked.update(bot=pos["bot"], instrument=pos["instrument"], quantity=Decimal(pos["quantity"]))

        # a trend follower holds for months: its position is still open at the next control poll
        Replay(AppConfig(), bots=["spx-sma-trend"], start="2010-01-01", end="2014-12-31", store_url=store_url,
               progress=progress, wall=wall, speed=0).run()
    finally:
        srv.stop()
    assert asked, "no open position appeared at a control poll during the replay"
    with Store.open(store_url) as store:
        done = store.control(f"exit:{asked['bot']}:{asked['instrument']}")
        forced = [s for s in store.signals(asked["bot"])
                  if any(d.reason == "force_exit" for d in store.decisions(s.signal_id))]
        orders = [o for o in store.orders() if o.signal_id in {s.signal_id for s in forced}]
    assert not done.paused and done.reason.startswith("exit sent: ")
    assert len(orders) == 1 and orders[0].reduce_only
    assert orders[0].quantity == abs(asked["quantity"]) and orders[0].filled_quantity == orders[0].quantity
