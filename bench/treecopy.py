"""Copy the files git tracks, as they are in the working tree, to a scratch folder (for the
planted-bug and mutation runs, which change files and must never touch the working tree).

The installed distribution maps ``tradefleet.<pkg>`` to the top-level folders (setuptools
``package-dir``), and its editable install points at the working tree. So the copy gets a
``tradefleet/`` package of its own whose sub-packages link to the copy's folders: with the
copy first on ``PYTHONPATH``, ``import tradefleet.risk`` loads the copy's (patched) code,
never the working tree's."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_tree(dest: Path, root: Path = ROOT) -> None:
    """Copy every tracked file of ``root`` to ``dest`` (deleted tracked files are skipped)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    for rel in files.decode().split("\0"):
        src = root / rel
        if rel and src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    link_namespace(dest, root)


def link_namespace(dest: Path, root: Path = ROOT) -> None:
    """Give ``dest`` a regular ``tradefleet`` package linking each mapped sub-package to its folder."""
    mapping = tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {}).get("setuptools", {}) \
        .get("package-dir", {})
    links = {name.split(".", 1)[1]: folder for name, folder in mapping.items() if name.startswith("tradefleet.")}
    if not links:
        return
    pkg = dest / "tradefleet"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text('"""The tradefleet namespace of a scratch copy (see bench/treecopy.py)."""\n')
    for sub, folder in links.items():
        link = pkg / sub
        if not link.exists():
            os.symlink(os.path.relpath(dest / folder, pkg), link)
