"""Pages and JSON API against a store filled by a real replay; numbers checked against
the store's own reads (and pandas for the daily P&L)."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.store import Store

from tradefleet.dashboard.views import daily_pnl, downsample
from tests.dashboard.conftest import REPLAY_BOTS, csrf_of


@pytest.mark.parametrize("path", ["/", "/bots", "/records", "/signals", "/markets", "/regimes", "/reports"])
def test_pages_render(open_app: Any, path: str) -> None:
    r = open_app.test_client().get(path)
    assert r.status_code == 200 and b"tradefleet" in r.data
    # every script and stylesheet from this server: no CDN or other host (an absolute or
    # protocol-relative URL); the page's random CSRF token may contain any letters
    assert b"vendor/chart.umd.min.js" in r.data
    assert not re.findall(rb'(?:src|href)\s*=\s*["\']?(?:[a-z]+:)?//', r.data, re.IGNORECASE)


def test_chartjs_is_served_locally(open_app: Any) -> None:
    r = open_app.test_client().get("/static/vendor/chart.umd.min.js")
    assert r.status_code == 200 and b"Chart.js v4" in r.data[:200]


def test_overview_matches_store(open_app: Any, store_url: str) -> None:
    data = open_app.test_client().get("/api/overview").get_json()
    with Store.open(store_url) as store:
        curve = store.equity_curve()
        fills = store.fills()
        positions = store.positions()
    assert data["equity"]["last"] == pytest.approx(float(curve[-1].equity))
    assert data["equity"]["first"] == pytest.approx(float(curve[0].equity))
    assert data["fills"] == len(fills)
    assert data["realized_pnl"] == pytest.approx(float(sum((p.realized_pnl for p in positions), Decimal(0))))
    gross = sum(abs(p.quantity * p.avg_price) for p in positions if p.quantity)
    assert data["exposure"]["gross"] == pytest.approx(float(gross))
    assert data["status"]["state"] == "active"
    assert {b["account"] for b in data["brokers"]} == {"paper"}
    assert any(b["name"] == "fleet halt" and not b["tripped"] for b in data["breakers"])


def test_daily_pnl_matches_pandas(store_url: str) -> None:
    from zoneinfo import ZoneInfo

    with Store.open(store_url) as store:
        pts = [(p.ts_ns, float(p.equity)) for p in store.equity_curve()]
    tz = ZoneInfo("America/New_York")
    ours = daily_pnl(pts, tz, days=10_000)
    s = pd.Series([v for _, v in pts], index=pd.to_datetime([t for t, _ in pts], utc=True).tz_convert(tz))
    eod = s.groupby(s.index.date).last()
    ref = eod.diff()
    ref.iloc[0] = eod.iloc[0] - s.iloc[0]
    assert [d["day"] for d in ours] == [d.isoformat() for d in eod.index]
    assert [d["pnl"] for d in ours] == pytest.approx(list(ref.round(2)), abs=0.011)


def test_downsample_keeps_last_point_and_bound() -> None:
    pts = [(i, float(i)) for i in range(10_001)]
    out = downsample(pts, 600)
    assert len(out) == 600 and out[-1] == pts[-1] and out == sorted(out)
    assert downsample(pts[:5], 600) == pts[:5]


def test_bots_api_counts_match_store(open_app: Any, store_url: str) -> None:
    rows = {b["name"]: b for b in open_app.test_client().get("/api/bots").get_json()}
    assert set(REPLAY_BOTS) <= set(rows) and len(rows) >= 50
    with Store.open(store_url) as store:
        orders = {o.client_order_id: o.bot for o in store.orders()}
        fills_by_bot = Counter(orders[f.client_order_id] for f in store.fills())
        pnl = {b: sum((p.realized_pnl for p in store.positions(b)), Decimal(0)) for b in REPLAY_BOTS}
        signals = Counter(s.bot for s in store.signals())
    for bot in REPLAY_BOTS:
        r = rows[bot]
        assert r["fills"] == fills_by_bot[bot] and r["signals"] == signals[bot]
        assert r["realized_pnl"] == pytest.approx(float(pnl[bot]))
        assert r["status"] == "active" and r["schedule"] and r["next_run"]
    assert rows["spx-rsi2"]["family"] and rows["spx-rsi2"]["instruments"] == ["SPX"]


def test_next_run_is_the_schedule_after_now(open_app: Any, specs: dict[str, Any], clock: Any) -> None:
    from tradefleet.orchestrator.scheduler import build_trigger, next_fire_ns
    from tradefleet.dashboard.views import iso

    row = next(b for b in open_app.test_client().get("/api/bots").get_json() if b["name"] == "spx-rsi2")
    expect = next_fire_ns(build_trigger(specs["spx-rsi2"].schedule), None, clock.now_ns())
    assert row["next_run"] == iso(expect) and expect > clock.now_ns()


def test_pause_and_resume_buttons_write_the_store(open_app: Any, store_url: str) -> None:
    c = open_app.test_client()
    page = c.get("/bots").data.decode()
    assert 'data-bot="spx-rsi2"' in page and 'data-action="pause"' in page
    r = c.post("/control", data={"action": "pause", "bot": "spx-rsi2", "csrf_token": csrf_of(c), "next": "/bots"})
    assert r.status_code == 302
    row = next(b for b in c.get("/api/bots").get_json() if b["name"] == "spx-rsi2")
    assert row["status"] == "paused" and row["paused"]
    with Store.open(store_url) as store:
        assert store.control("bot:spx-rsi2").paused
        assert store.control_events()[-1].actor == "dashboard:local"
    c.post("/control", data={"action": "resume", "bot": "spx-rsi2", "csrf_token": csrf_of(c)})
    with Store.open(store_url) as store:
        assert not store.control("bot:spx-rsi2").paused
    # one fleet (a running engine lifts its daily-loss hold at its next control poll)
    c.post("/control", data={"action": "resume", "bot": "fleet:equities", "csrf_token": csrf_of(c)})
    with Store.open(store_url) as store:
        row = store.control("fleet:equities")
        assert row.actor == "dashboard:local" and not row.halted and not row.paused


def test_fleet_halt_and_resume(open_app: Any, store_url: str) -> None:
    c = open_app.test_client()
    token = csrf_of(c)
    empty = c.post("/api/control", json={"action": "halt", "reason": " "}, headers={"X-CSRF-Token": token})
    assert empty.status_code == 400 and "reason" in empty.get_json()["error"]
    unconfirmed = c.post("/api/control", json={"action": "halt", "reason": "broker outage"},
                         headers={"X-CSRF-Token": token})
    assert unconfirmed.status_code == 409 and unconfirmed.get_json()["confirm"] is True
    with Store.open(store_url) as store:
        assert not store.control("fleet").halted
    assert c.post("/api/control", json={"action": "halt", "reason": "broker outage", "confirm": True},
                  headers={"X-CSRF-Token": token}).get_json()["halted"] is True
    ov = c.get("/api/overview").get_json()
    assert ov["status"]["state"] == "halted"
    assert any(b["name"] == "fleet halt" and b["tripped"] for b in ov["breakers"])
    assert {b["status"] for b in c.get("/api/bots").get_json() if b["name"] in REPLAY_BOTS} == {"halted"}
    assert c.post("/api/control", json={"action": "resume"}, headers={"X-CSRF-Token": token}).status_code == 409
    with Store.open(store_url) as store:
        assert store.control("fleet").halted  # one click does not clear a halt
    c.post("/api/control", json={"action": "resume", "confirm": True}, headers={"X-CSRF-Token": token})
    with Store.open(store_url) as store:
        f = store.control("fleet")
        assert not f.halted and not f.paused


def test_unknown_bot_is_refused(open_app: Any) -> None:
    c = open_app.test_client()
    r = c.post("/api/control", json={"action": "pause", "bot": "no-such-bot"}, headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 400 and "unknown bot" in r.get_json()["error"]


def test_control_publishes_on_bus(tmp_path: Path, store_url: str, clock: Any, specs: Any) -> None:
    from tradefleet.dashboard.app import create_app
    from tradefleet.orchestrator.bus import InProcessBus, Topic
    from tests.dashboard.conftest import make_config

    bus, seen = InProcessBus(), []
    bus.subscribe(Topic.CONTROL, lambda _t, e: seen.append(e))
    app = create_app(make_config(tmp_path), store_url, clock, specs=specs, bus=bus)
    c = app.test_client()
    c.post("/api/control", json={"action": "pause"}, headers={"X-CSRF-Token": csrf_of(c),
                                                               "Origin": "http://localhost"})
    assert [(e.scope, e.paused) for e in seen] == [("fleet", True)]
    app.extensions["tradefleet"]["store"].close()


def test_records_newest_first_and_limited(open_app: Any, store_url: str) -> None:
    data = open_app.test_client().get("/api/records").get_json()
    with Store.open(store_url) as store:
        fills = store.fills()
        orders = store.orders()
    assert data["limit"] == 200 and len(data["fills"]) == min(len(fills), 200)
    assert data["fills"][0]["trade_id"] == fills[-1].trade_id
    assert Decimal(data["fills"][0]["price"]) == fills[-1].price  # exact decimals as strings
    assert {o["client_order_id"] for o in data["orders"]} == {o.client_order_id for o in orders}
    one = open_app.test_client().get("/api/records?bot=goog-rsi2").get_json()
    assert one["fills"] and {f["bot"] for f in one["fills"]} == {"goog-rsi2"}


def test_signals_carry_each_gate_decision(open_app: Any, store_url: str) -> None:
    sigs = open_app.test_client().get("/api/signals?limit=20").get_json()
    assert len(sigs) == 20
    with Store.open(store_url) as store:
        for s in sigs:
            stored = store.decisions(s["signal_id"])
            assert [(d["gate"], d["verdict"], d["reason"]) for d in s["decisions"]] == \
                [(d.gate, d.verdict.value, d.reason) for d in stored]
    assert sigs == sorted(sigs, key=lambda s: s["ts_event"], reverse=True)


def test_ensemble_votes_shown(open_app: Any, store_url: str) -> None:
    from tradefleet.orchestrator.domain import Decision, Direction, Signal

    sig = Signal("spx-rsi2", "SPX", Direction.LONG, 0.7, 1300.0, 2 * 10**18, 2 * 10**18)
    votes = {"technical": 0.8, "macro": -0.2}
    with Store.open(store_url) as store:
        store.record_signal(sig, [Decision.passed("ensemble", "agree", data={"votes": votes}),
                                  Decision.rejected("risk", "cooldown")], "rejected:risk:cooldown")
    c = open_app.test_client()
    top = c.get("/api/signals?limit=1").get_json()[0]
    assert top["votes"] == votes and top["decisions"][1]["verdict"] == "reject"
    page = c.get("/signals?bot=spx-rsi2").data.decode()
    assert "<td>technical</td><td class=\"num\">0.8</td>" in page and "<td>risk</td><td>reject</td><td>cooldown</td>" in page


def test_signals_page_votes_are_tables_with_rounded_numbers(open_app: Any, store_url: str) -> None:
    from tradefleet.orchestrator.domain import Decision, Direction, Signal

    sig = Signal("spx-rsi2", "SPX", Direction.LONG, 0.7, 1300.123456789, 3 * 10**18, 3 * 10**18)
    votes = [{"source": "technical", "score": 0.151208123456, "confidence": 1.0},
             {"source": "news", "abstain": "unavailable: headlines are not recorded"}]
    with Store.open(store_url) as store:
        store.record_signal(sig, [Decision.passed("ensemble", "agree", data={
            "votes": votes, "weights": {"technical": 0.2857142857}, "score": 0.519803123}),
            Decision.resized("risk", 0.5, "scaled", data={"max_position": 0.123456789, "used": 0.0987654321})],
            "ordered")
    page = open_app.test_client().get("/signals?bot=spx-rsi2").data.decode()
    assert "0.151208123456" not in page and "0.151" in page and "0.286" in page and "0.52" in page
    assert "abstained: unavailable: headlines are not recorded" in page
    assert "max_position=0.1235" in page and "used=0.09877" in page
    assert "[{" not in page  # no raw JSON


def test_signals_page_filters_and_pages(open_app: Any, store_url: str) -> None:
    c = open_app.test_client()
    with Store.open(store_url) as store:
        sigs = store.signals()
    spx = [s for s in sigs if s.instrument == "SPX"]
    page = c.get("/signals?instrument=SPX").data.decode()
    assert f"({len(spx):,} matching" in page and page.count('class="signal-row"') == min(50, len(spx))
    assert 'data-bot="goog-rsi2"' not in page
    p2 = c.get("/signals?instrument=SPX&page=2").data.decode()
    assert p2.count('class="signal-row"') == min(50, max(0, len(spx) - 50))
    rej = c.get("/signals?outcome=rejected").data.decode()
    assert f"({sum(1 for s in sigs if s.outcome.startswith('rejected')):,} matching" in rej
    dated = c.get("/signals?since=2011-01-01&until=2011-01-31").data.decode()
    n = sum(1 for s in sigs if "2011-01-01" <= __import__("tradefleet.orchestrator.clock", fromlist=["ns_to_dt"]).ns_to_dt(s.ts_event).date().isoformat() <= "2011-01-31")
    assert f"({n:,} matching" in dated
    assert c.get("/signals?since=yesterday").status_code == 400


def test_regimes_come_from_the_store_and_reports(open_app: Any, tmp_path: Path, store_url: str) -> None:
    """The replay stored its regime rows in the store: the regime page shows them all (the old
    page read only JSONL files and said "no regime history yet" over thousands of rows)."""
    import sqlite3

    con = sqlite3.connect(store_url.removeprefix("sqlite:///"))
    n, newest = con.execute("select count(*), max(ts_event) from regime_history where market = 'SPX'").fetchone()
    latest = con.execute("select regime from regime_history where market = 'SPX' and ts_event = ?", (newest,)).fetchone()[0]
    con.close()
    assert n > 100
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "spx-rsi2.html").write_text("<html>report</html>")
    (reports / "spx-rsi2.json").write_text(json.dumps({"metrics": {"sharpe": 1.25}}))
    c = open_app.test_client()
    spx = next(r for r in c.get("/api/regimes").get_json()["markets"] if r["market"] == "SPX")
    assert spx["rows"] == n and spx["latest"]["regime"] == latest
    assert sum(run["bars"] for run in spx["runs"]) <= n and spx["series"][-1][0] == newest // 1_000_000
    m = c.get("/api/markets").get_json()
    assert next(r for r in m["regimes"] if r["market"] == "SPX")["latest"]["regime"] == latest
    rows = {b["name"]: b for b in c.get("/api/bots").get_json()}
    assert rows["spx-rsi2"]["regime"] == latest and rows["spx-rsi2"]["market"] == "SPX"
    assert c.get("/api/reports").get_json()[0]["metrics"] == {"sharpe": 1.25}
    assert c.get("/reports/spx-rsi2.html").data == b"<html>report</html>"
    assert c.get("/reports/../conftest.py").status_code == 404
    page = c.get("/regimes").data.decode()
    assert "no regime history yet" not in page and f"{n:,} stored rows" in page


def test_validation_go_no_go(open_app: Any, store_url: str) -> None:
    from tradefleet.backtest.records import Check, SqlValidationStore, ValidationRecord

    with Store.open(store_url) as store:
        vs = SqlValidationStore(store.engine)
        vs.save(ValidationRecord("spx-rsi2", 1, True, "sp500", [Check("sharpe", 1.2, ">= 0.5", True)]))
        vs.save(ValidationRecord("goog-rsi2", 1, False, "goog", [Check("max_dd", 0.5, "<= 0.3", False)]))
    rows = {b["name"]: b for b in open_app.test_client().get("/api/bots").get_json()}
    assert rows["spx-rsi2"]["validation"]["go"] is True
    assert rows["goog-rsi2"]["validation"] == {**rows["goog-rsi2"]["validation"], "go": False,
                                               "failed_checks": ["max_dd"]}
    assert rows["spx-sma-trend"]["validation"] is None


def test_sse_stream_sends_state(open_app: Any, store_url: str) -> None:
    r = open_app.test_client().get("/api/stream?once=1")
    assert r.mimetype == "text/event-stream"
    body = r.get_data(as_text=True)
    event = next(b for b in body.split("\n\n") if b.startswith("event: state"))
    data = json.loads(event.split("data: ", 1)[1])
    with Store.open(store_url) as store:
        assert data["equity"][1] == pytest.approx(float(store.equity_curve()[-1].equity))
        assert data["fills"] == len(store.fills())
    assert data["state"] == "active"


def test_health_and_readiness(open_app: Any) -> None:
    c = open_app.test_client()
    assert c.get("/healthz").get_json() == {"ok": True}
    assert c.get("/readyz").get_json() == {"ready": True}


def test_readiness_fails_when_watchdog_tripped(tmp_path: Path, store_url: str, clock: Any, specs: Any) -> None:
    from tradefleet.dashboard.app import create_app
    from tradefleet.dashboard.watchdog import Watchdog
    from tests.dashboard.conftest import make_config

    with Store.open(store_url) as store:
        dog = Watchdog(store, clock, heartbeat_timeout_seconds=5)
        dog.beat()
        app = create_app(make_config(tmp_path), store_url, clock, specs=specs, watchdog=dog)
        clock.advance(6)
        assert dog.check() == 3
        r = app.test_client().get("/readyz")
        assert r.status_code == 503 and "no heartbeat from engine" in r.get_json()["problems"][0]
        app.extensions["tradefleet"]["store"].close()


def test_broken_plugin_listed(tmp_path: Path, store_url: str, clock: Any, specs: Any) -> None:
    from tradefleet.dashboard.app import create_app
    from tests.dashboard.conftest import make_config

    app = create_app(make_config(tmp_path), store_url, clock, specs=specs, broken={"bad-bot": "ImportError: x"})
    row = next(b for b in app.test_client().get("/api/bots").get_json() if b["name"] == "bad-bot")
    assert row["status"] == "broken" and row["error"] == "ImportError: x"
    app.extensions["tradefleet"]["store"].close()


def test_dashboard_numbers_match_the_cli_run_summary(open_app: Any, store_url: str) -> None:
    """Issue #18: the dashboard's return and per-bot signal counts differed from the CLI's:
    both now come from the last run's own summary (what `tradefleet run` printed)."""
    with Store.open(store_url) as store:
        summary = store.last_run().summary
    c = open_app.test_client()
    ov = c.get("/api/overview").get_json()
    assert ov["equity"]["return_pct"] == summary["total_return_pct"]
    assert ov["equity"]["last"] == summary["equity"]
    rows = {b["name"]: b for b in c.get("/api/bots").get_json()}
    for b in summary["bots"]:
        assert rows[b["name"]]["run_signals"] == b["signals"] and rows[b["name"]]["run_fills"] == b["fills"]
    page = c.get("/").data.decode()
    assert f"return {summary['total_return_pct']:+.2f}%" in page
