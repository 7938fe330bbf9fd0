"""The fleet Go/No-Go as a self-contained HTML page (``tradefleet validate --fleet NAME --report r.html``):
verdict and checks, combined equity and drawdown, each member's cumulative P&L, the
walk-forward folds, the members' correlation heat map and their table."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradefleet.app.fleet_validation import FleetValidation


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.4f}"
    if isinstance(v, list):
        return html.escape(", ".join(map(str, v)) or "-")
    return html.escape(str(v))


def _table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figures(r: FleetValidation) -> list[Any]:
    import pandas as pd
    import plotly.graph_objects as go

    figs = []
    if r.equity:
        idx = pd.to_datetime([t for t, _ in r.equity], unit="ns")
        eq = pd.Series([e for _, e in r.equity], index=idx)
        f = go.Figure(go.Scatter(x=idx, y=eq.values, name="fleet equity"))
        for fold in r.walk_forward.get("folds", [])[1:]:
            f.add_vline(x=pd.to_datetime(fold["start_ns"], unit="ns"), line_dash="dot", line_color="grey")
        f.update_layout(title="combined equity (dotted: walk-forward folds; the first is warm-up)", height=360)
        figs.append(f)
        dd = eq / eq.cummax() - 1
        figs.append(go.Figure(go.Scatter(x=idx, y=dd.values, fill="tozeroy", name="drawdown"))
                    .update_layout(title="drawdown", height=260))
        p = go.Figure()
        for name, s in sorted(r.member_pnl.items()):
            if any(s):
                p.add_trace(go.Scatter(x=idx, y=s, name=name))
        p.update_layout(title="each member's cumulative P&L", height=380)
        figs.append(p)
    c = r.correlation
    if c.get("matrix"):
        figs.append(go.Figure(go.Heatmap(z=c["matrix"], x=c["members"], y=c["members"], zmin=-1, zmax=1,
                                         colorscale="RdBu", reversescale=True))
                    .update_layout(title="daily P&L correlation of the members", height=420))
    return figs


def html_report(r: FleetValidation) -> str:
    """Return the page (plotly.js inlined from the installed package)."""
    import plotly.io as pio

    charts = "".join(pio.to_html(f, full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
                     for i, f in enumerate(_figures(r)))
    verdict = "GO" if r.passed else "NO-GO"
    checks = _table([{"check": c.name, "value": c.value, "threshold": c.threshold, "passed": c.passed}
                     for c in r.checks], ["check", "value", "threshold", "passed"])
    metrics = _table([{"metric": k, "value": v} for k, v in r.metrics.items()], ["metric", "value"])
    folds = _table(r.walk_forward.get("folds", []), ["fold", "role", "marks", "return", "sharpe", "max_drawdown"])
    members = _table(r.members, ["bot", "status", "gate", "gate_failed", "fills", "trades", "win_rate", "pnl",
                                 "share_of_pnl", "budget_of_equity", "avg_gross_of_equity", "size_refusals", "note"])
    pair = r.correlation.get("max_pair")
    corr = (f"mean pairwise correlation {r.correlation.get('mean_pairwise')}; most correlated: "
            f"{html.escape(pair['a'])} / {html.escape(pair['b'])} ({pair['rho']})" if pair
            else html.escape(r.correlation.get("note", "")))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in r.notes)
    title = html.escape(f"tradefleet fleet validation: {r.fleet}")
    color = "#1a7f37" if r.passed else "#b42318"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:12px;margin:.5em 0}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}.verdict{{color:{color};font-size:2em}}</style></head><body>
<h1>{title}</h1><p class="verdict">{verdict}</p>
<p>window {html.escape(r.window.get('from', ''))} .. {html.escape(r.window.get('to', ''))} ({html.escape(r.window.get('data', ''))} data);
capital utilisation {_cell(r.capital.get('account_avg_gross_of_equity'))} of equity; size refusals
{_cell(r.capital.get('size_refusal_pct'))}% of entry signals</p>
<h2>Checks</h2>{checks}<h2>Combined</h2>{metrics}<h2>Walk-forward</h2>{folds}
<p>out-of-sample Sharpe {_cell(r.walk_forward.get('oos_sharpe'))}, positive folds
{r.walk_forward.get('positive_folds')}/{r.walk_forward.get('oos_folds')}</p>
{charts}<h2>Members</h2><p>{corr}</p>{members}<ul>{notes}</ul>
<script type="application/json" id="result">{html.escape(json.dumps(r.to_dict(), default=str))}</script>
</body></html>"""


def write_report(path: str | Path, r: FleetValidation) -> Path:
    """Write the page to ``path`` (its folder is created)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_report(r), encoding="utf-8")
    return out
