"""The kernel stands alone: with no component package importable (bots, ai, ml_models, risk,
backtest, scrapers, dashboard, the app), it replays a plugin bot on bars this test supplies,
through a minimal risk gate this test supplies, and fills on its paper broker.

It runs in a fresh interpreter whose import system refuses every package above the kernel,
so an upward import anywhere on this path fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent('''
    import importlib.abc
    import json
    import sys

    ABOVE = ("bots", "ai", "ml_models", "risk", "backtest", "scrapers", "dashboard", "app")
    BLOCKED = {*ABOVE, *(f"tradefleet.{p}" for p in ABOVE)}


    class RefuseComponents(importlib.abc.MetaPathFinder):
        """Only the kernel and third-party libraries may load."""

        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"component {name} imported by the kernel")
            return None


    sys.meta_path.insert(0, RefuseComponents())

    from decimal import Decimal
    from typing import ClassVar

    import numpy as np
    import pandas as pd

    from tradefleet.orchestrator.bot import Bot, BotParams, BotSpec, Schedule
    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.orchestrator.domain import ZERO, AssetClass, Decision, Instrument
    from tradefleet.orchestrator.kernel import assemble
    from tradefleet.orchestrator.market import MarketState
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.orchestrator.scheduler import SimScheduler, build_trigger
    from tradefleet.orchestrator.sections import KernelConfig
    from tradefleet.orchestrator.store import Store


    class FlipBot(Bot):
        """Long while the close is above its 3-bar mean, flat otherwise."""

        description: ClassVar[str] = "kernel-alone test bot"
        family: ClassVar[str] = "equities"

        class Params(BotParams):
            window: int = 3

        def compute(self, frame):
            mean = frame["close"].rolling(self.params.window).mean()
            return pd.DataFrame({"signal": (frame["close"] > mean).astype(float)}, index=frame.index)


    class OneLotRisk:
        """The minimal risk gate: buy one lot on a long signal, sell what is held on flat."""

        name: ClassVar[str] = "one-lot-risk"
        api_version: ClassVar[int] = 1

        @classmethod
        def build(cls, services):
            return cls()

        def approve(self, signal, ctx, scale):
            pos = ctx.portfolio.position(signal.bot, signal.instrument)
            held = pos.quantity if pos is not None else ZERO
            want = Decimal(1) if signal.direction.sign > 0 else ZERO
            qty = want - held
            return Decision.passed(self.name, "one_lot" if qty else "noop"), qty


    days = pd.date_range("2024-01-01 21:00", periods=40, freq="D", tz="UTC")  # generated bars
    close = 100 + np.sin(np.arange(40) / 3.0) * 5
    bars = pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close,
                         "volume": 1_000.0}, index=days)

    spec = BotSpec("flip", FlipBot, ("TEST",), Schedule.interval("1d", timezone="UTC"), "1d",
                   AssetClass.EQUITY)
    registry = Registry()
    registry.add_entry("bots", "flip", "test:flip", lambda: spec)
    registry.add_entry("gates", "one-lot-risk", "test:OneLotRisk", lambda: OneLotRisk)
    config = KernelConfig.model_validate({"pipeline": {"stages": ["one-lot-risk"]}})
    store = Store.open(sys.argv[1])
    market = MarketState(config.paper.spread_bps)
    market.load("TEST", bars)
    stamps = market.timestamps("TEST")
    clock = SimClock(int(stamps[0]) - 1)
    kernel = assemble(config, store=store, registry=registry, specs=[spec], clock=clock, market=market,
                      instruments={"TEST": Instrument("TEST", AssetClass.EQUITY)}, account="kernel-alone")
    engine = kernel.engine
    for runner in engine.runners.values():
        runner.precompute({"TEST": bars})
    sched = SimScheduler(clock)
    sched.add("flip", build_trigger(spec.schedule))
    fires = 0
    with store.batch():
        for row, ts in enumerate(stamps.tolist()):
            for fire_ns, name in sched.pop_due(ts - 1):
                engine.on_fire(name, fire_ns)
                fires += 1
            clock.set_ns(ts)
            engine.on_bar(market.advance("TEST", row))
            engine.mark(ts)
        engine.snapshot_equity(int(stamps[-1]))
    store.commit()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("orchestrator", "tradefleet"))
    print(json.dumps({"fires": fires, "fills": engine.fills, "signals": len(store.signals()),
                      "position": str(engine.ledger.position("flip", "TEST").quantity
                                      if engine.ledger.position("flip", "TEST") else 0),
                      "equity": float(engine.ledger.equity()), "loaded": loaded}))
''')


def test_kernel_replays_a_plugin_bot_with_no_component_importable(tmp_path: Path) -> None:
    script = tmp_path / "kernel_alone.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFLEET__")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, str(script), f"sqlite:///{tmp_path / 'k.db'}"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["fires"] >= 30 and out["signals"] >= 4 and out["fills"] >= 4  # it traded, both ways
    assert out["equity"] > 0
    assert not [m for m in out["loaded"] if m.split(".")[-1] in ("ai", "bots", "risk", "scrapers", "dashboard")]


def test_kernel_alone_guard_refuses_a_component() -> None:
    """The guard itself works: importing a component under it fails."""
    guard = SCRIPT.split("from decimal import Decimal")[0] + "import tradefleet.risk.engine\n"
    proc = subprocess.run([sys.executable, "-c", guard], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode != 0 and "risk imported by the kernel" in proc.stderr
