"""Execution algorithms: schedules against their closed forms, children against the parent.

Volumes and prices here are hand-written (crafted) bars, named so.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from tradefleet.orchestrator.domain import Fill, Order, OrderType, Side
from tradefleet.orchestrator.execution.algos import builtin_algos, load_algos
from tradefleet.orchestrator.execution.algos.almgren_chriss import ImpactParams, ac_holdings, cost_moments
from tradefleet.orchestrator.execution.algos.base import ExecSpec, MarketView
from tradefleet.orchestrator.execution.algos.vwap import volume_profile
from tradefleet.orchestrator.execution.layer import ExecutionLayer

NS = 1_000_000_000
T0 = 1_700_000_000 * NS


def view(t_s: float, volume: float = 10_000.0, bid: float = 99.9, ask: float = 100.1, vol: float = 0.0) -> MarketView:
    return MarketView(T0 + int(t_s * NS), (bid + ask) / 2, volume, bid, ask, vol)


def parent(qty: str = "1000", side: Side = Side.BUY) -> Order:
    return Order("p1", "bot", "AAPL", side, Decimal(qty), T0, OrderType.MARKET, signal_id="s1", account="paper")


def fill(cid: str, side: Side, qty: int, price: str, fee: str = "0") -> Fill:
    return Fill(cid, "paper", f"v-{cid}", f"t-{cid}-{qty}", "AAPL", side, Decimal(qty), Decimal(price), Decimal(fee), T0, T0)


def run(layer: ExecutionLayer, order: Order, spec: ExecSpec, bars: list[MarketView], **kw: object) -> list[Order]:
    sent = layer.accept(order, spec, bars[0], **kw)  # type: ignore[arg-type]
    for b in bars[1:]:
        sent += layer.on_bar(order.instrument, b)
    return sent


def test_almgren_chriss_holdings_equal_the_numerical_optimum() -> None:
    # the reference: minimise E + lambda * V over the holdings x_1..x_{N-1} directly
    # (a quadratic in x: its first-order conditions are a tridiagonal linear system)
    X, N, tau, sigma, lam = 1e5, 10, 60.0, 0.02, 2e-6
    p = ImpactParams(eta=2.5e-4, gamma=2.5e-7, epsilon=0.0)
    eta_t = p.eta - p.gamma * tau / 2
    a = 2 * eta_t / tau
    m = N - 1
    A = np.zeros((m, m))
    b = np.zeros(m)
    for i in range(m):
        A[i, i] = 2 * a + 2 * lam * sigma**2 * tau
        if i > 0:
            A[i, i - 1] = -a
        if i < m - 1:
            A[i, i + 1] = -a
    b[0] = a * X
    ref = np.concatenate([[X], np.linalg.solve(A, b), [0.0]])
    ours = ac_holdings(X, N, tau, sigma, p, lam)
    assert np.allclose(ours, ref, rtol=1e-9, atol=1e-6)
    # and it beats TWAP on the mean-variance objective it optimises
    twap = X * (1 - np.arange(N + 1) / N)
    e1, v1 = cost_moments(ours, tau, sigma, p)
    e2, v2 = cost_moments(twap, tau, sigma, p)
    assert e1 + lam * v1 < e2 + lam * v2
    assert ours[1] < twap[1]  # risk aversion front-loads the trading


def test_almgren_chriss_without_risk_aversion_is_twap() -> None:
    x = ac_holdings(1.0, 8, 30.0, 0.05, ImpactParams(eta=1e-3), 0.0)
    assert np.allclose(x, 1 - np.arange(9) / 8)


def test_twap_children_sum_to_parent_in_equal_slices() -> None:
    layer = ExecutionLayer(load_algos())
    spec = ExecSpec("twap", horizon_s=600, interval_s=60)
    bars = [view(60 * i) for i in range(12)]
    kids = run(layer, parent(), spec, bars)
    assert [k.quantity for k in kids] == [Decimal(100)] * 10
    assert [k.client_order_id for k in kids] == [f"p1.{i}" for i in range(1, 11)]
    assert all(k.side is Side.BUY and k.signal_id == "s1" for k in kids)


def test_vwap_follows_the_volume_profile() -> None:
    # crafted history: each day's first hour trades 3x the second hour
    day = 86_400 * NS
    ts = [T0 - d * day + h * 3600 * NS for d in range(1, 6) for h in (0, 1)]
    vol = [300.0, 100.0] * 5
    profile = volume_profile(ts, vol, T0, 3600, 2)
    assert profile == [300.0, 100.0]
    layer = ExecutionLayer(load_algos())
    kids = run(layer, parent("400"), ExecSpec("vwap", horizon_s=7200, interval_s=3600),
               [view(0), view(3600), view(7200)], profile=profile)
    assert [k.quantity for k in kids] == [Decimal(300), Decimal(100)]


def test_pov_children_sum_to_parent_and_respect_the_participation_cap() -> None:
    layer = ExecutionLayer(load_algos())
    spec = ExecSpec("pov", horizon_s=36_000, interval_s=60, participation=0.1)
    vols = [0, 2000, 500, 8000, 1000, 50_000, 3000]  # crafted bar volumes
    bars = [view(60 * i, volume=v) for i, v in enumerate(vols)]
    kids = run(layer, parent("1000"), spec, bars)
    for k, b in zip(kids, bars[1:], strict=False):
        assert k.quantity <= Decimal(repr(0.1 * b.volume))
    assert sum(k.quantity for k in kids) == Decimal(1000)
    assert [k.quantity for k in kids][:3] == [Decimal(200), Decimal(50), Decimal(750)]


def test_participation_cap_binds_a_scheduled_algorithm_and_the_horizon_flushes() -> None:
    layer = ExecutionLayer(load_algos())
    spec = ExecSpec("twap", horizon_s=120, interval_s=60, participation=0.05)
    bars = [view(0, volume=4000), view(60, volume=4000), view(120, volume=100_000)]
    kids = run(layer, parent("1000"), spec, bars)
    assert [k.quantity for k in kids] == [Decimal(200), Decimal(200), Decimal(600)]


def test_limit_fallback_rests_at_touch_then_crosses_after_timeout() -> None:
    layer = ExecutionLayer(load_algos())
    spec = ExecSpec("limit-fallback", horizon_s=600, interval_s=60, timeout_s=120)
    order = parent("500", Side.SELL)
    first = layer.accept(order, spec, view(0))
    assert len(first) == 1 and first[0].order_type is OrderType.LIMIT and first[0].limit_price == Decimal("100.1")
    layer.on_fill(first[0], fill("p1.1", Side.SELL, 200, "100.1"))
    assert layer.on_bar("AAPL", view(60)) == []
    late = layer.on_bar("AAPL", view(180))
    assert layer.cancels == ["p1.1"]
    assert len(late) == 1 and late[0].order_type is OrderType.MARKET and late[0].quantity == Decimal(300)


def test_iceberg_shows_only_the_display_size() -> None:
    layer = ExecutionLayer(load_algos())
    spec = ExecSpec("iceberg", display=Decimal(100))
    kids = layer.accept(parent("250"), spec, view(0))
    assert [k.quantity for k in kids] == [Decimal(100)]
    assert layer.on_bar("AAPL", view(60)) == []  # the first slice still rests
    layer.on_fill(kids[0], fill("p1.1", Side.BUY, 100, "99.9"))
    nxt = layer.on_bar("AAPL", view(120))
    assert [k.quantity for k in nxt] == [Decimal(100)] and nxt[0].client_order_id == "p1.2"


def test_every_builtin_is_registered_and_unknown_algorithms_are_refused() -> None:
    assert set(builtin_algos()) == {"twap", "vwap", "pov", "almgren-chriss", "limit-fallback", "iceberg"}
    with pytest.raises(ValueError, match="unknown algorithm 'nope'"):
        ExecutionLayer(load_algos()).accept(parent(), ExecSpec("nope"), view(0))
    with pytest.raises(ValueError, match="interval_s"):
        ExecSpec("twap", horizon_s=10, interval_s=60)


def test_almgren_chriss_algo_front_loads_with_risk_aversion() -> None:
    layer = ExecutionLayer(load_algos())
    spec = ExecSpec("almgren-chriss", horizon_s=600, interval_s=60, risk_aversion=1e-4)
    bars = [view(60 * i, vol=0.05) for i in range(11)]
    kids = run(layer, parent("1000"), spec, bars, impact=ImpactParams(eta=1e-3))
    qty = [float(k.quantity) for k in kids]
    assert sum(qty) == 1000 and qty[0] > qty[-1] and qty == sorted(qty, reverse=True)


def test_a_capped_slice_catches_up_on_the_next_bars_before_the_next_slice() -> None:
    layer = ExecutionLayer(load_algos())
    spec = ExecSpec("twap", horizon_s=600, interval_s=300, participation=0.1)
    bars = [view(0, volume=1000), view(60, volume=1000), view(120, volume=1000), view(180, volume=1000)]
    kids = run(layer, parent("500"), spec, bars)
    # slice 0 wants 250; 100 a bar fits the cap: 100, 100, 50 on the following bars
    assert [k.quantity for k in kids] == [Decimal(100), Decimal(100), Decimal(50)]
