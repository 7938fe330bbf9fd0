"""``tradefleet validate --fleet``: a crafted fleet (two SPX bots named into fleet "crafted"
by ``[risk] fleet_of``) with a known answer.

The answer is computed independently of the gate: a separate replay of the same two bots
over the same window gives the equity curve, from which the test derives the Sharpe (per-
mark returns, annualised by the marks' own frequency), the deepest drawdown, the walk-
forward folds' out-of-sample Sharpe, and the members' P&L (which must add up to the
equity's change). The thresholds are then placed on either side of those numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tradefleet.app.cli.main import main
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay
from tradefleet.orchestrator.store import Store

BOTS = ["spx-sma-trend", "spx-rsi2"]
START, END = "2009-01-01", "2011-12-31"
YEAR_NS = 365.25 * 86_400 * 1e9


def _toml(path: Path, validation: dict[str, float]) -> Path:
    lines = ["[risk.fleet_of]", *(f'"{b}" = "crafted"' for b in BOTS), "", "[validation]",
             *(f"{k} = {v}" for k, v in validation.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sharpe(ts: np.ndarray, eq: np.ndarray) -> float:
    r = eq[1:] / eq[:-1] - 1
    return float(r.mean() / r.std(ddof=1) * math.sqrt(len(r) / ((ts[-1] - ts[0]) / YEAR_NS)))


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    tmp = tmp_path_factory.mktemp("expected")
    cfg = AppConfig.model_validate({"risk": {"fleet_of": dict.fromkeys(BOTS, "crafted")}})
    s = run_replay(cfg, bots=BOTS, start=START, end=END, store_url=f"sqlite:///{tmp}/x.db")
    store = Store.open(f"sqlite:///{tmp}/x.db")
    try:
        pts = store.equity_curve(s.account)
    finally:
        store.close()
    ts = np.array([p.ts_ns for p in pts], dtype=float)
    eq = np.array([float(p.equity) for p in pts])
    dd = float(np.max(1 - eq / np.maximum.accumulate(eq)))
    # walk-forward: 4 out-of-sample folds after one warm-up fold of equal time
    cut = ts[0] + (ts[-1] - ts[0]) / 5
    k = int(np.searchsorted(ts, cut, side="right")) - 1
    return {"sharpe": _sharpe(ts, eq), "max_drawdown": dd, "oos_sharpe": _sharpe(ts[k:], eq[k:]),
            "trades": sum(b.closed_trades for b in s.bots), "pnl": float(eq[-1] - 100_000.0)}


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """Run the console script's entry point; return (exit code, stdout, stderr)."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def _validate(capsys: pytest.CaptureFixture[str], tmp_path: Path, validation: dict[str, float],
              *extra: str) -> tuple[int, dict]:
    cfg = _toml(tmp_path / "tf.toml", {"wf_folds": 4, **validation})
    code, out, err = _cli(capsys, ["validate", "--fleet", "crafted", "--from", START, "--to", END, "--config", str(cfg),
                                   "--store", str(tmp_path / "vals"), "--json", *extra])
    return code, json.loads(out) if out.startswith("{") else {"output": out, "err": err}


