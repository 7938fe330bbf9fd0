"""The engine dispatching intents through the real kernel."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from orchestrator.bot import PortfolioBot
from orchestrator.context import Ctx
from orchestrator.intents import Intent, Target
from orchestrator.panel import Panel

from tests.orchestrator.intents.kit import Harness, generated_frame, spec


class FixedWeights(PortfolioBot):
    """Holds fixed weights from the second bar on."""

    W: ClassVar[dict[str, float]] = {"A": 0.15, "B": -0.1}

    def weights(self, panel: Panel) -> pd.DataFrame:
        w = pd.DataFrame({k: np.full(len(panel), v) for k, v in self.W.items()}, index=panel.index)
        w.iloc[:1] = np.nan
        return w


def _frames(n: int = 10) -> dict[str, pd.DataFrame]:
    return {"A": generated_frame(100 + np.arange(n, dtype=float)), "B": generated_frame(50 - 0.1 * np.arange(n))}


def test_target_weights_reach_the_book_netted_and_held(tmp_path: Path) -> None:
    h = Harness(tmp_path, _frames(), [spec("fixed", FixedWeights, ("A", "B"))])
    h.run(3)
    eq = float(h.engine.ledger.equity())
    a, b = h.position("fixed", "A"), h.position("fixed", "B")
    assert a > 0 and b < 0
    assert abs(a * 102 / eq - 0.15) < 0.01 and abs(b * 49.8 / eq + 0.1) < 0.01
    orders_before = len(h.store.orders())
    h.run(3)  # same weights, small drift: no churn beyond one-lot rebalances
    assert len(h.store.orders()) - orders_before <= 6
    h.close()
