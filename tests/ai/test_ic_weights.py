"""IC-adaptive source weights: on by default, they move toward the informative source on a
seeded simulation, stay bounded, and every change that matters is stored.

The price path and the votes are generated (seeded), named so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tradefleet.ai.config import EnsembleConfig
from tradefleet.ai.ensemble.combine import ICTracker, WeightLog, combine
from tradefleet.ai.ensemble.source import Vote
from tradefleet.orchestrator.execution.exec_store import ExecStore
from tradefleet.orchestrator.store import Store


def _simulate(seed: int = 11, n: int = 400) -> tuple[ICTracker, WeightLog, list[dict[str, float]]]:
    rng = np.random.default_rng(seed)
    rets = rng.normal(0, 0.01, n + 5)
    closes = 100 * np.exp(np.cumsum(rets))
    ts = np.arange(n + 5, dtype=np.int64) * 86_400_000_000_000
    tracker, log = ICTracker(window=60, horizon=1, strength=2.0), WeightLog(0.05)
    history = []
    for i in range(n):
        informed = float(np.sign(rets[i + 1]) * 0.5 + rng.normal(0, 0.5))   # knows tomorrow, noisily
        noise = float(rng.normal(0, 1))
        votes = [Vote("informed", float(np.clip(informed, -1, 1)), 1.0),
                 Vote("noise", float(np.clip(noise, -1, 1)), 1.0)]
        tracker.resolve("X", ts[: i + 1], closes[: i + 1])
        tracker.record("X", int(ts[i]), float(closes[i]), votes)
        m = tracker.multipliers(["informed", "noise"])
        history.append(m)
        log.changes(tracker, m)
    return tracker, log, history


def test_adaptive_weights_are_on_by_default() -> None:
    assert EnsembleConfig().adaptive is True


def test_weights_move_toward_the_informative_source_and_stay_bounded() -> None:
    tracker, _, history = _simulate()
    assert history[0] == {"informed": 1.0, "noise": 1.0}  # no outcomes yet: the configured weights
    last = history[-1]
    assert last["informed"] > 1.5 and 0.0 <= last["noise"] < 1.3
    assert all(0.0 <= v <= 2.0 for h in history for v in h.values())
    combined = combine([Vote("informed", 1.0, 1.0), Vote("noise", -1.0, 1.0)],
                       {"informed": 0.5, "noise": 0.5}, last)
    assert combined.weights["informed"] > 0.55 and combined.score > 0


def test_every_change_that_matters_is_stored(tmp_path: Path) -> None:
    tracker, log, history = _simulate()
    store = Store.open(f"sqlite:///{tmp_path}/w.db")
    es = ExecStore(store)
    log2 = WeightLog(0.05)
    for i, m in enumerate(history):
        rows = log2.changes(tracker, m)
        es.save_source_weights(i, rows)
    rows = es.source_weights()
    assert {r["source"] for r in rows} == {"informed", "noise"}
    informed = [r["multiplier"] for r in rows if r["source"] == "informed"]
    assert all(abs(b - a) >= 0.05 for a, b in zip(informed, informed[1:]))
    assert rows[-1]["samples"] > 0 and rows[0]["ic"] is not None
    store.close()


def test_inside_a_batch_changes_wait_for_the_commit_in_order_and_a_rollback_drops_them(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/w.db")
    es = ExecStore(store)
    other = Store.open(f"sqlite:///{tmp_path}/w.db")  # another connection sees committed rows only
    with store.batch():
        es.save_source_weights(1, {"a": (1.2, 0.1, 30), "b": (0.8, -0.1, 30)})
        es.save_source_weights(2, {"a": (1.3, 0.15, 31)})
        es.save_source_weights(2, {"b": (0.75, -0.12, 31)})  # a second signal at the same bar
        assert ExecStore(other).source_weights() == []  # nothing written before the commit
        store.commit()
        assert [(r["ts_ns"], r["source"], r["multiplier"]) for r in ExecStore(other).source_weights()] == \
            [(1, "a", 1.2), (1, "b", 0.8), (2, "a", 1.3), (2, "b", 0.75)]
        es.save_source_weights(3, {"b": (0.7, -0.2, 32)})
        # this thread reads its own pending rows
        assert [r["ts_ns"] for r in es.source_weights()] == [1, 1, 2, 2, 3]
    try:
        with store.batch():
            es.save_source_weights(4, {"a": (1.4, 0.2, 33)})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert [r["ts_ns"] for r in ExecStore(other).source_weights()] == [1, 1, 2, 2, 3]
    es.save_source_weights(5, {"a": (1.5, 0.25, 34)})  # outside a batch: written at once
    assert [r["ts_ns"] for r in ExecStore(other).source_weights()] == [1, 1, 2, 2, 3, 5]
    other.close()
    store.close()
