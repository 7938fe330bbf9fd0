from __future__ import annotations

import numpy as np
import pandas as pd

from tradefleet.bots.equities.seasonal import TurnOfMonthBot, session_days
from tests.bots.crafted import build


def _weekday_frame(start: str, end: str) -> pd.DataFrame:
    days = pd.bdate_range(start, end)
    idx = pd.DatetimeIndex(days + pd.Timedelta(hours=21), name="ts").tz_localize("UTC")
    c = np.linspace(100, 110, len(idx))
    return pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c, "volume": 1.0}, index=idx)


def test_turn_of_month_window() -> None:
    f = _weekday_frame("2021-02-01", "2021-04-09")
    sig = build(TurnOfMonthBot, entry_day=27, exit_trading_day=3).compute(f)["signal"]
    on = set(sig[sig == 1].index.tz_convert("America/New_York").strftime("%Y-%m-%d"))
    # Feb: day 1 and 2 closes (holding into the 2nd and 3rd trading days); the 26th is a Friday
    assert {"2021-02-01", "2021-02-02"} <= on and "2021-02-03" not in on and "2021-02-26" not in on
    # Mar: from the 29th (Mon) through the 2nd trading day of April
    assert {"2021-03-29", "2021-03-30", "2021-03-31", "2021-04-01", "2021-04-02"} <= on
    assert "2021-03-26" not in on and "2021-04-05" not in on and "2021-03-15" not in on


def test_session_days_unknown_for_partial_first_month() -> None:
    f = _weekday_frame("2021-02-10", "2021-03-05")
    dom, td = session_days(f, "America/New_York")
    assert np.isinf(td[dom == 10]).all() and np.isinf(td[:5]).all()
    march = f.index.tz_convert("America/New_York").month == 3
    assert td[march].tolist() == [0, 1, 2, 3, 4]
