"""vectorbt as the reference and analytics layer.

``run_vectorbt`` feeds the same target-position signals through
``vbt.Portfolio.from_signals`` under the same fill convention (orders at the next bar's
open: the signal arrays are shifted by one bar and ``price=open``), fees, slippage and
sizing, so our kernel can be cross-checked against it and vectorbt's stats and plots
can be used on any of our runs. vectorbt is imported only here (it takes ~2.5 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.backtest.engine import Signals, SimSettings

if TYPE_CHECKING:
    import pandas as pd


def transitions(signal: np.ndarray, allow_short: bool = True) -> dict[str, np.ndarray]:
    """Turn target positions into vectorbt's four entry/exit arrays, shifted to the fill bar."""
    tgt = np.sign(np.nan_to_num(signal))
    if not allow_short:
        tgt = np.maximum(tgt, 0.0)
    prev = np.concatenate([[0.0], tgt[:-1]])
    changed = tgt != prev
    raw = {
        "entries": changed & (tgt > 0),
        "exits": changed & (prev > 0),
        "short_entries": changed & (tgt < 0),
        "short_exits": changed & (prev < 0),
    }
    # A signal at bar t fills at bar t+1's open.
    return {k: np.concatenate([[False], v[:-1]]) for k, v in raw.items()}


def run_vectorbt(frame: pd.DataFrame, sig: Signals, settings: SimSettings | None = None,
                 freq: str | None = "1D") -> Any:
    """Return a ``vbt.Portfolio`` simulating ``sig`` on ``frame`` like our kernel does.

    Sizing: ``size >= 0.999`` means all available cash (``size=inf``: vectorbt shrinks the
    order so that cash covers the fee, our ``size * equity / (price * (1 + fee))``);
    smaller sizes use ``size_type="percent"``, which vectorbt cannot reverse in one bar,
    so those runs must be long-only or go through flat. Stops map to
    ``sl_stop`` / ``tp_stop`` / ``sl_trail`` measured from the fill price; absolute per-bar
    stop prices have no equivalent there and are ignored. Two known differences: when a
    signal exit (at the open) and a stop fall in the same bar vectorbt fills the stop
    (it checks stops first); and its trailing stop starts tracking on the bar after entry.
    """
    import pandas as pd
    import vectorbt as vbt

    s = settings or SimSettings()
    arrays = transitions(sig.signal, s.allow_short)
    # vectorbt turns a tz-aware index into an array of Timestamp objects on every wrap
    # (seconds per call at 1M bars under pandas 3); hand it naive UTC times instead.
    idx = frame.index.tz_convert("UTC").tz_localize(None) if frame.index.tz is not None else frame.index
    frame = frame.set_axis(idx)
    kwargs: dict[str, Any] = {k: pd.Series(v, index=idx) for k, v in arrays.items()}
    stops: dict[str, Any] = {}
    if s.tsl_pct > 0:
        stops.update(sl_stop=s.tsl_pct, sl_trail=True)
    elif s.sl_pct > 0:
        stops["sl_stop"] = s.sl_pct
    if s.tp_pct > 0:
        stops["tp_stop"] = s.tp_pct
    sizing: dict[str, Any] = {"size": np.inf} if s.size >= 0.999 else {"size": s.size, "size_type": "percent"}
    return vbt.Portfolio.from_signals(
        close=frame["close"], open=frame["open"], high=frame["high"], low=frame["low"],
        price=frame["open"], **sizing, fees=s.fee, slippage=s.slippage,
        init_cash=s.init_cash, upon_opposite_entry="reverse", freq=freq, stop_entry_price="fillprice",
        **kwargs, **stops,
    )


def vectorbt_trades(pf: Any) -> pd.DataFrame:
    """Return vectorbt's positions as entry bar, exit bar, direction, entry and exit price."""
    import pandas as pd

    rec = pf.positions.records
    return pd.DataFrame({
        "entry_bar": rec["entry_idx"].to_numpy(),
        "exit_bar": rec["exit_idx"].to_numpy(),
        "direction": np.where(rec["direction"].to_numpy() == 0, 1, -1),
        "entry_price": rec["entry_price"].to_numpy(),
        "exit_price": rec["exit_price"].to_numpy(),
        "open": rec["status"].to_numpy() == 0,
    })
