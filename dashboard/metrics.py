"""Prometheus metrics (prometheus_client): fleet, bot, order, latency and error metrics.

Fleet, bot and order figures are read from the store at scrape time by a custom
collector (so they are right whichever process wrote them); request latency and
errors of the process itself are ordinary histograms and counters. Each app gets its own
:class:`~prometheus_client.CollectorRegistry` (no global state between tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)
LATENCY_QUANTILES = (0.5, 0.95, 0.99)


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated quantile (numpy's default method) of a sorted list."""
    if not sorted_values:
        return float("nan")
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


class FleetCollector:
    """Fleet state, per-bot status and P&L, orders by status, fill latency, from the store."""

    def __init__(self, view: Any, errors: Counter) -> None:
        self.view = view
        self.errors = errors

    def describe(self) -> list[Metric]:
        return []  # collected lazily: no store read at registration

    def collect(self) -> Iterator[Metric]:
        from tradefleet.dashboard import queries as q

        try:
            store = self.view.store
            status = self.view.status()
            bots = self.view.bots()
            orders = q.order_status_counts(store)
            outcomes = q.signal_outcome_counts(store)
            last = q.last_equity(store)
            lat = sorted(q.fill_latencies(store))
            fills = q.total_fills(store)
        except Exception as exc:  # a scrape must answer even when the store does not
            log.warning("metrics: store read failed: %s", exc)
            self.errors.labels(component="metrics").inc()
            up = GaugeMetricFamily("tradefleet_store_up", "1 if the store answered the scrape")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("tradefleet_store_up", "1 if the store answered the scrape")
        up.add_metric([], 1)
        yield up
        f = status["fleet"]
        for name, value, doc in (("tradefleet_fleet_halted", f["halted"], "1 if the fleet is halted"),
                                 ("tradefleet_fleet_paused", f["paused"], "1 if the fleet is paused")):
            m = GaugeMetricFamily(name, doc)
            m.add_metric([], 1.0 if value else 0.0)
            yield m
        eq = GaugeMetricFamily("tradefleet_equity", "last recorded fleet equity")
        if last is not None:
            eq.add_metric([], last[1])
        yield eq
        by_status = GaugeMetricFamily("tradefleet_bots", "bots by status", labels=["status"])
        counts: dict[str, int] = {}
        for b in bots:
            counts[b["status"]] = counts.get(b["status"], 0) + 1
        for s, n in sorted(counts.items()):
            by_status.add_metric([s], n)
        yield by_status
        paused = GaugeMetricFamily("tradefleet_bot_paused", "1 if the bot is paused", labels=["bot"])
        pnl = GaugeMetricFamily("tradefleet_bot_realized_pnl", "realised P&L by bot", labels=["bot"])
        sig = GaugeMetricFamily("tradefleet_bot_signals", "signals recorded by bot", labels=["bot"])
        bfills = GaugeMetricFamily("tradefleet_bot_fills", "fills recorded by bot", labels=["bot"])
        for b in bots:
            paused.add_metric([b["name"]], 1.0 if b["paused"] else 0.0)
            pnl.add_metric([b["name"]], b["realized_pnl"])
            sig.add_metric([b["name"]], b["signals"])
            bfills.add_metric([b["name"]], b["fills"])
        yield from (paused, pnl, sig, bfills)
        om = GaugeMetricFamily("tradefleet_orders", "orders by status", labels=["status"])
        for s, n in sorted(orders.items()):
            om.add_metric([s], n)
        yield om
        sm = GaugeMetricFamily("tradefleet_signals", "signals by outcome", labels=["outcome"])
        for s, n in sorted(outcomes.items()):
            sm.add_metric([s], n)
        yield sm
        fm = GaugeMetricFamily("tradefleet_fills", "fills recorded")
        fm.add_metric([], fills)
        yield fm
        lm = GaugeMetricFamily("tradefleet_order_fill_latency_seconds",
                               "order intent to fill, over the newest 1000 fills", labels=["quantile"])
        if lat:
            for qq in LATENCY_QUANTILES:
                lm.add_metric([str(qq)], _quantile(lat, qq))
        yield lm


def install_metrics(app: Any, view: Any) -> CollectorRegistry:
    """Add ``/metrics`` to the Flask ``app``, with request latency and error counters."""
    from flask import Response, g, request

    registry = CollectorRegistry(auto_describe=False)
    latency = Histogram("tradefleet_http_request_seconds", "dashboard request latency",
                        ["endpoint"], registry=registry,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5))
    errors = Counter("tradefleet_errors", "errors by component", ["component"], registry=None)
    registry.register(FleetCollector(view, errors))
    registry.register(errors)  # after the collector: a failed scrape counts in the same scrape

    @app.before_request
    def _start() -> None:
        g.metrics_t0 = time.perf_counter()

    @app.after_request
    def _observe(resp: Any) -> Any:
        t0 = g.pop("metrics_t0", None)
        if t0 is not None and request.endpoint not in ("static", "api_stream"):
            latency.labels(endpoint=request.endpoint or "unknown").observe(time.perf_counter() - t0)
        if resp.status_code >= 500:
            errors.labels(component="dashboard").inc()
        return resp

    @app.get("/metrics")
    def metrics() -> Any:
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    app.extensions["tradefleet_metrics"] = {"registry": registry, "errors": errors, "latency": latency}
    return registry
