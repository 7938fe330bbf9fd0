"""``tradefleet options positions [--json]`` and the dashboard's ``/options`` on a real replay's store.

The wheel sells a cash-secured put on the generated (synthetic) ``XYZ`` path of
:mod:`tests.risk.options.test_engine_options`; at the end of the replay the put is open. Its
row is checked by hand: premium = the fill price, days to expiry, collateral = strike x 100,
mark = Bjerksund-Stensland at the last close and the GARCH vol of the closes up to it.
The dashboard serves the same numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradefleet.app.cli.main import build_app
from tradefleet.bots.options.traded import GOOG_WHEEL
from tradefleet.orchestrator.occ import parse_occ
from tradefleet.risk.options.american import bjerksund_stensland_valuation
from tradefleet.risk.options.vol import garch_filter_vol
from tests.risk.options.test_engine_options import _close_on, _fills, _path, _run, _sessions


@pytest.fixture(scope="module")
def wheel_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    tmp = tmp_path_factory.mktemp("wheel")
    days = _sessions("2015-01-02", "2015-02-20")
    frame = _path(days, {})
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    _, con = _run(tmp, spec, frame, "XYZ", "2015-01-02", "2015-02-20")
    assert len(_fills(con)) == 1
    cfg = tmp / "tradefleet.toml"
    cfg.write_text(f'[replay.data]\nXYZ = "{tmp / "generated_xyz.parquet"}"\n')
    return tmp / "run.db", cfg, frame


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(build_app(), ["options", "positions", *args], env={"COLUMNS": "220"})
    return res.exit_code, res.output


def test_positions_json_marks_the_open_put_by_hand(wheel_store: tuple[Path, Path, object]) -> None:
    db, cfg, frame = wheel_store
    code, out = _cli("--json", "--store", f"sqlite:///{db}", "--config", str(cfg))
    assert code == 0, out
    view = json.loads(out)
    [leg] = view["legs"]
    put = parse_occ(leg["symbol"])
    import sqlite3

    fill = _fills(sqlite3.connect(db))[0]
    assert leg["premium"] == pytest.approx(fill[3]) and leg["contracts"] == -1.0 and leg["right"] == "put"
    assert leg["days_to_expiry"] == (put.expiry - date(2015, 2, 20)).days == 28
    spot = _close_on(frame, "2015-02-20")
    closes = frame["close"][frame.index <= frame.index[frame.index.tz_convert("America/New_York")
                                                      .strftime("%Y-%m-%d") == "2015-02-20"][0]]
    vol = float(garch_filter_vol(closes).iloc[-1])
    asof = int(frame.index[-1].value)
    years = (put.expiry_ns() - asof) / (365 * 86_400e9)
    val = bjerksund_stensland_valuation("put", spot, float(put.strike), years, 0.02, vol, 0.0)
    assert leg["mark"] == pytest.approx(float(val.price), abs=1e-4)
    assert leg["value"] == pytest.approx(-100 * float(val.price), abs=0.01)
    assert leg["pnl"] == pytest.approx(-100 * (float(val.price) - fill[3]), abs=0.01)
    assert leg["delta"] == pytest.approx(-100 * float(val.delta), abs=1e-3) and leg["delta"] > 0  # short put: long delta
    [s] = view["structures"]
    assert s["collateral"] == 100 * float(put.strike) and s["naked"] is False and s["shares"] == 0
    assert view["totals"]["collateral"] == s["collateral"] and "model marks" in view["source"]
    assert not math.isnan(view["totals"]["theta"])
    code, text = _cli("--store", f"sqlite:///{db}", "--config", str(cfg))
    assert code == 0 and leg["symbol"] in text and "collateral" in text


def test_dashboard_options_panel_shows_the_same_numbers(wheel_store: tuple[Path, Path, object], tmp_path: Path) -> None:
    from tradefleet.app.config import load_config
    from tradefleet.dashboard.app import create_app
    from tradefleet.orchestrator.clock import SimClock

    db, cfg, _ = wheel_store
    code, out = _cli("--json", "--store", f"sqlite:///{db}", "--config", str(cfg))
    assert code == 0
    config = load_config(cfg)
    config = config.model_copy(update={"dashboard": config.dashboard.model_copy(
        update={"reports_dir": str(tmp_path / "reports")})})
    app = create_app(config, f"sqlite:///{db}", SimClock(1_750_000_000 * 10**9), specs={})
    app.config["TESTING"] = True
    client = app.test_client()
    api = client.get("/api/options").get_json()
    assert api == json.loads(out)
    page = client.get("/options").get_data(as_text=True)
    assert api["legs"][0]["symbol"] in page and "option-structures" in page
    app.extensions["tradefleet"]["store"].close()


def test_positions_bad_input_is_one_line_exit_2(wheel_store: tuple[Path, Path, object],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from tradefleet.app.cli.main import main

    db, cfg, _ = wheel_store
    for args, word in ((("--spot", "XYZ=abc"), "--spot"), (("--vol", "XYZ"), "--vol"), (("--spot", "XYZ=-1"), "--spot"),
                       (("--asof", "yesterday"), "--asof"), (("--rate", "x"), "--rate")):
        with pytest.raises(SystemExit) as exc:
            main(["options", "positions", "--store", f"sqlite:///{db}", "--config", str(cfg), *args])
        err = capsys.readouterr().err
        assert exc.value.code == 2, (args, err)
        assert word in err and len(err.strip().splitlines()) == 1, err
