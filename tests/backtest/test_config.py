"""The [validation] section: defaults, file and environment overrides, unknown keys."""

from __future__ import annotations

from pathlib import Path

from tradefleet.app.config import check_config


def test_validation_section_from_file_and_env(tmp_path: Path) -> None:
    path = tmp_path / "tradefleet.toml"
    path.write_text("[validation]\nmin_trades = 50\nmin_sharpe = 0.8\n")
    cfg, errors = check_config(path, {"TRADEFLEET__VALIDATION__MIN_WIN_RATE": "0.5"})
    assert errors == [] and cfg is not None
    v = cfg.validation
    assert (v.min_trades, v.min_sharpe, v.min_win_rate, v.require_clean_lookahead) == (50, 0.8, 0.5, True)


def test_validation_section_rejects_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "tradefleet.toml"
    path.write_text("[validation]\nmin_trade = 50\n")
    cfg, errors = check_config(path, {})
    assert cfg is None and errors == [f"{path}: validation.min_trade: unknown key"]
