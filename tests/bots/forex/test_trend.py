from __future__ import annotations

import numpy as np

from tradefleet.bots.forex.trend import EURUSD_DONCHIAN, FxDonchianBot
from tests.bots.crafted import build, frame_from_close


def test_fx_donchian_breaks_out_both_ways_on_hourly_bars() -> None:
    rng = 1.10 + 0.001 * np.tile([1.0, -1.0], 30)
    close = np.concatenate([rng, [1.104, 1.106, 1.103, 1.098, 1.095, 1.094]])
    f = frame_from_close(close, freq="1h", spread=0.0001)
    sig = build(FxDonchianBot, entry_period=24, exit_period=3, allow_short=True).compute(f)["signal"].to_numpy()
    assert (sig[:60] == 0).all()
    assert sig[60] == 1 and sig[61] == 1          # above the 24-hour high
    assert sig[63] == -1                           # 1.098 is under the 24-hour low: stop and reverse
    assert EURUSD_DONCHIAN.family == "forex"
