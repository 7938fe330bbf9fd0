"""The Prometheus endpoint, parsed with prometheus_client's own parser, against the store."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tradefleet.orchestrator.store import Store

from tradefleet.dashboard.metrics import _quantile
from tests.dashboard.conftest import csrf_of


def _samples(app: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = app.test_client().get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    out = {}
    for fam in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_match_store(open_app: Any, store_url: str) -> None:
    c = open_app.test_client()
    c.post("/api/control", json={"action": "pause", "bot": "goog-rsi2"}, headers={"X-CSRF-Token": csrf_of(c)})
    m = _samples(open_app)
    with Store.open(store_url) as store:
        orders = store.orders()
        by_status = Counter(o.status.value for o in orders)
        fills = store.fills()
        equity = float(store.equity_curve()[-1].equity)
        pnl = float(sum(p.realized_pnl for p in store.positions("spx-rsi2")))
    assert m[("tradefleet_store_up", ())] == 1
    assert m[("tradefleet_fleet_halted", ())] == 0
    assert m[("tradefleet_equity", ())] == pytest.approx(equity)
    assert m[("tradefleet_fills", ())] == len(fills)
    for status, n in by_status.items():
        assert m[("tradefleet_orders", (("status", status),))] == n
    assert m[("tradefleet_bot_paused", (("bot", "goog-rsi2"),))] == 1
    assert m[("tradefleet_bot_paused", (("bot", "spx-rsi2"),))] == 0
    assert m[("tradefleet_bot_realized_pnl", (("bot", "spx-rsi2"),))] == pytest.approx(pnl)
    assert m[("tradefleet_bots", (("status", "paused"),))] == 1
    assert ("tradefleet_order_fill_latency_seconds", (("quantile", "0.5"),)) in m
    assert m[("tradefleet_http_request_seconds_count", (("endpoint", "api_control"),))] == 1
    assert ("tradefleet_errors_total", (("component", "dashboard"),)) not in m  # no 5xx so far


def test_quantile_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    xs = sorted(rng.exponential(2.0, 777).tolist())
    for q in (0.5, 0.95, 0.99):
        assert _quantile(xs, q) == pytest.approx(float(np.quantile(xs, q)))


def test_metrics_survive_a_store_outage(open_app: Any) -> None:
    open_app.extensions["tradefleet"]["store"].engine.dispose()
    view = open_app.extensions["tradefleet"]["view"]

    def boom() -> Any:
        raise RuntimeError("database is gone")

    view.status = boom
    m = _samples(open_app)
    assert m[("tradefleet_store_up", ())] == 0
    assert m[("tradefleet_errors_total", (("component", "metrics"),))] == 1
