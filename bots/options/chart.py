"""Payoff diagrams with plotly: P&L at expiry, and the mark-to-model P&L today.

:func:`payoff_figure` draws the exact expiry P&L (piecewise linear), the BSM-marked P&L
at entry and optionally halfway to expiry, the strikes, the breakevens and the entry spot.
:func:`write_chart` writes a self-contained HTML file (plotly.js inlined, so it opens
offline); PNG needs the optional ``kaleido`` package.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tradefleet.bots.options.payoff import OptionStrategy
from tradefleet.risk.options.errors import OptionsError

if TYPE_CHECKING:
    import plotly.graph_objects as go


def spot_grid(strategy: OptionStrategy, points: int = 401, span: float = 0.35) -> np.ndarray:
    """Return spots covering the strikes and ``span`` around the entry spot."""
    strikes = strategy.strikes() or [strategy.spot]
    lo = min(strategy.spot * (1 - span), min(strikes) * 0.9)
    hi = max(strategy.spot * (1 + span), max(strikes) * 1.1)
    grid = np.linspace(max(lo, 1e-6), hi, points)
    return np.unique(np.concatenate([grid, strikes, strategy.breakevens()]))


def payoff_figure(strategy: OptionStrategy, rate: float, vol: float, dividend: float = 0.0,
                  points: int = 401) -> go.Figure:
    """Return a plotly figure of the strategy's P&L against the underlying at expiry."""
    import plotly.graph_objects as go

    s = spot_grid(strategy, points)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=s, y=strategy.pnl_at_expiry(s), name="P&L at expiry",
                             line={"width": 3, "color": "#1f77b4"}))
    for frac, dash in ((1.0, "dot"), (0.5, "dash")):
        left = strategy.expiry * frac
        fig.add_trace(go.Scatter(x=s, y=strategy.pnl_before_expiry(s, left, rate, vol, dividend),
                                 name=f"P&L with {left * 365:.0f} days left (BSM, vol {vol:.0%})",
                                 line={"dash": dash, "width": 1.5}))
    fig.add_hline(y=0.0, line={"color": "grey", "width": 1})
    for k in strategy.strikes():
        fig.add_vline(x=k, line={"color": "lightgrey", "dash": "dot"})
    be = strategy.breakevens()
    if be:
        fig.add_trace(go.Scatter(x=be, y=[0.0] * len(be), mode="markers", name="breakeven",
                                 marker={"size": 9, "color": "black", "symbol": "diamond"}))
    fig.add_vline(x=strategy.spot, line={"color": "green", "dash": "dash"}, annotation_text="spot")
    fmt = lambda v: "unbounded" if not np.isfinite(v) else f"{v:,.2f}"  # noqa: E731
    fig.update_layout(
        title=(f"{strategy.name}: net premium {strategy.net_premium * strategy.multiplier:,.2f}, "
               f"max profit {fmt(strategy.max_profit())}, max loss {fmt(strategy.max_loss())}"),
        xaxis_title="underlying at expiry", yaxis_title="profit / loss", template="plotly_white",
        legend={"orientation": "h", "y": -0.2})
    return fig


def write_chart(fig: go.Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` (.html self-contained, or .png with kaleido installed)."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".html", ".htm"):
        fig.write_html(str(path), include_plotlyjs=True, full_html=True)
        return path
    if suffix == ".png":
        import importlib.util

        if importlib.util.find_spec("kaleido") is None:
            raise OptionsError(f"{path}: PNG export needs the 'kaleido' package (not installed); "
                               "write .html instead")
        fig.write_image(str(path))
        return path
    raise OptionsError(f"{path}: unsupported chart format {suffix or '(none)'}; use .html or .png")
