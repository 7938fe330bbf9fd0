"""``tradefleet data list|fetch|check`` through the real CLI entry point (--json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradefleet.app.cli.main import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEFLEET__DATA__CACHE_DIR", str(tmp_path / "cache"))
    for k in ("FRED_API_KEY", "ODDS_API_KEY", "NEWSAPI_KEY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.chdir(tmp_path)


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["data", "list", "--json"], capsys)
    view = json.loads(out)
    assert code == 0 and view["chain"] == ["bundled", "file"]
    fred = next(s for s in view["sources"] if s["name"] == "fred")
    assert fred["mode"] == "offline" and fred["key"] == "env:FRED_API_KEY" and not fred["key_set"]
    assert {d["symbol"] for d in view["datasets"]} == {"SPX", "IXIC", "GOOG", "EUR/USD", "BTC/USD"}


def test_fetch_bars_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["data", "fetch", "sp500", "--timeframe", "1w", "--at", "2012-05-01", "--json"], capsys)
    view = json.loads(out)
    assert code == 0 and view["source"] == "bundled" and view["symbol"] == "SPX" and not view["skipped"]
    assert view["bars"]["tail"][-1]["ts"] == "2012-04-29 00:00:00+00:00"


def test_fetch_unknown_symbol_is_a_skip(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["data", "fetch", "NOPE", "--any-age", "--json"], capsys)
    view = json.loads(out)
    assert view["skipped"] and view["source"] is None and len(view["attempts"]) == 2


def test_fetch_source_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["data", "fetch", "clevelandfed", "--json"], capsys)
    view = json.loads(out)
    assert code == 0 and view["value"]["month"] == "2026-11" and view["provenance"]["offline"] is True


def test_check_bad_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("ts,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,1\n2024-01-02,10,11,9,10.5,1\n"
                 "2024-01-03,10,11,9,-1,1\n")
    code, out, _ = _run(["data", "check", str(p), "--json"], capsys)
    view = json.loads(out)
    assert code == 1 and not view["ok"]
    assert [(f["kind"], f["row"]) for f in view["findings"]] == [("duplicate", 2), ("price", 3), ("ohlc", 3)]


def test_check_good_symbol_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["data", "check", "goog"], capsys)
    assert code == 0 and "GOOG via bundled: 2148 1d bars, OK" in out


def test_check_missing_file_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["data", "check", "missing.csv"], capsys)
    assert code == 2 and err.strip() == "error: missing.csv: data file not found"
