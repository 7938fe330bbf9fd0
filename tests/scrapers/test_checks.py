"""Validation on crafted bad files: each defect is found, named with its row, and a clean
real series (the bundled data) has no error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import DATASETS, load_dataset
from tradefleet.scrapers.checks import check_bars, ensure_valid, errors
from tradefleet.app.cli.data import read_unvalidated

DAY = 86_400 * 10**9


def _frame(n: int = 60, start: str = "2024-01-01T21:00Z", freq: str = "1D", seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq=freq, tz="UTC").as_unit("ns")
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    o = np.r_[c[0], c[:-1]]
    return pd.DataFrame({"open": o, "high": np.maximum(o, c) * 1.002, "low": np.minimum(o, c) * 0.998,
                         "close": c, "volume": rng.integers(100, 1000, n).astype(float)}, index=idx.rename("ts"))


def _write(tmp: Path, frame: pd.DataFrame, name: str) -> Path:
    p = tmp / name
    frame.reset_index().to_csv(p, index=False)
    return p


def _kinds(frame: pd.DataFrame, **kw: object) -> dict[str, int | None]:
    return {f.kind: f.row for f in errors(check_bars(frame, "1d", **kw))}  # type: ignore[arg-type]


def test_clean_frame_has_no_findings() -> None:
    assert check_bars(_frame(), "1d") == []


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_bundled_real_data_has_no_errors(name: str) -> None:
    ds = DATASETS[name]
    assert errors(check_bars(load_dataset(name), ds.timeframe)) == []


def test_duplicate_in_file(tmp_path: Path) -> None:
    f = _frame()
    bad = pd.concat([f.iloc[:10], f.iloc[9:10], f.iloc[10:]])
    assert _kinds(read_unvalidated(_write(tmp_path, bad, "dup.csv"))) == {"duplicate": 11}


def test_out_of_order_in_file(tmp_path: Path) -> None:
    f = _frame()
    bad = pd.concat([f.iloc[:20], f.iloc[21:22], f.iloc[20:21], f.iloc[22:]])
    kinds = _kinds(read_unvalidated(_write(tmp_path, bad, "order.csv")))
    assert kinds["order"] == 22


def test_gap_in_file(tmp_path: Path) -> None:
    f = _frame()
    bad = pd.concat([f.iloc[:30], f.iloc[40:]])
    kinds = _kinds(read_unvalidated(_write(tmp_path, bad, "gap.csv")))
    assert kinds == {"gap": 31}


@pytest.mark.parametrize("price", [0.0, -5.0])
def test_zero_or_negative_price_in_file(tmp_path: Path, price: float) -> None:
    f = _frame()
    f.iloc[15, f.columns.get_loc("low")] = price
    assert _kinds(read_unvalidated(_write(tmp_path, f, "price.csv")))["price"] == 16


def test_incoherent_ohlc() -> None:
    f = _frame()
    f.iloc[7, f.columns.get_loc("high")] = f["low"].iloc[7] * 0.9
    assert "ohlc" in _kinds(f)


def test_bad_tick_spike_is_an_error_but_a_lasting_jump_is_a_warning() -> None:
    f = _frame(200)
    spike = f.copy()
    for col in ("close", "high"):
        spike.iloc[100, spike.columns.get_loc(col)] *= 1.5
    spike.iloc[101, spike.columns.get_loc("open")] = spike["close"].iloc[100]
    spike.iloc[101, spike.columns.get_loc("high")] = spike["close"].iloc[100]
    found = check_bars(spike, "1d")
    assert [(x.kind, x.row) for x in errors(found)] == [("outlier", 101)]
    jump = f.copy()
    jump.iloc[100:, :4] *= 1.5
    jump.iloc[100, jump.columns.get_loc("open")] = jump["close"].iloc[99]
    jump.iloc[100, jump.columns.get_loc("low")] = jump["close"].iloc[99]
    found = check_bars(jump, "1d")
    assert errors(found) == [] and [(x.kind, x.row) for x in found] == [("jump", 101)]


def test_stale_last_bar_against_now() -> None:
    f = _frame()
    last = int(f.index[-1].value)
    assert _kinds(f, now_ns=last + 5 * DAY) == {}  # 3 daily bars + a weekend
    kinds = _kinds(f, now_ns=last + 7 * DAY)
    assert kinds == {"stale": 60}
    hourly = _frame(100, freq="1h")
    assert errors(check_bars(hourly, "1h", now_ns=int(hourly.index[-1].value) + 4 * 3600 * 10**9))[0].kind == "stale"


def test_ensure_valid_message_names_source_row_and_reason() -> None:
    f = _frame()
    f.iloc[5, f.columns.get_loc("close")] = -1.0
    with pytest.raises(DataError, match=r"prices.csv: price at row 6 \(2024-01-06 21:00:00\+00:00\): zero or negative"):
        ensure_valid(f, "1d", "prices.csv")


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    p = tmp_path / "nope.parquet"
    p.write_bytes(b"not parquet")
    with pytest.raises(DataError, match="nope.parquet: cannot read"):
        read_unvalidated(p)
