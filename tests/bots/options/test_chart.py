"""Payoff diagrams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tradefleet.bots.options.chart import payoff_figure, spot_grid, write_chart
from tradefleet.bots.options.strategies import Market, build
from tradefleet.risk.options.errors import OptionsError


def test_payoff_figure_plots_the_exact_expiry_pnl(tmp_path: Path) -> None:
    strat = build("iron-condor", Market(100.0, 0.05, 0.2, 0.25, 100), [85, 95, 105, 115])
    fig = payoff_figure(strat, 0.05, 0.2)
    expiry = fig.data[0]
    np.testing.assert_allclose(expiry.y, strat.pnl_at_expiry(np.asarray(expiry.x)))
    assert {95.0, 105.0} <= set(np.asarray(expiry.x).tolist())  # kinks are on the grid
    assert fig.data[-1].name == "breakeven" and len(fig.data[-1].x) == 2
    assert "max profit" in fig.layout.title.text
    out = write_chart(fig, tmp_path / "sub" / "ic.html")
    html = out.read_text()
    assert out.stat().st_size > 1_000_000 and "iron condor" in html  # plotly.js inlined: opens offline


def test_spot_grid_covers_strikes() -> None:
    strat = build("bull-call-spread", Market(100.0, 0.0, 0.2, 0.1), [150.0, 160.0])
    grid = spot_grid(strat)
    assert grid.min() <= 65 and grid.max() >= 176 and 150.0 in grid


def test_write_chart_rejects_unknown_formats(tmp_path: Path) -> None:
    fig = payoff_figure(build("covered-call", Market(100.0, 0.0, 0.2, 0.1), [105.0]), 0.0, 0.2)
    with pytest.raises(OptionsError, match="unsupported chart format .svg"):
        write_chart(fig, tmp_path / "x.svg")
