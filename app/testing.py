"""A test harness for bot authors: the contract every bar bot must meet.

``check_bot(spec)`` builds the bot, runs ``compute`` on bundled (or given) history, and
fails with a precise message when the output breaks the contract: a missing ``signal``
column, a row count or index that differs from the input, a signal outside {-1, 0, 1}, a
confidence outside [0, 1], or lookahead (a row that changes when later bars are added).
Built-in and third-party bots use the same checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradefleet.orchestrator.bot import BotSpec

if TYPE_CHECKING:
    import pandas as pd


def bundled_frame(symbol: str, bars: int | None = 1500) -> pd.DataFrame:
    """The last ``bars`` bars of the bundled dataset carrying ``symbol``."""
    from tradefleet.scrapers.bundled import dataset_for, load_dataset

    frame = load_dataset(dataset_for(symbol).name)
    return frame if bars is None else frame.iloc[-bars:]


def check_bot(spec: BotSpec, frame: pd.DataFrame | None = None, prefixes: int = 4) -> pd.DataFrame:
    """Assert that ``spec``'s bot meets the bar-bot contract; return its output."""
    bot = spec.build()
    frame = bundled_frame(spec.instruments[0]) if frame is None else frame
    out = bot.compute(frame)
    name = spec.name
    assert "signal" in out.columns, f"{name}: compute() returned no 'signal' column ({list(out.columns)})"
    assert len(out) == len(frame) and out.index.equals(frame.index), f"{name}: one output row per input bar, same index"
    sig = out["signal"].to_numpy(dtype=float, na_value=0.0)
    bad = np.flatnonzero(~np.isin(sig, (-1.0, 0.0, 1.0)))
    assert bad.size == 0, f"{name}: signal must be -1, 0 or 1; row {bad[0] if bad.size else ''} is {sig[bad[0]] if bad.size else ''}"
    if "confidence" in out.columns:
        conf = out["confidence"].to_numpy(dtype=float, na_value=1.0)
        assert ((conf >= 0) & (conf <= 1)).all(), f"{name}: confidence must be within [0, 1]"
    n = len(frame)
    for k in np.linspace(max(2, n // 4), n - 1, prefixes).astype(int):
        part = bot.compute(frame.iloc[:k])["signal"].to_numpy(dtype=float, na_value=0.0)
        diff = np.flatnonzero(part != sig[:k])
        assert diff.size == 0, (f"{name}: lookahead: signal at {frame.index[diff[0]]} changes when bars after "
                                f"{frame.index[k - 1]} are added")
    return out
