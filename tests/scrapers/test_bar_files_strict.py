"""Bar files: holes judged on the instrument's calendar, one timezone convention, and every
refusal naming the file, the 1-based line and the value; nothing is kept from a bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.files import load_bar_file


def bars(index: pd.DatetimeIndex) -> pd.DataFrame:
    c = 100 + np.cumsum(np.random.default_rng(1).normal(0, 0.3, len(index)))
    return pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c, "volume": 10.0},
                        index=index.rename("ts"))


def write(tmp_path: Path, frame: pd.DataFrame, fmt: str = "%Y-%m-%dT%H:%M:%SZ", name: str = "bars.csv") -> Path:
    p = tmp_path / name
    frame.to_csv(p, date_format=fmt)
    return p


HOURLY_24_7 = pd.date_range("2024-01-01", periods=600, freq="h", tz="UTC")


def test_a_50_bar_hole_in_a_24_7_hourly_series_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, bars(HOURLY_24_7).drop(HOURLY_24_7[100:150]))
    with pytest.raises(DataError) as err:
        load_bar_file(p)
    assert str(err.value) == (f"{p}: line 102 (2024-01-07 06:00:00+00:00): 50 missing 1h bars since "
                              "2024-01-05 03:00:00+00:00 (CRYPTO calendar; at most 3 allowed); "
                              "the first missing bar is 2024-01-05 04:00Z")


def test_missing_bar_limit_is_configurable(tmp_path: Path) -> None:
    p = write(tmp_path, bars(HOURLY_24_7).drop(HOURLY_24_7[100:104]))
    with pytest.raises(DataError, match="4 missing 1h bars"):
        load_bar_file(p, calendar="CRYPTO")
    assert len(load_bar_file(p, calendar="CRYPTO", max_missing=4)) == 596


def test_fx_weekends_are_not_holes_but_crypto_weekends_are(tmp_path: Path) -> None:
    fx = pd.date_range("2024-01-01", "2024-03-01", freq="h", tz="UTC")
    from tradefleet.orchestrator.calendars import get_calendar

    cal = get_calendar("FX")
    fx = fx[[cal.is_open(int(t) - 1) for t in fx.as_unit("ns").asi8]]  # bars close while the market is open
    p = write(tmp_path, bars(fx))
    assert len(load_bar_file(p, calendar="FX")) == len(fx)
    assert len(load_bar_file(p)) == len(fx)  # inferred: 24/5
    with pytest.raises(DataError, match="CRYPTO calendar"):
        load_bar_file(p, calendar="CRYPTO")


def test_nyse_daily_holidays_and_weekends_pass(tmp_path: Path) -> None:
    from tradefleet.orchestrator.calendars import get_calendar

    cal = get_calendar("NYSE")
    days = cal.sessions(pd.Timestamp("2001-08-01").date(), pd.Timestamp("2002-01-31").date())  # 9/11 closure
    p = write(tmp_path, bars(pd.DatetimeIndex([pd.Timestamp(d, tz="UTC") for d in days])), fmt="%Y-%m-%d")
    assert len(load_bar_file(p, calendar="NYSE", timeframe="1d")) == len(days)


def test_naive_timestamps_are_refused_unless_declared(tmp_path: Path) -> None:
    p = write(tmp_path, bars(HOURLY_24_7[:50]), fmt="%Y-%m-%d %H:%M:%S")
    with pytest.raises(DataError, match=r"line 2: timestamp '2024-01-01 00:00:00' has no timezone"):
        load_bar_file(p)
    f = load_bar_file(p, tz="America/New_York")
    assert f.index[0] == pd.Timestamp("2024-01-01 05:00", tz="UTC")


def test_mixed_naive_and_utc_timestamps_are_refused(tmp_path: Path) -> None:
    p = write(tmp_path, bars(HOURLY_24_7[:50]))
    lines = p.read_text().splitlines()
    lines[5] = lines[5].replace("Z,", ",", 1)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 6: timestamp '2024-01-01T04:00:00' has no UTC offset but line 2"):
        load_bar_file(p)
    with pytest.raises(DataError, match="one convention per file"):
        load_bar_file(p, tz="UTC")


@pytest.mark.parametrize(
    ("line", "old", "new", "message"),
    [
        (4, "T02:00:00Z", "T02:00:00Z", None),
        (7, "2024-01-01T05", "2024-13-01T05", r"line 7: '2024-13-01T05:00:00Z' is not a timestamp \(month must be in 1..12\)"),
        (7, "2024-01-01T05", "2024-02-30T05", r"line 7: '2024-02-30T05:00:00Z' is not a timestamp \(day is out of range"),
        (9, "2024-01-01T07:00:00Z", "yesterday", r"line 9: 'yesterday' is not a timestamp"),
    ],
)
def test_bad_dates_name_the_line_and_value(tmp_path: Path, line: int, old: str, new: str, message: str | None) -> None:
    p = write(tmp_path, bars(HOURLY_24_7[:50]))
    lines = p.read_text().splitlines()
    lines[line - 1] = lines[line - 1].replace(old, new)
    p.write_text("\n".join(lines) + "\n")
    if message is None:
        assert len(load_bar_file(p)) == 50
        return
    with pytest.raises(DataError, match=message) as err:
        load_bar_file(p)
    assert str(err.value).startswith(f"{p}: ")


def test_non_numeric_value_is_named(tmp_path: Path) -> None:
    p = write(tmp_path, bars(HOURLY_24_7[:50]))
    lines = p.read_text().splitlines()
    cells = lines[10].split(",")
    cells[4] = "n/a"
    lines[10] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"^{p}: line 11: close 'n/a' is not a number$"):
        load_bar_file(p)


def test_decimal_commas_are_named(tmp_path: Path) -> None:
    text = "ts;open;high;low;close;volume\n2024-01-01T00:00:00Z;1.5;2;1;1.5;3\n2024-01-01T01:00:00Z;1,6;2;1;1.5;3\n"
    (tmp_path / "eu.csv").write_text(text)
    with pytest.raises(DataError, match=r"eu.csv: line 3: open '1,6' is not a number \(decimal comma\? write '1.6'\)"):
        load_bar_file(tmp_path / "eu.csv")
    (tmp_path / "us.csv").write_text(text.replace(";", ","))
    with pytest.raises(DataError, match=r"us.csv: line 3: 7 fields where the header has 6 \(a decimal comma"):
        load_bar_file(tmp_path / "us.csv")


def test_nothing_is_stored_from_a_file_that_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from tradefleet.app.cli.main import main
    from tests.orchestrator.test_preflight import snapshot

    monkeypatch.chdir(tmp_path)
    p = write(tmp_path, bars(pd.date_range("2005-01-03", periods=400, freq="B", tz="UTC")), fmt="%Y-%m-%d")
    lines = p.read_text().splitlines()
    lines[300] = lines[300].replace(".", ",", 1)
    p.write_text("\n".join(lines) + "\n")
    Path("tradefleet.toml").write_text(f'[replay.data]\nSPX = "{p.name}"\n')
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["run", "--no-view", "--bot", "spx-sma-trend"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and f"{p.name}: line 301: " in err[0]
    assert snapshot(tmp_path) == before  # no var/, no store, no run row


def test_data_check_reports_the_calendar_hole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from tradefleet.app.cli.main import main

    monkeypatch.chdir(tmp_path)
    p = write(tmp_path, bars(HOURLY_24_7).drop(HOURLY_24_7[100:150]))
    with pytest.raises(SystemExit) as exc:
        main(["data", "check", str(p), "--json"])
    view = json.loads(capsys.readouterr().out)
    assert exc.value.code == 1 and not view["ok"]
    gap = view["findings"][0]
    assert gap["kind"] == "gap" and gap["row"] == 101 and "50 missing 1h bars" in gap["detail"]
    assert "first missing bar is 2024-01-05 04:00Z" in gap["detail"]
