"""Install a throwaway third-party plugin distribution for one test.

Writes ``<name>.py`` and a ``<name>-0.1.dist-info`` folder (METADATA + entry_points.txt)
under ``root`` and puts ``root`` on ``sys.path``, so ``Registry.discover`` finds the
plugin through entry points exactly as it finds a pip-installed package.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest


def install_plugin(root: Path, monkeypatch: pytest.MonkeyPatch, module: str, source: str,
                   entry_points: dict[str, dict[str, str]]) -> None:
    """Write module ``module`` with ``source`` and register ``entry_points`` (group -> name -> target)."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    lines = []
    for group, names in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in names.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, module, raising=False)
    importlib.invalidate_caches()


RAISING_BOT = '''
from tradefleet.orchestrator.bot import BotParams, BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.bots.base import BarBot


class BoomBot(BarBot):
    description = "raises in compute (test plugin)"
    family = "test"

    class Params(BotParams):
        n: int = 3

    def compute(self, frame):
        raise RuntimeError("boom at bar 0")


BOOM = BotSpec(name="boom-bot", bot=BoomBot, instruments=("SPX",), schedule=Schedule.crontab("0 16 * * 1-5", "America/New_York"),
               timeframe="1d", asset_class=AssetClass.EQUITY)
'''
