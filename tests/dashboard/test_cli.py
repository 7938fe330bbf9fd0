"""``tradefleet dashboard`` / ``tradefleet telegram`` refuse to start with one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefleet.app.cli.main import main


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./tradefleet.toml, a private ./var
    for key in ("TRADEFLEET__DASHBOARD__SECRET_KEY", "TRADEFLEET__DASHBOARD__PASSWORD_HASH",
                "TRADEFLEET__TELEGRAM__TOKEN"):
        monkeypatch.delenv(key, raising=False)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    return err


def test_dashboard_refuses_public_bind_without_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _run(["dashboard", "--host", "0.0.0.0", "--store", f"sqlite:///{tmp_path}/s.db"], capsys)
    assert err.startswith("error: dashboard on 0.0.0.0: refusing to bind a non-loopback address without a password")


def test_dashboard_refuses_short_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRADEFLEET__DASHBOARD__SECRET_KEY", '"env:TF_KEY"')
    monkeypatch.setenv("TF_KEY", "changeme")
    err = _run(["dashboard", "--port", "0", "--store", f"sqlite:///{tmp_path}/s.db"], capsys)
    assert "secret key env:TF_KEY is a default or shorter than 32 characters" in err


def test_telegram_needs_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert "[telegram].token" in _run(["telegram"], capsys)


def test_telegram_token_variable_missing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRADEFLEET__TELEGRAM__TOKEN", '"env:TF_TG_MISSING"')
    monkeypatch.delenv("TF_TG_MISSING", raising=False)
    assert "TF_TG_MISSING is not set" in _run(["telegram"], capsys)


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_dashboard_refuses_out_of_range_port(tmp_path: Path, port: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = _run(["dashboard", "--port", port, "--store", f"sqlite:///{tmp_path}/s.db"], capsys)
    assert err == f"error: dashboard port {port}: must be between 0 and 65535"
    assert not (tmp_path / "s.db").exists()  # refused before anything was opened
