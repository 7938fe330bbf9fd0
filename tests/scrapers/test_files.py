from pathlib import Path

import pandas as pd
import pytest

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import DATASETS, load_dataset
from tradefleet.scrapers.files import load_bar_file

GOOD = ("date,open,high,low,close,volume\n2020-01-02,10,11,9,10.5,100\n2020-01-03,10.5,12,10,11,100\n"
        "2020-01-06,11,11.5,10,10.2,100\n" + "".join(f"2020-01-{d:02d},10,11,9,10,100\n" for d in (7, 8, 9, 10)))


def write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_files_good_csv_loads_as_utc_frame(tmp_path: Path) -> None:
    f = load_bar_file(write(tmp_path, GOOD))
    assert list(f.columns) == ["open", "high", "low", "close", "volume"]
    assert str(f.index.tz) == "UTC" and len(f) == 7


def test_files_parquet_round_trip(tmp_path: Path) -> None:
    f = load_bar_file(write(tmp_path, GOOD))
    p = tmp_path / "bars.parquet"
    f.to_parquet(p)
    pd.testing.assert_frame_equal(load_bar_file(p), f, check_freq=False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("2020-01-03", "2019-12-31"), r"out of order at line 3 \(2019-12-31"),
        (GOOD.replace("2020-01-06", "2020-01-03"), r"duplicate timestamp at line 4"),
        (GOOD.replace("2020-01-10", "2020-02-20"), r"line 8 \(2020-02-20 00:00:00\+00:00\): 27 missing 1d bars since 2020-01-09 .*NYSE.*the first missing bar is 2020-01-10"),
        (GOOD.replace("10.5,12,10,11", "10.5,12,10,"), r"missing value at line 3 \(2020-01-03 00:00:00\+00:00\): close"),
        (GOOD.replace("10.5,12,10,11", "10.5,12,10,-1"), r"zero or negative price at line 3 .*: close -1"),
        (GOOD.replace("10.5,12,10,11", "10.5,9,10,11"), r"high/low do not contain open/close at line 3"),
        ("date,open,high,low\n2020-01-02,1,1,1\n", r"missing column\(s\) close"),
        ("date,open,high,low,close\nnot-a-date,1,1,1,1\n", r"line 2: 'not-a-date' is not a timestamp"),
    ],
)
def test_files_bad_input_names_file_row_and_reason(tmp_path: Path, text: str, message: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as err:
        load_bar_file(p)
    assert str(p) in str(err.value) and "\n" not in str(err.value)


def test_files_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data file not found"):
        load_bar_file(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_bundled_datasets_are_valid_close_stamped(name: str) -> None:
    f = load_dataset(name)
    assert f.index.is_monotonic_increasing and f.index.tz is not None and len(f) > 100
    if DATASETS[name].stamp == "nyse_close":
        local = f.index.tz_convert("America/New_York")
        assert set(local.hour) <= {13, 16} and (local.hour == 13).sum() < 60  # half days close at 13:00
