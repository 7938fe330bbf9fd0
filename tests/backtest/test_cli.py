"""The CLI commands run end to end on bundled data and print JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradefleet.app.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    try:
        main(list(argv))
    except SystemExit as exc:  # success returns normally; anything else is a failure here
        pytest.fail(f"exit {exc.code}: {capsys.readouterr().err}")
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_cli_backtest_json_and_report(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "spx.html"
    out = _run(capsys, "backtest", "spx-sma-trend", "--from", "2005-01-01", "--to", "2012-12-31", "--json",
               "--report", str(report), "--mc-runs", "30")
    assert out["bot"] == "spx-sma-trend" and out["data"] == "sp500"
    assert out["start"].startswith("2005-01-03") and out["end"].startswith("2012-12-31")
    assert out["warmup_bars"] > 1000  # 1999-2004 feed the indicators, untraded
    assert report.exists() and Path(out["report_json"]).exists()
    assert set(out["metrics"]) >= {"total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown",
                                   "win_rate", "profit_factor", "expectancy", "trades"}


def test_cli_optimize_montecarlo_validate(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wf = _run(capsys, "optimize", "spx-sma-trend", "--walk-forward", "--folds", "2", "--workers", "1",
              "--param", "fast=10,20", "--param", "slow=100,200", "--json")
    assert len(wf["folds"]) == 2 and "overfit_ratio" in wf
    mc = _run(capsys, "montecarlo", "spx-sma-trend", "--runs", "40", "--workers", "1", "--json")
    assert set(mc["methods"]) == {"trade_shuffle", "return_bootstrap", "perturbation"} or \
        set(mc["methods"]) == {"return_bootstrap", "perturbation"}
    store = tmp_path / "validations"
    code = 0
    try:
        main(["validate", "spx-sma-trend", "--store", str(store), "--json"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    val = json.loads(capsys.readouterr().out)
    rec = val["results"][0]
    assert code == (0 if rec["passed"] else 1)  # NO-GO exits 1 (issue #18)
    assert rec["bot"] == "spx-sma-trend" and {c["name"] for c in rec["checks"]} == {
        "trades", "win_rate", "sharpe", "lookahead", "wf_oos_sharpe"}
    from tradefleet.backtest.records import is_validated

    assert is_validated(store, "spx-sma-trend") == rec["passed"]


def test_cli_errors_name_the_problem(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        main(["backtest", "no-such-bot"])
    assert exc.value.code == 2 and "no bot named 'no-such-bot'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2 and "--all" in capsys.readouterr().err


def test_cli_backtest_param_long_only_and_fill_change_the_run(capsys) -> None:  # type: ignore[no-untyped-def]
    base = ["backtest", "spx-sma-trend", "--from", "2005-01-01", "--to", "2012-12-31", "--json"]
    plain = _run(capsys, *base)
    assert "next-open" in plain["assumptions"] and plain["settings"]["fill"] == "next-open"
    tuned = _run(capsys, *base, "--param", "fast=30", "--param", "slow=150")
    assert tuned["params"]["fast"] == 30 and tuned["params"]["slow"] == 150 and tuned["metrics"] != plain["metrics"]
    long_only = _run(capsys, *base, "--long-only")
    assert not long_only["settings"]["allow_short"] and "long only" in long_only["assumptions"]
    close = _run(capsys, *base, "--fill", "close")
    assert "market at close" in close["assumptions"] and close["final_equity"] != plain["final_equity"]


def test_cli_backtest_prints_its_assumptions(capsys) -> None:  # type: ignore[no-untyped-def]
    main(["backtest", "spx-sma-trend", "--from", "2010-01-01", "--to", "2012-12-31", "--slippage", "0.001"])
    out = capsys.readouterr().out
    assert "assumptions: fill model v1" in out and "slippage 0.1000%" in out and "next-open" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--param", "nope=1"], "--param 'nope': bot spx-sma-trend has no such parameter"),
    (["--param", "fast"], "--param 'fast': expected name=value"),
    (["--param", "fast=abc"], "bot spx-sma-trend: invalid params"),
    (["--fill", "sometimes"], "--fill 'sometimes': Input should be 'next-open' or 'close'"),
    (["--exec", "vwap:horizon_min=30"], "the backtest simulates twap and pov children, not 'vwap'"),
    (["--exec", "twap:horizon=30"], "unknown parameter 'horizon'"),
    (["--exec", "twap:horizon_min=soon"], "--exec 'twap:horizon_min=soon': horizon_min must be a number"),
    (["--exec", "twap:horizon_min"], "expected name=value"),
    (["--exec", "{not json"], "--exec '{not json': not JSON"),
    (["--exec", "pov:participation=2"], "participation must be in (0, 1]"),
])
def test_cli_backtest_bad_flags_are_one_line_exit_2(capsys, argv: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        main(["backtest", "spx-sma-trend", *argv])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_cli_backtest_with_an_execution_spec_reports_its_transaction_costs(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json
    import re

    out = tmp_path / "r" / "twap.html"
    main(["backtest", "spx-sma-trend", "--from", "2010-01-01", "--to", "2012-12-31", "--exec",
          "twap:horizon_min=7200,interval_min=1440,participation=0.01", "--lot", "1", "--impact", "10",
          "--max-impact", "50", "--report", str(out), "--mc-runs", "20", "--json"])
    payload = json.loads(capsys.readouterr().out)
    tca = payload["tca"]
    assert tca["parents"] >= 3 and tca["by"] == "size"
    t = tca["total"]
    assert t["total"] == pytest.approx(t["delay"] + t["spread"] + t["impact"] + t["fees"], abs=1e-4)
    assert t["impact"] > 0 and t["fees"] > 0
    assert "entries worked by twap" in payload["assumptions"]
    assert json.loads(out.with_suffix(".json").read_text())["tca"] == tca
    html = out.read_text()
    assert "<h2>Transaction costs</h2>" in html and "Implementation shortfall per worked entry" in html
    for r in [*tca["groups"], {"key": "all", **t}]:
        row = re.search(rf'<tr data-key="{re.escape(r["key"])}">(.*?)</tr>', html, re.S)
        assert row is not None
        for c in ("delay", "spread", "impact", "fees", "total"):
            assert f'data-col="{c}">{r[c]:,.2f}<' in row.group(1)
            assert f'data-col="{c}_bps">{r["bps"][c]:.2f}<' in row.group(1)
