"""``tradefleet options``: price/implied vol with every Greek, payoff diagrams, GARCH."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from tradefleet.app.cli.main import main
from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.binomial import crr_price
from tradefleet.risk.options.bsm import bsm_valuation

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
    (["--style", "american", "--vol", "0.2", "--steps", "2.5"], "--steps: '2.5' is not a whole number"),
    (["--style", "american", "--vol", "0.2", "--steps", "2"], "steps must be in [6, 20000]"),
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
                         "--expiry", "0.25", "--rate", "0.05", "--vol", "0.2", "--out", str(out_file), "--json"],
                        capsys)
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


def test_chain_solves_ivs_and_prices_back_to_the_mids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asof = "2024-01-02T16:00:00-05:00"
    t = OptionContract("SPY", "put", 460.0, date(2024, 2, 16)).years_to_expiry(dt_to_ns(datetime.fromisoformat(asof)))
    put = float(crr_price("put", 470.0, 460.0, t, 0.05, 0.16, 0.0, 100, "american"))
    path = tmp_path / "chain.csv"
    path.write_text("underlying,type,strike,expiry,bid,ask,open_interest,style\n"
                    f"SPY,put,460,2024-02-16,{put - 0.01:.6f},{put + 0.01:.6f},900,american\n"
                    "SPY,call,460,2024-02-16,15.1,15.4,1200,european\n"
                    "SPY,call,300,2024-02-16,0.1,0.2,1,european\n")
    code, out, _ = _run(["options", "chain", str(path), "--spot", "470", "--rate", "0.05", "--asof", asof, "--json"],
                        capsys)
    assert code == 0
    rows = {r["symbol"]: r for r in json.loads(out)}
    p = rows["SPY240216P00460000"]
    assert p["iv"] == pytest.approx(0.16, abs=1e-6) and p["price"] == pytest.approx(put, abs=1e-6)
    assert p["open_interest"] == 900 and p["delta"] < 0
    c = rows["SPY240216C00460000"]
    assert c["price"] == pytest.approx(15.25, abs=1e-9)
    bad = rows["SPY240216C00300000"]  # bid below intrinsic: no vol, no Greeks
    assert bad["iv"] is None and bad["delta"] is None


def test_chain_bad_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("type,strike,expiry,bid,ask\ncall,450,2024-01-19,1.3,1.2\n")
    code, _, err = _run(["options", "chain", str(path), "--spot", "450", "--underlying", "SPY"], capsys)
    assert code == 2 and err == f"error: {path}: line 2: bid 1.3 is above ask 1.2\n"


def test_chain_from_alpaca_through_the_configured_account(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes.alpaca_options import FakeAlpacaOptions, FakeOption

    opts = []
    for k in (460.0, 470.0, 480.0):
        c = OptionContract("SPY", "call", k, date(2024, 2, 16))
        opts.append(FakeOption(c.symbol, "SPY", "call", k, c.expiry, bid=None, ask=None, iv=0.15, open_interest=int(k)))
    fake = FakeAlpacaOptions(opts, {"SPY": 471.25}, key="K1", secret="S1")
    try:
        cfg = tmp_path / "tradefleet.toml"
        cfg.write_text(f'[accounts.alpaca]\nvenue = "alpaca"\nbase_url = "{fake.base}"\n'
                       'api_key = "env:TF_TEST_ALPACA_KEY"\napi_secret = "env:TF_TEST_ALPACA_SECRET"\n')
        monkeypatch.setenv("TF_TEST_ALPACA_KEY", "K1")
        monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "S1")
        code, out, err = _run(["options", "chain", "spy", "--alpaca", "--config", str(cfg), "--rate", "0.05",
                               "--asof", "2024-01-02T16:00:00-05:00", "--expiry", "2024-02-16", "--json"], capsys)
        assert code == 0, err
        rows = json.loads(out)
        assert [r["open_interest"] for r in rows] == [460, 470, 480]
        assert all(r["iv"] == 0.15 and r["bid"] is None and r["delta"] > 0 for r in rows)
        snap = fake.server.requests("GET", r"/v1beta1/options/snapshots/SPY")[0]
        assert snap.arg("expiration_date_gte") == "2024-02-16" == snap.arg("expiration_date_lte")
        assert fake.server.requests("GET", r"/v2/stocks/trades/latest")  # spot from the last trade
        monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "wrong")
        code, _, err = _run(["options", "chain", "SPY", "--alpaca", "--config", str(cfg)], capsys)
        assert code == 2 and "credentials refused (401)" in err and err.count("\n") == 1
        monkeypatch.delenv("TF_TEST_ALPACA_KEY")
        code, _, err = _run(["options", "chain", "SPY", "--alpaca", "--config", str(cfg)], capsys)
        assert code == 2 and "TF_TEST_ALPACA_KEY is not set" in err
    finally:
        fake.close()
