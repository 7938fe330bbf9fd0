"""Shared fixtures for the data-hub tests: a SimClock, a DataConfig in a temp cache folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.scrapers.config import DataConfig

NOW = pd.Timestamp("2026-11-22T02:00:00Z")


@pytest.fixture
def clock() -> SimClock:
    return SimClock(int(NOW.value))


@pytest.fixture
def data_config(tmp_path: Path) -> DataConfig:
    return DataConfig(cache_dir=str(tmp_path / "cache"))
