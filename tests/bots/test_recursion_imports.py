"""Memory: the bots' indicators run without numba.

numba's import and first call (LLVM, numba's typing and lowering modules) held about 115 MB
of a replay's peak RSS. The one-pole recursion behind every EMA, Wilder smoothing and
Heikin-Ashi now runs on Python floats (``tradefleet.bots.recursion``); its bit-exactness
against ``scipy.signal.lfilter`` is pinned in ``test_indicators.py``. These tests pin that a
kernel-gate replay of the whole fleet's bar bots, and the indicators themselves, leave
numba unloaded, in a fresh interpreter (this test process may have loaded it already).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent('''
    import json
    import sys

    import numpy as np

    from tradefleet.bots import indicators as ind

    c = 100.0 + np.cumsum(np.random.default_rng(3).normal(size=500))
    h, lo = c + 1.0, c - 1.0
    ind.ema(c, 10), ind.wilder(c, 14), ind.rsi(c), ind.atr(h, lo, c), ind.heikin_ashi(c, h, lo, c)
    after_indicators = "numba" in sys.modules

    from tradefleet.app.config import AppConfig
    from tradefleet.app.replay import run_replay

    cfg = AppConfig.model_validate({"pipeline": {"stages": ["basic-risk"]}})
    s = run_replay(cfg, bots=["spx-sma-trend", "eurusd-macd", "spx-heikin-ashi"],
                   store_url="sqlite:///" + sys.argv[1])
    print(json.dumps({"after_indicators": after_indicators, "after_replay": "numba" in sys.modules,
                      "signals": s.signals}))
''')


def test_indicators_and_a_kernel_replay_do_not_import_numba(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "r.db")], cwd=tmp_path, env=dict(os.environ),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["signals"] > 0  # the bots computed and traded
    assert got == {"after_indicators": False, "after_replay": False, "signals": got["signals"]}
