"""The kernel's extension points, filled by an installed third-party package: a config
section, a CLI sub-command and a runtime hook, each found through its entry-point group."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fakes.plugin_dist import install_plugin

PLUGIN = '''
from tradefleet.orchestrator.sections import Section

EVENTS = []


class WeatherConfig(Section):
    city: str = "NYC"
    every_minutes: int = 15


def register(app):
    @app.command("weather-hello")
    def hello(city: str = "NYC") -> None:
        """Say hello from a plugin."""
        print(f"hello from the weather plugin, {city}")


class Hook:
    def __init__(self, runner):
        self.runner = runner

    def start(self):
        EVENTS.append(("start", self.runner))

    def stop(self):
        EVENTS.append(("stop", self.runner))


def hook(runner):
    return Hook(runner)


def no_hook(runner):
    return None
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    install_plugin(tmp_path, monkeypatch, "tf_weather_ext", PLUGIN, {
        "tradefleet.sections": {"weather": "tf_weather_ext:WeatherConfig"},
        "tradefleet.commands": {"weather": "tf_weather_ext:register", "broken": "tf_weather_ext:nowhere"},
        "tradefleet.hooks": {"weather": "tf_weather_ext:hook", "idle": "tf_weather_ext:no_hook",
                             "broken": "tf_weather_missing:hook"},
    })
    import tf_weather_ext

    return tf_weather_ext


def test_plugin_command_joins_the_cli_and_a_broken_one_is_left_out(plugin) -> None:  # type: ignore[no-untyped-def]
    from tradefleet.app.cli.main import build_app

    res = CliRunner().invoke(build_app(), ["weather-hello", "--city", "LON"])
    assert res.exit_code == 0 and "hello from the weather plugin, LON" in res.output


def test_plugin_section_is_validated_like_a_built_in_one(plugin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tradefleet.app.config import check_config, starter_text

    good = tmp_path / "good.toml"
    good.write_text('[weather]\ncity = "LON"\n')
    cfg, errors = check_config(good, environ={})
    assert errors == [] and cfg is not None and cfg.weather.city == "LON" and cfg.weather.every_minutes == 15
    bad = tmp_path / "bad.toml"
    bad.write_text('[weather]\ncity = "LON"\ncolour = "red"\n')
    cfg, errors = check_config(bad, environ={})
    assert cfg is None and any("weather.colour" in e for e in errors)
    cfg, errors = check_config(good, environ={"TRADEFLEET__WEATHER__EVERY_MINUTES": "5"})
    assert cfg is not None and cfg.weather.every_minutes == 5
    assert "[weather]" in starter_text()


def test_without_plugins_the_config_is_the_built_in_one() -> None:
    from tradefleet.app.config import AppConfig, app_config_class

    assert app_config_class() is AppConfig


def test_plugin_hooks_start_and_a_broken_one_is_left_out(plugin) -> None:  # type: ignore[no-untyped-def]
    from tradefleet.app.live import _start_hooks

    runner = object()
    hooks = _start_hooks(runner)  # type: ignore[arg-type]
    assert len(hooks) == 1 and plugin.EVENTS == [("start", runner)]
    hooks[0].stop()
    assert plugin.EVENTS[-1] == ("stop", runner)
