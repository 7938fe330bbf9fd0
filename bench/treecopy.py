"""Copy the files git tracks, as they are in the working tree, to a scratch folder (for the
planted-bug and mutation runs, which change files and must never touch the working tree)."""

from __future__ import annotations

import shutil
import subprocess
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