def test_fleet_verdict_matches_the_independent_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      expected: dict[str, float]) -> None:
    assert expected["trades"] > 0 and expected["max_drawdown"] > 0
    go = {"min_trades": expected["trades"], "min_win_rate": 0.0, "min_sharpe": expected["sharpe"] - 0.01,
          "max_drawdown": expected["max_drawdown"] + 0.001, "min_oos_sharpe": expected["oos_sharpe"] - 0.01}
    code, out = _validate(capsys, tmp_path, go, "--report", str(tmp_path / "fleet.html"))
    assert code == 0, out
    r = out["result"]
    assert r["verdict"] == "GO" and r["fleet"] == "crafted"
    assert {m["bot"] for m in r["members"]} == set(BOTS)
    assert r["metrics"]["sharpe"] == pytest.approx(expected["sharpe"], rel=1e-9)
    assert r["metrics"]["max_drawdown"] == pytest.approx(expected["max_drawdown"], rel=1e-9)
    assert r["walk_forward"]["oos_sharpe"] == pytest.approx(expected["oos_sharpe"], rel=1e-9)
    assert [f["role"] for f in r["walk_forward"]["folds"]] == ["warm-up"] + ["out-of-sample"] * 4
    # each member's contribution adds up to the fleet's P&L
    assert sum(m["pnl"] for m in r["members"]) == pytest.approx(expected["pnl"], abs=0.05 * len(BOTS))
    assert r["correlation"]["max_pair"]["a"] in BOTS and -1 <= r["correlation"]["max_pair"]["rho"] <= 1
    assert r["capital"]["account_avg_gross_of_equity"] > 0
    assert all(m["gate"] == "not validated" for m in r["members"])  # no per-bot verdict stored yet
    page = (tmp_path / "fleet.html").read_text(encoding="utf-8")
    assert "fleet validation: crafted" in page and ">GO<" in page and "spx-rsi2" in page and "Plotly" in page
    # the verdict is stored for the fleet, beside the bots' own
    saved = json.loads((tmp_path / "vals" / "fleet:crafted.json").read_text(encoding="utf-8"))
    assert saved["passed"] is True and saved["bot"] == "fleet:crafted"


@pytest.mark.parametrize("failing", ["sharpe", "max_drawdown", "wf_oos_sharpe", "trades"])
def test_fleet_no_go_names_the_failed_check_and_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        expected: dict[str, float], failing: str) -> None:
    thresholds = {"min_trades": expected["trades"], "min_win_rate": 0.0, "min_sharpe": expected["sharpe"] - 0.01,
                  "max_drawdown": expected["max_drawdown"] + 0.001, "min_oos_sharpe": expected["oos_sharpe"] - 0.01}
    key = {"sharpe": "min_sharpe", "max_drawdown": "max_drawdown", "wf_oos_sharpe": "min_oos_sharpe",
           "trades": "min_trades"}[failing]
    thresholds[key] = {"sharpe": expected["sharpe"] + 0.01, "max_drawdown": expected["max_drawdown"] - 0.001,
                       "wf_oos_sharpe": expected["oos_sharpe"] + 0.01, "trades": expected["trades"] + 1}[failing]
    code, out = _validate(capsys, tmp_path, thresholds)
    assert code == 1, out
    assert out["result"]["verdict"] == "NO-GO" and out["result"]["failed"] == [failing]


@pytest.mark.parametrize("args", [
    ["validate", "--fleet", "no-such-fleet"],
    ["validate", "--fleet", "forex", "--all"],
    ["validate", "--fleet", "forex", "--from", "2011-13-01"],
    ["validate", "--fleet", "forex", "--from", "2012-01-01", "--to", "2011-01-01"],
    ["validate", "spx-rsi2", "--from", "2011-01-01"],
])
def test_bad_input_is_one_line_exit_2_and_creates_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                           args: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    code, out, err = _cli(capsys, [*args, "--store", url])
    assert code == 2, out + err
    assert len(err.strip().splitlines()) == 1 and not out
    assert not (tmp_path / "tf.db").exists()


def test_members_on_generated_quotes_keep_the_fleet_from_passing() -> None:
    """The prediction fleet replays the bundled synthetic session: its recorded_data check fails."""
    from tradefleet.app.fleet_validation import _synthetic_members, fleet_members
    from tradefleet.orchestrator.registry import Registry

    reg = Registry.discover()
    members = fleet_members(AppConfig(), reg, "prediction")
    assert _synthetic_members(AppConfig(), reg, members) == [m for m in members
                                                            if reg.bot(m).bot.event_driven]
    assert _synthetic_members(AppConfig(), reg, BOTS) == []
