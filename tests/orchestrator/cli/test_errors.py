"""The one mechanism for bad arguments: one line on stderr naming what and where, exit 2;
a plugin's exception is that bot's one-line error; a command that did nothing exits non-zero.

Each listed command defect of issue #19 has its own test here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefleet.app.cli.main import main
from tests.fakes.plugin_dist import RAISING_BOT, install_plugin


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./tradefleet.toml; anything created would land here


def fail(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 2) -> str:
    """Run the CLI expecting exit ``code`` and exactly one stderr line; return that line."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    err = capsys.readouterr().err
    assert exc.value.code == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert fail(capsys, "backtest", "spx-sma-trend", "--nosuch") == "error: tradefleet backtest: No such option: --nosuch"
    assert "'--fee' requires an argument" in fail(capsys, "backtest", "spx-sma-trend", "--fee")
    assert "No such command 'nosuch'" in fail(capsys, "data", "nosuch")
    assert "Missing argument" in fail(capsys, "backtest")


def test_backtest_negative_fee(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "backtest", "spx-sma-trend", "--fee", "-1")
    assert line.startswith("error: tradefleet backtest: --fee -1.0: ") and "greater than or equal to 0" in line


def test_backtest_impossible_date(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "backtest", "spx-sma-trend", "--from", "2008-13-45")
    assert "'--from': '2008-13-45' is not a date" in line and "month must be in 1..12" in line


def test_montecarlo_zero_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert "'--runs'" in fail(capsys, "montecarlo", "spx-sma-trend", "--runs", "0", "--workers", "1")


def test_optimize_non_numeric_range(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "optimize", "spx-sma-trend", "-p", "fast=a:b:c", "--workers", "1")
    assert line == "error: tradefleet optimize: --param 'fast=a:b:c': 'a' is not a number"


def test_optimize_unknown_param(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "optimize", "spx-sma-trend", "-p", "nosuch=1,2", "--workers", "1")
    assert "bot spx-sma-trend has no param 'nosuch'" in line and "fast, slow" in line


def test_optimize_every_combination_failing_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "optimize", "spx-sma-trend", "-p", "fast=300,400", "--workers", "1", code=1)
    assert "all 2 combinations failed" in line and "fast: Input should be less than or equal to 250" in line


def test_data_fetch_unknown_symbol_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "data", "fetch", "NOPE", code=1)
    assert "NOPE" in line and "no valid source" in line


@pytest.fixture
def boom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party bot, installed through an entry point, whose compute raises."""
    (tmp_path / "site").mkdir()
    install_plugin(tmp_path / "site", monkeypatch, "boomplugin", RAISING_BOT,
                   {"tradefleet.bots": {"boom-bot": "boomplugin:BOOM"}})


@pytest.mark.usefixtures("boom")
def test_backtest_of_a_bot_whose_compute_raises(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "backtest", "boom-bot", code=1)
    assert line == "error: bot boom-bot while backtesting: RuntimeError: boom at bar 0"


@pytest.mark.usefixtures("boom")
def test_montecarlo_and_optimize_of_a_raising_bot(capsys: pytest.CaptureFixture[str]) -> None:
    assert "bot boom-bot" in fail(capsys, "montecarlo", "boom-bot", "--runs", "5", "--workers", "1", code=1)
    line = fail(capsys, "optimize", "boom-bot", "-p", "n=1,2", "--workers", "1", code=1)
    assert "all 2 combinations failed" in line and "RuntimeError: boom at bar 0" in line


@pytest.mark.usefixtures("boom")
def test_validate_reports_a_raising_bot_as_its_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "boom-bot", "--store", str(tmp_path / "v"), "--json"])
    out = capsys.readouterr()
    assert exc.value.code == 1 and "Traceback" not in out.err
    assert "boom at bar 0" in out.out


def test_report_path_that_is_a_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert "'--report': file '.' is a directory" in fail(capsys, "backtest", "spx-sma-trend", "--report", ".")


def test_malformed_cluster_address(capsys: pytest.CaptureFixture[str]) -> None:
    line = fail(capsys, "optimize", "spx-sma-trend", "--cluster", "abc", "-p", "fast=10,20")
    assert line.startswith("error: cluster 'abc': not a Dask scheduler address like tcp://HOST:8786")


def test_train_root_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    assert fail(capsys, "train", "--root", "afile") == "error: tradefleet train: --root 'afile': is a file; give the model registry folder"


@pytest.mark.parametrize("name", ["x" * 10_000, "spx\u202esma", "a\x00b", "../../escape", " "])
def test_odd_bot_names_on_the_command_line(capsys: pytest.CaptureFixture[str], name: str) -> None:
    line = fail(capsys, "backtest", name)
    assert line.startswith("error: no bot named ") and len(line) < 200 and line.isascii()
