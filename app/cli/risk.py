"""``tradefleet risk [--json]``: trading state and why, every limit with its current use,
VaR/CVaR now, exposure by correlated cluster, cooldowns and size cuts in force.

The running gate saves its report to the store (``risk_state`` key ``risk_report``,
every ``[risk].snapshot_seconds`` of clock time); this command shows the latest one, with
the fleet's halt state read fresh from the store (an operator's ``tradefleet
halt/resume`` shows at once). A daily-loss halt is lifted with ``tradefleet resume``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, StoreOption, emit_json, load, open_existing_store
from tradefleet.risk.view import risk_view

__all__ = ["register", "render", "risk_view"]


def _pct(x: Any) -> str:
    return f"{x:.1%}" if isinstance(x, int | float) else "-"


def _num(x: Any) -> str:
    return f"{x:,.2f}" if isinstance(x, float) else str(x)


def render(view: dict[str, Any]) -> None:
    """Print the view as tables."""
    from rich.console import Console
    from rich.table import Table

    from tradefleet.orchestrator.clock import ns_to_dt

    out = Console()
    when = f" (report of {ns_to_dt(view['ts_ns']):%Y-%m-%d %H:%M:%S}Z)" if view.get("ts_ns") else \
        " (no risk report yet: start a run)"
    reason = f": {view['reason']}" if view.get("reason") else ""
    out.print(f"trading state: {str(view['state']).upper()} [{view.get('scope') or 'fleet'}]{reason}{when}")
    if view.get("trading_state"):
        from tradefleet.risk.trading_state import describe

        for line in describe(view["trading_state"])[1:]:
            out.print(line, markup=False)
    if view.get("equity") is not None:
        out.print(f"equity: {view['equity']:,.2f}")
    t = Table("limit", "used", "max", "use", title="limits")
    for lim in view.get("limits", []):
        t.add_row(lim["limit"], _num(lim["used"]), _num(lim["max"]), _pct(lim["use"]))
    out.print(t)
    var = view.get("var", {})
    if var.get("measured"):
        v = Table("method", "VaR 95", "VaR 99", "CVaR 95", "CVaR 99", title="VaR / CVaR now (fraction of equity, one bar)")
        for method in ("historical", "parametric"):
            if method in var:
                m = var[method]
                v.add_row(method, *(_pct(m[k]) for k in ("var95", "var99", "cvar95", "cvar99")))
        lim = var.get("limits", {})
        v.add_row("limit", *(_pct(lim.get(k)) for k in ("var95", "var99", "cvar95", "cvar99")))
        out.print(v)
    if view.get("clusters"):
        c = Table("cluster", "gross", "of equity", "cap", title="exposure by correlated cluster")
        for cl in view["clusters"]:
            c.add_row(", ".join(cl["members"]), _num(cl["gross"]), _pct(cl["pct"]), _pct(cl["cap_pct"]))
        out.print(c)
    greeks = view.get("greeks")
    if isinstance(greeks, dict):
        out.print("portfolio greeks: " + ", ".join(f"{k} {v:,.2f}" for k, v in greeks.items()))
    elif greeks:
        out.print(f"portfolio greeks: {greeks}")
    cds = view.get("cooldowns", [])
    out.print("cooldowns: " + (", ".join(f"{c['bot']} on {c['underlying']} ({c['seconds_left'] / 60:.0f} min)"
                                         for c in cds) or "none"))
    cuts = view.get("size_cuts", [])
    out.print("size cuts: " + (", ".join(f"{c['bot']} x{c['scale']}" for c in cuts) or "none"))
    pend = view.get("pending_confirmations", [])
    if pend:
        out.print("awaiting confirmation: " + ", ".join(f"{p['id']} {p['bot']} {p['instrument']} ~{p['notional']:,.0f}"
                                                        for p in pend))


def register(app: typer.Typer) -> None:
    @app.command("risk")
    def risk(config: Path | None = ConfigOption, store_url: str | None = StoreOption,
             as_json: bool = JsonOption) -> None:
        """Show the trading state and why, every risk limit and its use, VaR/CVaR, clusters, cooldowns."""
        cfg = load(config)
        store = open_existing_store(cfg, store_url)
        try:
            view = risk_view(cfg, store)
        finally:
            store.close()
        if as_json:
            emit_json(view)
        else:
            render(view)
