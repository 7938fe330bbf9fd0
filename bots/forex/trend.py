"""FX trend following with the equity trend rules: the turtle channel breakout on hourly
EUR/USD. The rule is :class:`~tradefleet.bots.equities.breakout.DonchianBreakoutBot`'s; only the
family (and so the dashboard grouping and default risk limits) differs."""

from __future__ import annotations

from typing import ClassVar

from tradefleet.bots.base import FX_HOURLY, TRENDING
from tradefleet.bots.equities.breakout import DonchianBreakoutBot
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.domain import AssetClass


class FxDonchianBot(DonchianBreakoutBot):
    """Donchian (turtle) channel breakout for currency pairs."""

    description: ClassVar[str] = "FX Donchian channel breakout (turtle rules), long/short"
    family: ClassVar[str] = "forex"


EURUSD_DONCHIAN = BotSpec(
    name="eurusd-donchian", bot=FxDonchianBot, instruments=("EUR/USD",), schedule=FX_HOURLY, timeframe="1h",
    asset_class=AssetClass.FX, params={"entry_period": 120, "exit_period": 48, "allow_short": True},
    regimes=TRENDING, description="EUR/USD 120/48-hour Donchian breakout (five-day / two-day channels)",
)
