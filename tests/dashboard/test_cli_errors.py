"""``telegram`` with a refused token or an unreachable API, ``run --dashboard`` and
``dashboard`` on a taken port: one line, no traceback, nothing created."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tradefleet.app.cli.main import main
from tests.fakes.telegram import FakeTelegram


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("TRADEFLEET__DASHBOARD__SECRET_KEY", "TRADEFLEET__DASHBOARD__PASSWORD_HASH", "TRADEFLEET__DASHBOARD__PORT"):
        monkeypatch.delenv(key, raising=False)


def fail(capsys: pytest.CaptureFixture[str], argv: list[str], code: int) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def fake_tg(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    monkeypatch.setenv("TRADEFLEET__TELEGRAM__TOKEN", '"env:TF_TG_TOKEN"')
    monkeypatch.setenv("TRADEFLEET__TELEGRAM__BASE_URL", f'"{fake.base_url}"')
    monkeypatch.setenv("TRADEFLEET__TELEGRAM__BASE_FILE_URL", f'"{fake.base_file_url}"')
    yield fake
    fake.close()


def test_telegram_refused_token(fake_tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("TF_TG_TOKEN", "999:WRONG-TOKEN")
    line = fail(capsys, ["telegram", "--store", f"sqlite:///{tmp_path}/s.db"], 2)
    assert line.startswith("error: telegram.token (env:TF_TG_TOKEN): the Telegram Bot API at ")
    assert "WRONG-TOKEN" not in line  # the secret itself is never printed
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_telegram_unreachable_api(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                  tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TRADEFLEET__TELEGRAM__TOKEN", '"env:TF_TG_TOKEN"')
    monkeypatch.setenv("TF_TG_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("TRADEFLEET__TELEGRAM__BASE_URL", f'"http://127.0.0.1:{port}/bot"')
    line = fail(capsys, ["telegram", "--store", f"sqlite:///{tmp_path}/s.db"], 1)
    assert line.startswith(f"error: telegram: cannot reach the Telegram Bot API at http://127.0.0.1:{port}/bot")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_run_dashboard_on_a_taken_port(taken_port: int, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("TRADEFLEET__DASHBOARD__PORT", str(taken_port))
    line = fail(capsys, ["run", "--dashboard", "--no-view", "--bot", "spx-sma-trend"], 2)
    assert line.startswith(f"error: dashboard.port {taken_port} on 127.0.0.1: cannot listen")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no var/tradefleet.db


def test_dashboard_on_a_taken_port(taken_port: int, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = fail(capsys, ["dashboard", "--port", str(taken_port)], 2)
    assert f"dashboard.port {taken_port} on 127.0.0.1: cannot listen" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []
