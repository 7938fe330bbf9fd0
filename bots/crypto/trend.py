"""Crypto trend following with the equity trend rule: a moving-average filter on monthly
Bitcoin. The rule is :class:`~tradefleet.bots.equities.trend.MovingAverageTrendBot`'s; only the family
differs."""

from __future__ import annotations

from typing import ClassVar

from tradefleet.bots.base import ALL_REGIMES, CRYPTO_MONTHLY
from tradefleet.bots.equities.trend import MovingAverageTrendBot
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.domain import AssetClass


class CryptoTrendBot(MovingAverageTrendBot):
    """Moving-average trend filter for crypto assets."""

    description: ClassVar[str] = "Crypto moving-average trend filter (long above the slow average)"
    family: ClassVar[str] = "crypto"

    def warmup_bars(self) -> int:
        return max(self.params.slow, self.params.atr_period) + 3 * self.params.fast  # short monthly histories


BTC_SMA_TREND = BotSpec(
    name="btc-sma-trend", bot=CryptoTrendBot, instruments=("BTC/USD",), schedule=CRYPTO_MONTHLY, timeframe="1mo",
    asset_class=AssetClass.CRYPTO, params={"fast": 3, "slow": 10, "kind": "sma", "atr_period": 6},
    regimes=ALL_REGIMES, description="Bitcoin 3/10-month SMA trend filter, long only",
)
