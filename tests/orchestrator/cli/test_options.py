"""``tradefleet options``: price/implied vol with every Greek, payoff diagrams, GARCH."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli.main import main
from risk.options.binomial import crr_price
from risk.options.bsm import bsm_valuation

BASE = ["options", "price", "--spot", "100", "--strike", "95", "--expiry", "0.5", "--rate", "0.05"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_price_european_prints_price_and_every_greek(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([*BASE, "--type", "put", "--vol", "0.3", "--dividend", "0.02", "--json"], capsys)
    assert code == 0
    r = json.loads(out)
    ref = bsm_valuation("put", 100, 95, 0.5, 0.05, 0.3, 0.02)
    assert r["price"] == pytest.approx(float(ref.price), rel=1e-12)
    for g in ("delta", "gamma", "theta", "vega", "rho"):
        assert r["greeks"][g] == pytest.approx(float(getattr(ref, g)), rel=1e-12)
        assert r["greeks_bump"][g] == pytest.approx(float(getattr(ref, g)), rel=1e-4, abs=1e-6)


def test_price_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([*BASE, "--type", "call", "--vol", "0.2"], capsys)
    assert code == 0
    for word in ("price", "delta", "gamma", "theta", "vega", "rho", "by bump"):
        assert word in out


def test_price_american_and_implied_vol_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    p = float(crr_price("put", 100, 95, 0.5, 0.05, 0.27, 0.0, 500, "american"))
    code, out, _ = _run([*BASE, "--type", "put", "--style", "american", "--price", f"{p:.12f}", "--json"], capsys)
    assert code == 0
    r = json.loads(out)
    assert r["implied_vol"] == pytest.approx(0.27, abs=1e-8)
    assert r["model_price"] == pytest.approx(p, abs=1e-9)
    assert r["greeks"]["delta"] < 0 and r["greeks"]["gamma"] > 0 and r["greeks"]["vega"] > 0


@pytest.mark.parametrize(("extra", "message"), [
    (["--type", "straddle", "--vol", "0.2"], "--type: 'straddle' is not one of call, put"),
    (["--style", "bermudan", "--vol", "0.2"], "--style: 'bermudan' is not one of european, american"),
    (["--vol", "abc"], "--vol: 'abc' is not a number"),
    ([], "give exactly one of --vol"),
    (["--vol", "0.2", "--price", "3"], "give exactly one of --vol"),
    (["--price", "200"], "outside the no-arbitrage bounds"),
    (["--vol", "-0.2"], "vol must be > 0"),
])
def test_price_bad_args_give_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], extra: list[str],
                                                 message: str) -> None:
    code, out, err = _run([*BASE, *extra], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_missing_spot_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["options", "price", "--strike", "95", "--expiry", "1", "--vol", ".2"], capsys)
    assert code == 2 and err == "error: missing --spot\n"


def test_payoff_writes_a_diagram_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "condor.html"
    code, out, _ = _run(["options", "payoff", "iron-condor", "--spot", "100", "--strikes", "85,95,105,115",
                         "--expiry", "0.25", "--rate", "0.05", "--vol", "0.2", "--out", str(out_file), "--json"], capsys)
    assert code == 0 and out_file.stat().st_size > 1_000_000
    r = json.loads(out)
    assert r["strategy"] == "iron condor" and r["net_premium"] < 0 and len(r["breakevens"]) == 2
    assert r["max_profit"] == pytest.approx(-r["net_premium"]) and r["chart"] == str(out_file)


def test_payoff_unbounded_figures_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["options", "payoff", "protective-put", "--spot", "100", "--strikes", "95", "--json"], capsys)
    r = json.loads(out)
    assert code == 0 and r["max_profit"] is None and r["unbounded"] == ["max_profit"]


def test_payoff_bad_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["options", "payoff", "butterfly", "--spot", "100", "--strikes", "95,100,105"], capsys)
    assert code == 2 and "unknown strategy 'butterfly'" in err


def test_vol_fits_garch_and_compares_with_vix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["options", "vol", "--horizon", "10", "--json"], capsys)
    assert code == 0
    r = json.loads(out)
    assert 0.95 < r["persistence"] < 1 and "forecast_vol_10d" in r
    assert r["realized_vs_vix_2014_2018"]["mean_premium"] > 0
