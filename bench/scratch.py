"""A scratch checkout of a git ref that a child process imports as ``tradefleet``: for
benches that measure an older commit side by side with the working tree (``--baseline``).

``git archive REF`` is unpacked into ``<tmp>/tree``; ``<tmp>/ns/tradefleet`` is a package whose
sub-packages link to the tree's folders (the installed distribution maps ``tradefleet.<pkg>``
to the top-level folders). With the returned environment, ``import tradefleet.risk`` in a
child loads the ref's code, never the working tree's; the ref gets its own numba cache.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("orchestrator", "bots", "ai", "ml_models", "risk", "backtest", "scrapers", "dashboard", "app")


def scratch_env(ref: str, tmp: Path) -> dict[str, str]:
    """Unpack ``ref`` under ``tmp`` and return the environment that imports it."""
    tree = tmp / "tree"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    ns = tmp / "ns" / "tradefleet"
    ns.mkdir(parents=True)
    (ns / "__init__.py").write_text("")
    for folder in FOLDERS:
        if (tree / folder).is_dir():
            (ns / folder).symlink_to(tree / folder)
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ns.parent), str(tree)]),
                NUMBA_CACHE_DIR=str(tmp / "numba"))
