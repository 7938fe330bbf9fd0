"""Third-party bots written against ``orchestrator.bot`` and ``orchestrator.testing`` keep
working for one release, with a DeprecationWarning naming the new path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CODE = """
import warnings
warnings.simplefilter("error", DeprecationWarning)
try:
    import orchestrator.{mod}
except DeprecationWarning as w:
    print("warned:", w)
warnings.simplefilter("ignore", DeprecationWarning)
import orchestrator.{mod} as old
import {new} as new
print("same:", old.{name} is new.{name})
"""


@pytest.mark.parametrize(("mod", "new", "name"), [("bot", "tradefleet.orchestrator.bot", "Bot"),
                                                  ("testing", "tradefleet.app.testing", "check_bot")])
def test_old_import_path_warns_and_is_the_same_object(tmp_path: Path, mod: str, new: str, name: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed package, not the checkout
    proc = subprocess.run([sys.executable, "-c", CODE.format(mod=mod, new=new, name=name)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"warned: 'orchestrator.{mod}' is deprecated: import from '{new}'" in proc.stdout
    assert "same: True" in proc.stdout
