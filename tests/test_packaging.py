"""Packaging: every package on disk is installed under the tradefleet namespace, and only those."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setuptools() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]  # type: ignore[no-any-return]


def test_every_package_on_disk_is_listed() -> None:
    cfg = _setuptools()
    on_disk = {"orchestrator"}  # the deprecation shims (compat/orchestrator)
    for name, folder in cfg["package-dir"].items():
        if name == "orchestrator":
            continue
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            on_disk.add(".".join([name, *rel.parts]))
    assert sorted(on_disk) == sorted(cfg["packages"])


def test_one_namespace_and_no_generic_top_level_names() -> None:
    cfg = _setuptools()
    tops = {p.split(".")[0] for p in cfg["packages"]}
    assert tops == {"tradefleet", "orchestrator"}  # orchestrator: the one-release shim, nothing else
    shim = ROOT / cfg["package-dir"]["orchestrator"]
    assert sorted(p.name for p in shim.glob("*.py")) == ["__init__.py", "bot.py", "testing.py"]
