"""README promises about the whole command line (issue 25): every command has a working
``--help``, every command that reports takes ``--json``, and the environment overrides the
config file key by key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tradefleet.app.cli.main import build_app

#: commands that change state or serve, and print no report (everything else reports)
NOT_REPORTS = {"pause", "resume", "halt", "init", "new-bot", "dashboard", "telegram", "worker",
               "api-token revoke", "lease take"}


def _leaves(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield " ".join(path), cmd


LEAVES = dict(_leaves(typer.main.get_command(build_app())))


def test_the_command_tree_is_what_the_readme_lists() -> None:
    assert len(LEAVES) >= 40 and {"run", "status", "backtest", "validate", "bots list", "bots show"} <= set(LEAVES)
    assert NOT_REPORTS <= set(LEAVES), NOT_REPORTS - set(LEAVES)  # the exceptions still exist


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_command_has_help(path: str) -> None:
    res = CliRunner().invoke(build_app(), [*path.split(), "--help"], prog_name="tradefleet")
    assert res.exit_code == 0, res.output
    assert f"Usage: tradefleet {path}" in res.output
    doc = (LEAVES[path].help or "").strip()
    assert doc and doc.splitlines()[0].strip()[:40] in " ".join(res.output.split())  # a description, not only usage


@pytest.mark.parametrize("path", sorted(set(LEAVES) - NOT_REPORTS))
def test_every_reporting_command_takes_json(path: str) -> None:
    opts = {o for p in LEAVES[path].params for o in getattr(p, "opts", [])}
    assert "--json" in opts, f"tradefleet {path} reports but has no --json"


def test_environment_overrides_the_file_key_by_key(tmp_path: Path) -> None:
    from tradefleet.app.config import check_config

    path = tmp_path / "tradefleet.toml"
    path.write_text("[engine]\nstarting_cash = 5000\n\n[risk]\nmax_positions = 3\n", encoding="utf-8")
    cfg, errors = check_config(path, {"TRADEFLEET__ENGINE__STARTING_CASH": "7777"})
    assert not errors, errors
    assert cfg.engine.starting_cash == 7777  # the environment wins over the file
    assert cfg.risk.max_positions == 3  # a key the environment does not name keeps the file's value
    cfg, errors = check_config(path, {})
    assert cfg.engine.starting_cash == 5000
