"""``tradefleet train`` and ``tradefleet models list|promote|rollback`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradefleet.app.cli.main import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    main(argv)
    return json.loads(capsys.readouterr().out)


def test_train_list_promote_rollback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "tradefleet.toml"
    cfg.write_text(f'[ml]\nroot = "{tmp_path / "models"}"\nn_estimators = 10\nn_splits = 2\nauto_promote = false\n')
    c = ["--config", str(cfg), "--json"]
    rows = _run(["train", "goog", *c], capsys)
    assert rows[0]["asset"] == "GOOG" and rows[0]["version"] == 1 and rows[0]["promoted"] is False
    assert rows[0]["baseline_logloss"] > 0
    assert _run(["train", "GOOG", "--model", "lightgbm", "--promote", *c], capsys)[0]["promoted"] is True
    listed = _run(["models", "list", *c], capsys)
    assert [(r["version"], r["kind"], r["promoted"]) for r in listed] == [(1, "xgboost", False), (2, "lightgbm", True)]
    assert _run(["models", "promote", "GOOG", "1", *c], capsys) == {"asset": "GOOG", "promoted": 1}
    assert _run(["models", "rollback", "GOOG", *c], capsys) == {"asset": "GOOG", "promoted": 2}


def test_cli_errors_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "empty")
    with pytest.raises(SystemExit) as exc:
        main(["models", "rollback", "SPX", "--root", root])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: models SPX: nothing to roll back") and "\n" not in err
    with pytest.raises(SystemExit) as exc:
        main(["train", "SPX", "--model", "svm", "--root", root])
    assert exc.value.code == 2


def test_train_until_is_point_in_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "tradefleet.toml"
    cfg.write_text(f'[ml]\nroot = "{tmp_path / "models"}"\nn_estimators = 10\nn_splits = 2\nauto_promote = false\n')
    c = ["--config", str(cfg), "--json"]
    rows = _run(["train", "goog", "--until", "2008-12-31", *c], capsys)
    assert rows[0]["version"] == 1 and not rows[0]["error"]
    listed = _run(["models", "list", *c], capsys)
    assert "2008-06" < listed[0]["train_end"] <= "2008-12-31T23:59:59"
    _run(["train", "goog", *c], capsys)  # without a cut-off: the whole bundled history
    assert _run(["models", "list", *c], capsys)[1]["train_end"] > "2012-01-01"
    with pytest.raises(SystemExit) as exc:
        main(["train", "goog", "--until", "2008-13-45", *c])
    assert exc.value.code == 2
