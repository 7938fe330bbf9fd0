"""A sweep of the SMA-cross bot with each distinct window's rolling mean computed once.

Per combination the plain path (``run_backtest``) computes two rolling means; over a grid of
``f`` fast x ``s`` slow windows that is ``2 f s`` means where ``f + s`` distinct ones exist.
Here each combination's signal is ``cross_state_nb`` of the two shared means, which is the
bot's own signal bit for bit (``sma_cross_nb`` is that one-pass form of the same sums;
``tests/backtest/test_signal_kernels.py`` pins both), then the same kernel and metrics as
``run_backtest`` (``engine.Prepared``: the bar arrays, params and time span prepared once
per sweep, not once per combination). Combinations run ordered by (fast, slow) so a fast
window's mean is dropped after its group; means are kept only within ``CACHE_BYTES`` (past it, a combination falls
back to the one-pass signal), so memory stays bounded however large the grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.backtest.engine import Prepared, Signals, SimSettings, metrics_dict
from tradefleet.backtest.sma_kernels import cross_state_nb, rolling_mean_nb, sma_cross_nb

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.bot import BotSpec

#: the most bytes of rolling means kept at once (16 windows of 1M bars)
CACHE_BYTES = 128 * 1024 * 1024


def evaluate_sma_cross(spec: BotSpec, frame: pd.DataFrame, combos: Sequence[Mapping[str, Any]],
                       settings: SimSettings, start: int = 0) -> list[tuple[dict[str, float] | None, str]] | None:
    """``(metrics, error)`` per combination, in order: what ``run_backtest`` gives for each;
    None when the closes do not read as float64 (the plain path reports that per combination)."""
    try:
        close = np.ascontiguousarray(frame["close"].to_numpy(dtype=np.float64))
    except Exception:  # noqa: BLE001 - any unreadable close column: the plain path says why
        return None
    out: list[tuple[dict[str, float] | None, str]] = [(None, "")] * len(combos)
    bots: list[tuple[int, Any]] = []
    for k, combo in enumerate(combos):
        try:
            bots.append((k, spec.build(combo)))
        except Exception as exc:  # noqa: BLE001 - rejected params (fast >= slow, ...): the row says why
            out[k] = (None, f"{type(exc).__name__}: {exc}")
    if not bots:
        return out
    try:
        bars = Prepared.of(frame, settings, bot=spec.name, start=start)
    except Exception as exc:  # noqa: BLE001 - as the plain path: too few bars, ... (the same for every combination)
        for k, _ in bots:
            out[k] = (None, f"{type(exc).__name__}: {exc}")
        return out
    bots.sort(key=lambda kb: (kb[1].params.fast, kb[1].params.slow))
    last_use: dict[int, int] = {}
    for pos, (_, bot) in enumerate(bots):
        last_use[bot.params.fast] = last_use[bot.params.slow] = pos
    means: dict[int, np.ndarray] = {}
    none = np.full(1, np.nan)
    for pos, (k, bot) in enumerate(bots):
        fast, slow = int(bot.params.fast), int(bot.params.slow)
        for w in (fast, slow):
            if w not in means and (len(means) + 1) * close.nbytes <= CACHE_BYTES:
                means[w] = rolling_mean_nb(close, w)
        if fast in means and slow in means:
            signal = cross_state_nb(means[fast], means[slow])
        else:
            signal = sma_cross_nb(close, fast, slow)
        for w in (fast, slow):
            if last_use[w] == pos:
                means.pop(w, None)
        try:
            m = bars.run(Signals(signal, none, none))[5]
        except Exception as exc:  # noqa: BLE001 - as the plain path
            out[k] = (None, f"{type(exc).__name__}: {exc}")
            continue
        out[k] = (metrics_dict(m), "")
    return out
