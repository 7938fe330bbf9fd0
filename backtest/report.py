"""Per-bot reports: one self-contained HTML file (plotly, no CDN) and JSON metrics.

The HTML embeds plotly.js from the installed ``plotly`` package once, then the figures:
equity curve, drawdown, monthly returns heatmap, Monte Carlo fan chart (bootstrap
quantiles) and the trade list, so it opens offline.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.backtest.engine import BacktestResult

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.backtest.montecarlo import MonteCarloResult

MAX_TRADE_ROWS = 500


def metrics_payload(result: BacktestResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the JSON metrics document of a run."""
    eq = result.equity_series()
    return {"bot": result.bot, "start": eq.index[0].isoformat(), "end": eq.index[-1].isoformat(),
            "bars": len(eq), "final_equity": float(result.equity[-1]), "params": result.params,
            "settings": result.settings.model_dump(), "assumptions": result.settings.describe(),
            "metrics": result.metrics_json(),
            **({"tca": result.tca("size")} if result.settings.execution is not None else {}), **(extra or {})}


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Return a year x month table of monthly returns (compounded from the equity curve)."""
    import pandas as pd

    month_end = equity.groupby([equity.index.year, equity.index.month]).last()
    rets = month_end.pct_change()
    first = month_end.index[0]
    rets.iloc[0] = month_end.iloc[0] / equity.iloc[0] - 1.0 if len(month_end) else np.nan
    table = rets.unstack(level=1)
    table.index.name, table.columns.name = "year", "month"
    return table.reindex(columns=range(1, 13)).astype(float) if first is not None else pd.DataFrame()


def _figures(result: BacktestResult, mc: MonteCarloResult | None) -> list[Any]:
    import plotly.graph_objects as go

    eq = result.equity_series()
    dd = eq / eq.cummax() - 1.0
    figs = [
        go.Figure(go.Scatter(x=eq.index, y=eq.to_numpy(), name="equity", line={"width": 1.2}),
                  layout={"title": "Equity", "height": 380}),
        go.Figure(go.Scatter(x=dd.index, y=dd.to_numpy() * 100, fill="tozeroy", name="drawdown %",
                             line={"color": "firebrick", "width": 1}),
                  layout={"title": "Drawdown (%)", "height": 260}),
    ]
    table = monthly_returns(eq)
    figs.append(go.Figure(go.Heatmap(z=table.to_numpy() * 100, x=[str(m) for m in table.columns],
                                     y=[str(y) for y in table.index], colorscale="RdYlGn", zmid=0,
                                     colorbar={"title": "%"}),
                          layout={"title": "Monthly returns (%)", "height": 120 + 22 * len(table)}))
    boot = mc.methods.get("return_bootstrap") if mc is not None else None
    if boot is not None and boot.fan is not None and boot.fan_index_ns is not None:
        import pandas as pd

        x = pd.DatetimeIndex(boot.fan_index_ns.astype("datetime64[ns]"), tz="UTC")
        fan = go.Figure(layout={"title": f"Monte Carlo fan ({len(boot.final_equity)} bootstrap paths)", "height": 380})
        fan.add_trace(go.Scatter(x=x, y=boot.fan[4], line={"width": 0}, showlegend=False))
        fan.add_trace(go.Scatter(x=x, y=boot.fan[0], fill="tonexty", line={"width": 0}, name="5-95%"))
        fan.add_trace(go.Scatter(x=x, y=boot.fan[3], line={"width": 0}, showlegend=False))
        fan.add_trace(go.Scatter(x=x, y=boot.fan[1], fill="tonexty", line={"width": 0}, name="25-75%"))
        fan.add_trace(go.Scatter(x=x, y=boot.fan[2], name="median", line={"color": "black", "width": 1}))
        fan.add_trace(go.Scatter(x=eq.index, y=eq.to_numpy(), name="actual", line={"color": "royalblue", "width": 1}))
        figs.append(fan)
    return figs


def _trade_table(result: BacktestResult) -> str:
    df = result.trades_frame()
    cols = ["entry_time", "exit_time", "direction", "units", "entry_price", "exit_price", "pnl", "return", "exit_reason"]
    rows = []
    for rec in df[cols].tail(MAX_TRADE_ROWS).itertuples(index=False):
        cells = []
        for v in rec:
            cells.append(f"{v:,.4f}" if isinstance(v, float) else html.escape(str(v)))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{c}</th>" for c in cols)
    note = f"<p>last {MAX_TRADE_ROWS} of {len(df)} trades</p>" if len(df) > MAX_TRADE_ROWS else ""
    return f"{note}<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _tca_section(result: BacktestResult) -> tuple[str, Any]:
    """The transaction-cost section (HTML) and its figure (None without worked entries)."""
    spec = result.settings.exec_spec()
    if spec is None:
        return ("<h2>Transaction costs</h2><p>No execution spec: every entry filled as one order, paying the "
                "slippage and fees above. Work entries as children (<code>--exec twap:horizon_min=30</code>, "
                "<code>--exec pov:participation=0.1</code>) to see their implementation shortfall.</p>"), None
    import plotly.graph_objects as go

    rep = result.tca("size")
    outcomes = result.tca_outcomes()
    cols = ("delay", "spread", "impact", "fees", "total")
    head = "".join(f"<th>{c}</th><th>{c} bps</th>" for c in cols)
    rows = []
    for r in [*rep["groups"], {"key": "all", "parents": rep["parents"], **rep["total"]}]:
        cells = "".join(f'<td data-col="{c}">{r[c]:,.2f}</td><td data-col="{c}_bps">{r["bps"][c]:.2f}</td>'
                        for c in cols)
        rows.append(f'<tr data-key="{html.escape(str(r["key"]))}"><td>{html.escape(str(r["key"]))}</td>'
                    f'<td>{r["parents"]}</td><td>{r["quantity"]:,.4g}</td><td>{r["unfilled"]:,.4g}</td>{cells}</tr>')
    table = (f"<table class=\"tca\"><thead><tr><th>size</th><th>parents</th><th>filled</th><th>unfilled</th>{head}"
             f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    fig = None
    if outcomes:
        idx = result.trades_frame()["entry_time"]
        x = [idx.iloc[int(o.parent_id.rsplit("#", 1)[1])] for o in outcomes]
        fig = go.Figure(layout={"title": "Implementation shortfall per worked entry (bps of arrival notional)",
                                "barmode": "relative", "height": 320})
        for c in ("delay", "spread", "impact", "fees"):
            fig.add_trace(go.Bar(x=x, y=[o.shortfall.bps()[c] for o in outcomes], name=c))
    text = (f"<h2>Transaction costs</h2><p>Entries worked by {html.escape(spec.algorithm)} as simulated children "
            f"({len(result.children)} child fills, {rep['parents']} parents); {html.escape(rep['decomposition'])}, "
            f"the arrival being the signal bar's close. The same analysis as <code>tradefleet tca</code>.</p>{table}")
    return text, fig


def html_report(result: BacktestResult, mc: MonteCarloResult | None = None, title: str | None = None) -> str:
    """Return a self-contained HTML report (plotly.js inlined from the installed package)."""
    import plotly.io as pio

    parts = []
    for i, fig in enumerate(_figures(result, mc)):
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False}))
    tca_text, tca_fig = _tca_section(result)
    if tca_fig is not None:
        tca_text += pio.to_html(tca_fig, full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    metrics = "".join(f"<tr><th>{html.escape(k)}</th><td>{'-' if v is None else f'{v:,.4f}'}</td></tr>"
                      for k, v in result.metrics_json().items())
    head = html.escape(title or f"tradefleet backtest: {result.bot}")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{head}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}</style></head><body>
<h1>{head}</h1><p class="assumptions">{html.escape(result.settings.describe())};
params {html.escape(json.dumps(result.params))}</p>
<table>{metrics}</table>{''.join(parts)}{tca_text}<h2>Trades</h2>{_trade_table(result)}</body></html>"""


def write_report(path: str | Path, result: BacktestResult, mc: MonteCarloResult | None = None,
                 extra: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``path`` (HTML) and the JSON metrics beside it; return both paths."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_report(result, mc), encoding="utf-8")
    payload = metrics_payload(result, {**(extra or {}), **({"monte_carlo": mc.summary()} if mc else {})})
    js = out.with_suffix(".json")
    js.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return out, js
