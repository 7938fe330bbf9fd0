from __future__ import annotations

import numpy as np
import pandas as pd

from tradefleet.bots.forex.session import LondonBreakoutBot
from tests.bots.crafted import build


def _day(hi_break: float | None, lo_break: float | None) -> tuple[list[float], list[float], list[float]]:
    """24 hourly bars (close times 01:00..24:00 UTC in winter, = London time)."""
    c = [1.1000 + 0.0005 * ((i % 2) * 2 - 1) for i in range(24)]
    if hi_break is not None:
        c[9] = hi_break     # bar closing at 10:00
    if lo_break is not None:
        c[12] = lo_break    # bar closing at 13:00
    h = [x + 0.0002 for x in c]
    lo = [x - 0.0002 for x in c]
    return c, h, lo


def _frame(days: list[tuple[list[float], list[float], list[float]]], start: str = "2021-01-04 01:00") -> pd.DataFrame:
    c = np.concatenate([d[0] for d in days])
    h = np.concatenate([d[1] for d in days])
    lo = np.concatenate([d[2] for d in days])
    idx = pd.date_range(start, periods=len(c), freq="1h", tz="UTC", name="ts")
    return pd.DataFrame({"open": c, "high": h, "low": lo, "close": c, "volume": 1.0}, index=idx)


def test_london_breakout_long_after_range_then_flat_at_session_end() -> None:
    f = _frame([_day(1.1030, None), _day(None, 1.0970)])
    out = build(LondonBreakoutBot).compute(f)
    sig = out["signal"].to_numpy()
    local_hour = f.index.tz_convert("Europe/London").hour
    assert (sig[:9] == 0).all()                            # range building and no break yet
    assert sig[9] == 1 and (sig[9:15] == 1).all()          # break at 10:00, held to 15:00
    assert (sig[:24][local_hour[:24] >= 16] == 0).all() and sig[15] == 0   # flat from 16:00
    assert sig[24 + 12] == -1                              # day 2: downside break at 13:00
    assert out["stop"].iloc[9] == f["low"].iloc[:8].min()  # stop at the range low


def test_london_breakout_uses_london_time_in_summer() -> None:
    # In summer London is UTC+1: the range ends at 07:00 UTC, so a 07:00 UTC bar is in the range.
    c, h, lo = _day(None, None)
    c[6] = 1.1030  # bar closing 07:00 UTC = 08:00 BST: inside the range, not a breakout
    f = _frame([(c, [x + 0.0002 for x in c], [x - 0.0002 for x in c])], start="2021-07-05 01:00")
    assert (build(LondonBreakoutBot).compute(f)["signal"] == 0).all()
