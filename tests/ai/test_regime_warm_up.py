"""The regime filter's compiled loop loads before a replay's clock starts.

The bots' indicators no longer use numba (memory), so in a replay with the regime stage the
filter's first call would load numba inside the timed loop. ``RegimeGate.warm_up`` loads it
beforehand, and the replay calls each gate's ``warm_up`` before its loop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent('''
    import json

    from tradefleet.ai.regime.gate import RegimeGate
    from tradefleet.ai.regime.kernel import forward_nb

    before = len(forward_nb.signatures)
    RegimeGate.warm_up(object.__new__(RegimeGate))
    print(json.dumps({"before": before, "after": [str(s) for s in forward_nb.signatures]}))
''')


def test_warm_up_loads_the_filter_for_the_layouts_the_filter_passes(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=dict(os.environ), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["before"] == 0
    assert len(got["after"]) == 1 and got["after"][0].startswith("(Array(float64, 2, 'F'")  # column-major densities, as filter() passes


def test_the_filter_after_warm_up_matches_its_python_loop() -> None:
    import numpy as np

    from tradefleet.ai.regime.kernel import forward_nb, warm

    warm()
    rng = np.random.default_rng(5)
    b = np.asfortranarray(rng.uniform(0.01, 1.0, size=(40, 3)))
    trans = rng.dirichlet(np.ones(3), size=3)
    alpha0 = rng.uniform(0.1, 1.0, size=3)
    out = forward_nb(b, trans, alpha0)
    a = alpha0 / alpha0.sum()
    np.testing.assert_allclose(out[0], a, rtol=1e-12)
    for t in range(1, 40):
        a = (a @ trans) * b[t]
        a = a / a.sum()
        np.testing.assert_allclose(out[t], a, rtol=1e-12)


def test_the_replay_warms_every_gate_up_before_its_loop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tradefleet.app import replay as mod
    from tradefleet.app.config import AppConfig

    events: list[str] = []

    class Warm:
        name = "warm"

        def warm_up(self) -> None:
            events.append("warm_up")

    class Cold:
        name = "cold"

    mod.warm_up_gates([Warm(), Cold(), Warm()])
    assert events == ["warm_up", "warm_up"]  # gates without the hook are left alone
    events.clear()

    real_warm, real_loop = mod.warm_up_gates, mod.Replay._loop
    monkeypatch.setattr(mod, "warm_up_gates", lambda gates: (events.append("warm_up_gates"), real_warm(gates)))
    monkeypatch.setattr(mod.Replay, "_loop", lambda self, *a: (events.append("loop"), real_loop(self, *a))[1])
    cfg = AppConfig.model_validate({"pipeline": {"stages": ["basic-risk"]}})
    mod.run_replay(cfg, bots=["spx-sma-trend"], store_url=f"sqlite:///{tmp_path / f'r{time.monotonic_ns()}.db'}")
    assert events == ["warm_up_gates", "loop"]
