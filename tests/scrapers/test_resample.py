"""Resampling: matches an independent per-bucket aggregation, is causal (cutting the input at
any time changes no complete bar and never emits a half bucket), and refuses finer timeframes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import load_dataset
from tradefleet.scrapers.resample import resample

EURUSD = load_dataset("eurusd")


def _reference(frame: pd.DataFrame, hours: int) -> pd.DataFrame:
    """Bucket end = close time rounded up to a multiple of ``hours`` (UTC), by plain Python."""
    step = hours * 3600 * 10**9
    groups: dict[int, list[int]] = {}
    for i, t in enumerate(frame.index.asi8):
        groups.setdefault(-(-int(t) // step) * step, []).append(i)
    rows = []
    for end, ix in sorted(groups.items()):
        sub = frame.iloc[ix]
        rows.append((end, sub["open"].iloc[0], sub["high"].max(), sub["low"].min(), sub["close"].iloc[-1], sub["volume"].sum()))
    out = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])
    return out.set_index(pd.DatetimeIndex(out.pop("ts").astype("int64").to_numpy().view("datetime64[ns]"), tz="UTC"))


@pytest.mark.parametrize("hours", [2, 4, 24])
def test_matches_reference_aggregation(hours: int) -> None:
    src = EURUSD.iloc[:800]
    got = resample(src, f"{hours}h", source_tf="1h")
    want = _reference(src, hours)
    want = want[want.index.asi8 <= src.index.asi8[-1]]  # the trailing half bucket is not a bar
    assert got.index.asi8.tolist() == want.index.asi8.tolist()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=30, max_value=1500), hours=st.sampled_from([2, 3, 4, 6, 8, 24]))
def test_causal_no_bar_changes_when_future_is_added(cut: int, hours: int) -> None:
    full = resample(EURUSD.iloc[:1600], f"{hours}h", source_tf="1h")
    part_src = EURUSD.iloc[:cut]
    part = resample(part_src, f"{hours}h", source_tf="1h")
    assert (part.index.asi8 <= part_src.index.asi8[-1]).all()  # nothing stamped after the data
    pd.testing.assert_frame_equal(part, full.loc[part.index])  # every emitted bar is final


def test_incomplete_bucket_waits_for_its_close_time() -> None:
    src = EURUSD.iloc[:10]
    last = int(src.index[-1].value)
    end = -(-last // (4 * 3600 * 10**9)) * 4 * 3600 * 10**9
    if end == last:
        src = src.iloc[:-1]
        last = int(src.index[-1].value)
    assert resample(src, "4h", source_tf="1h").index.asi8[-1] < last
    later = resample(src, "4h", source_tf="1h", now_ns=end)
    assert later.index.asi8[-1] == end  # once its end has passed the bucket is complete


def test_weekly_and_monthly_from_daily() -> None:
    spx = load_dataset("sp500").iloc[:300]
    w = resample(spx, "1w", source_tf="1d")
    assert (w.index.dayofweek == 6).all() and (w.index.hour == 0).all()  # Sunday 00:00 UTC
    first_week = spx[spx.index < w.index[0]]
    assert w["close"].iloc[0] == first_week["close"].iloc[-1] and w["high"].iloc[0] == first_week["high"].max()
    m = resample(spx, "1mo", source_tf="1d")
    assert (m.index.day == 1).all()
    jan = spx[(spx.index >= "1999-01-01") & (spx.index < "1999-02-01")]
    assert m.loc["1999-02-01", "open"] == jan["open"].iloc[0] and m.loc["1999-02-01", "volume"] == jan["volume"].sum()


def test_refuses_finer_timeframe() -> None:
    with pytest.raises(DataError, match="cannot resample 1d bars to the finer timeframe 1h"):
        resample(load_dataset("goog"), "1h", source_tf="1d")
