from pathlib import Path

import pytest

from tradefleet.app.config import STARTER, AppConfig, check_config, env_overlay, load_config
from tradefleet.orchestrator.errors import ConfigError


def test_config_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config(None, environ={})
    assert cfg == AppConfig()
    assert cfg.pipeline.stages[-1] == "risk"


def test_config_starter_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "tradefleet.toml"
    path.write_text(STARTER)
    cfg, errors = check_config(path, environ={})
    assert errors == [] and cfg is not None


def test_config_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[risk]\nmax_postions = 3\n[engine]\nstarting_cash = -5\n")
    cfg, errors = check_config(path, environ={})
    assert cfg is None
    assert f"{path}: risk.max_postions: unknown key" in errors
    assert any(e.startswith(f"{path}: engine.starting_cash:") and "greater than 0" in e for e in errors)


def test_config_malformed_toml_reports_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[engine\nstore_url = 1\n")
    with pytest.raises(ConfigError, match=r"broken.toml:1: not valid TOML: .*column"):
        load_config(path, environ={})


def test_config_env_overlay_parses_values() -> None:
    env = {"TRADEFLEET__ENGINE__STARTING_CASH": "5000", "TRADEFLEET__RISK__ALLOW_SHORT": "false",
           "TRADEFLEET__ENGINE__STORE_URL": "sqlite:///x.db", "OTHER": "1"}
    data = env_overlay({"engine": {"currency": "EUR"}}, env)
    cfg = AppConfig.model_validate(data)
    assert cfg.engine.starting_cash == 5000 and cfg.engine.currency == "EUR"
    assert cfg.risk.allow_short is False and cfg.engine.store_url == "sqlite:///x.db"


def test_config_env_overlay_error_is_reported(tmp_path: Path) -> None:
    cfg, errors = check_config(None, environ={"TRADEFLEET__RISK__MAX_POSITIONS": "zero"})
    assert cfg is None and errors[0].startswith("(defaults): risk.max_positions:")


def test_config_secrets_must_be_env_references(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[accounts.alpaca]\nvenue = "alpaca"\napi_key = "AKIAREALKEY"\n')
    _, errors = check_config(path, environ={})
    assert any("accounts.alpaca.api_key" in e and "env:" in e for e in errors)
    assert not any("AKIAREALKEY" in e for e in errors)


def test_config_secret_ref_resolves(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[accounts.alpaca]\nvenue = "alpaca"\napi_key = "env:ALPACA_KEY"\n')
    cfg = load_config(path, environ={})
    key = cfg.accounts["alpaca"].api_key
    assert key is not None
    assert key.resolve({"ALPACA_KEY": "s3cret"}).get_secret_value() == "s3cret"
    with pytest.raises(ConfigError, match="ALPACA_KEY is not set"):
        key.resolve({})


def test_config_pipeline_requires_risk_last() -> None:
    with pytest.raises(Exception, match="last stage must be a risk gate"):
        AppConfig.model_validate({"pipeline": {"stages": ["risk", "veto"]}})


def test_config_starter_with_every_section_uncommented_is_valid(tmp_path: Path) -> None:
    import re

    from tradefleet.app.config import starter_text

    text = starter_text()
    for name in ("[regime]", "[ensemble]", "[veto]", "[fleet]", "[dashboard]", "[telegram]", "[data]",
                 "[validation]", "[risk.exits]"):
        assert f"# {name}" in text
    keyline = re.compile(r"^# (\[[a-z_.\-]+\]|[a-z_0-9]+ = .+)$")
    uncommented = "\n".join(m.group(1) if (m := keyline.match(line)) else line for line in text.splitlines())
    path = tmp_path / "full.toml"
    path.write_text(uncommented)
    cfg, errors = check_config(path, environ={})
    assert errors == [] and cfg is not None
