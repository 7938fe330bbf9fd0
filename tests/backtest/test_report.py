"""HTML reports are self-contained (no CDN) and carry every section; JSON metrics parse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from tradefleet.backtest.engine import SimSettings, run_backtest, signals_of
from tradefleet.backtest.montecarlo import monte_carlo
from tradefleet.backtest.report import monthly_returns, write_report


def test_report_offline_with_all_sections(goog, sma_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_backtest(sma_spec, goog, SimSettings())
    mc = monte_carlo(res, goog, signals_of(sma_spec.build(), goog), runs=50, perturb_runs=4)
    html_path, json_path = write_report(tmp_path / "r" / "sma.html", res, mc, {"data": "goog"})
    text = html_path.read_text()
    assert not re.search(r"<script[^>]+src=", text)           # plotly.js is inlined, no CDN
    assert text.count("Plotly.newPlot") == 4                    # equity, drawdown, monthly, fan
    for title in ("Equity", "Drawdown (%)", "Monthly returns (%)", "Monte Carlo fan", "Trades", "Transaction costs"):
        assert title in text
    assert "No execution spec" in text  # the TCA section says why it has no figures
    payload = json.loads(json_path.read_text())
    assert payload["metrics"]["trades"] == res.metrics["trades"]
    assert payload["monte_carlo"]["methods"]["return_bootstrap"]["runs"] == 50


def test_monthly_returns_compound_to_total(goog, sma_spec) -> None:  # type: ignore[no-untyped-def]
    res = run_backtest(sma_spec, goog, SimSettings())
    table = monthly_returns(res.equity_series())
    months = table.to_numpy().ravel()
    months = months[~np.isnan(months)]
    assert abs(np.prod(1 + months) * res.equity[0] / res.equity[-1] - 1) < 1e-9
