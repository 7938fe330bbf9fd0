"""Read-only commands never create anything; a command that finds no store names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradefleet.app.cli.main import main
from tests.orchestrator.test_preflight import snapshot


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRADEFLEET__ENGINE__STORE_URL", raising=False)


def exit_code(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_status_on_a_missing_store_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/nonexistent/dir/x.db"
    assert exit_code("status", "--store", url) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: store {tmp_path}/nonexistent/dir/x.db: no store there; nothing has run against it yet " \
                  "('tradefleet run' creates it), or pass --store"
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.parametrize("argv", [["status"], ["risk"], ["regime", "show", "SPX"], ["lease", "status"]])
def test_store_readers_name_the_missing_default_store(argv: list[str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(*argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: store var/tradefleet.db: no store there; nothing has run against it yet "
                   "('tradefleet run' creates it), or pass --store"]
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("argv", [["bots", "list", "--json"], ["bots", "show", "spx-sma-trend"], ["data", "list"],
                                  ["config", "check", "tradefleet.toml"]])
def test_other_read_only_commands_create_nothing(argv: list[str], tmp_path: Path) -> None:
    Path("tradefleet.toml").write_text('[engine]\ncurrency = "USD"\n')
    before = snapshot(tmp_path)
    assert exit_code(*argv) == 0
    assert snapshot(tmp_path) == before


def test_a_database_without_the_schema_is_not_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.close()
    before = snapshot(tmp_path)
    assert exit_code("status", "--store", f"sqlite:///{other}") == 1
    assert "no tradefleet store in this database" in capsys.readouterr().err
    assert snapshot(tmp_path) == before  # not migrated, not switched to WAL


def test_status_reads_an_existing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tradefleet.orchestrator.store import Store

    Store.open(f"sqlite:///{tmp_path}/s.db").close()
    assert exit_code("status", "--store", f"sqlite:///{tmp_path}/s.db", "--json") == 0
    assert json.loads(capsys.readouterr().out)["fleet"]["halted"] is False
