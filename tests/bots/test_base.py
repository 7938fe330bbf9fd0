from __future__ import annotations

import numpy as np

from tradefleet.bots.base import hold, long_short, signal_frame
from tests.bots.crafted import frame_from_close


def test_signal_frame_cleans_warmup_and_flat_rows() -> None:
    f = frame_from_close([1.0, 2.0, 3.0, 4.0])
    out = signal_frame(f, np.array([np.nan, 1.0, -2.0, 0.0]), np.array([0.3, 1.7, 0.4, 0.2]),
                       stop=np.array([9.0, 0.5, 5.0, 9.0]))
    assert out["signal"].tolist() == [0, 1, -1, 0]
    assert out["confidence"].tolist() == [1.0, 1.0, 0.4, 1.0]   # clipped; flat rows are sure exits
    assert np.isnan(out["stop"].to_numpy()[[0, 3]]).all() and out["stop"].iloc[1] == 0.5
    assert "target" not in out and out.index.equals(f.index)


def test_hold_and_long_short_legs() -> None:
    e = np.array([0, 1, 0, 0, 1, 0, 0, 0], bool)
    x = np.array([0, 0, 0, 1, 1, 0, 1, 0], bool)
    assert hold(e, x).tolist() == [0, 1, 1, 0, 1, 1, 0, 0]        # entry wins a tie (bar 4)
    es = np.array([0, 0, 1, 0, 0, 0, 0, 1], bool)
    xs = np.array([0, 0, 0, 0, 0, 1, 0, 0], bool)
    assert long_short(e, x, es, xs).tolist() == [0, 1, 0, -1, 0, 1, 0, -1]  # both legs on: 0
