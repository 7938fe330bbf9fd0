"""Shared fixtures: GOOG daily bars and the SMA-cross reference bot."""

from __future__ import annotations

import pandas as pd
import pytest

from tradefleet.backtest.strategies import sma_cross_spec
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.scrapers.bundled import load_dataset


@pytest.fixture(scope="session")
def goog() -> pd.DataFrame:
    return load_dataset("goog")


@pytest.fixture(scope="session")
def sma_spec() -> BotSpec:
    return sma_cross_spec(10, 20)
