"""Crypto event bots fed by exchange/market data snapshots rather than bars: perpetual
funding-rate carry and BTC-dominance rotation.

``TickContext.data`` is a :class:`CryptoSnapshot` (built by a data provider, or from a
recorded fixture in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import Field, model_validator

from tradefleet.orchestrator.bot import BotParams, BotSpec, EventBot, Schedule, TickContext
from tradefleet.orchestrator.domain import AssetClass, Direction, Signal

#: Funding settles every 8 hours on the big venues; check a few minutes before each.
FUNDING_CHECK = Schedule.crontab("50 7,15,23 * * *", timezone="UTC", calendar="CRYPTO")
DAILY_UTC = Schedule.crontab("5 0 * * *", timezone="UTC", calendar="CRYPTO")
PERIODS_PER_YEAR = 3 * 365


@dataclass(frozen=True)
class CryptoSnapshot:
    """Crypto market data at one tick."""

    ts_ns: int
    prices: Mapping[str, float] = field(default_factory=dict)
    funding: Mapping[str, float] = field(default_factory=dict)        # perp symbol -> rate per 8h
    dominance: tuple[float, ...] = ()                                  # BTC dominance %, oldest first


def _signal(ctx: TickContext, snap: CryptoSnapshot, symbol: str, side: int, conf: float,
            meta: dict[str, object]) -> Signal:
    return Signal(bot=ctx.bot, instrument=symbol, direction=Direction.from_sign(side), confidence=conf,
                  entry=float(snap.prices.get(symbol, 0.0)), ts_event=snap.ts_ns, ts_init=ctx.now_ns, meta=meta)


class FundingCarryParams(BotParams):
    """Annualised funding thresholds of :class:`FundingCarryBot` (percent per year)."""

    enter_apr: float = Field(15.0, gt=0, le=500, description="open the carry above this")
    exit_apr: float = Field(5.0, ge=0, le=500, description="close it below this")

    @model_validator(mode="after")
    def _hysteresis(self) -> FundingCarryParams:
        if self.exit_apr >= self.enter_apr:
            raise ValueError("exit_apr must be below enter_apr")
        return self


class FundingCarryBot(EventBot):
    """Cash-and-carry on perpetual funding: short the perp and hold spot while longs pay
    shorts more than ``enter_apr``; unwind below ``exit_apr``. Instruments come in
    (perp, spot) pairs."""

    description: ClassVar[str] = "Funding-rate carry: short perp + long spot while funding pays > threshold"
    family: ClassVar[str] = "crypto"
    Params: ClassVar[type[BotParams]] = FundingCarryParams
    params: FundingCarryParams

    def __init__(self, params: BotParams | None = None) -> None:
        super().__init__(params)
        self.open: set[str] = set()

    def on_tick(self, ctx: TickContext) -> list[Signal]:
        snap = ctx.data
        if not isinstance(snap, CryptoSnapshot):
            return []
        out: list[Signal] = []
        for perp, spot in zip(ctx.instruments[0::2], ctx.instruments[1::2], strict=False):
            rate = snap.funding.get(perp)
            if rate is None:
                continue
            apr = rate * PERIODS_PER_YEAR * 100.0
            meta: dict[str, object] = {"funding_apr": apr, "pair": [perp, spot]}
            if perp not in self.open and apr > self.params.enter_apr:
                conf = min(1.0, apr / (3 * self.params.enter_apr))
                out += [_signal(ctx, snap, perp, -1, conf, meta), _signal(ctx, snap, spot, 1, conf, meta)]
                self.open.add(perp)
            elif perp in self.open and apr < self.params.exit_apr:
                out += [_signal(ctx, snap, perp, 0, 1.0, meta), _signal(ctx, snap, spot, 0, 1.0, meta)]
                self.open.discard(perp)
        return out


class DominanceParams(BotParams):
    """Trend window and band of :class:`DominanceRotationBot`."""

    window: int = Field(30, ge=3, le=365, description="ticks in the dominance average")
    band: float = Field(0.5, ge=0, le=10, description="dominance points above/below the average that count")


class DominanceRotationBot(EventBot):
    """Hold BTC while its market dominance trends up, rotate to the alt (ETH) while it
    trends down, stay put inside the band. Instruments: (btc, alt)."""

    description: ClassVar[str] = "BTC-dominance rotation: BTC when dominance rises, ETH when it falls"
    family: ClassVar[str] = "crypto"
    Params: ClassVar[type[BotParams]] = DominanceParams
    params: DominanceParams

    def __init__(self, params: BotParams | None = None) -> None:
        super().__init__(params)
        self.holding: str | None = None

    def on_tick(self, ctx: TickContext) -> list[Signal]:
        snap = ctx.data
        w = self.params.window
        if not isinstance(snap, CryptoSnapshot) or len(snap.dominance) < w or len(ctx.instruments) < 2:
            return []
        btc, alt = ctx.instruments[0], ctx.instruments[1]
        now = snap.dominance[-1]
        avg = sum(snap.dominance[-w:]) / w
        want = btc if now > avg + self.params.band else alt if now < avg - self.params.band else self.holding
        if want is None or want == self.holding:
            return []
        meta: dict[str, object] = {"dominance": now, "average": avg}
        out = [_signal(ctx, snap, self.holding, 0, 1.0, meta)] if self.holding else []
        out.append(_signal(ctx, snap, want, 1, min(1.0, abs(now - avg) / (4 * max(self.params.band, 0.1))), meta))
        self.holding = want
        return out


FUNDING_CARRY = BotSpec(
    name="btc-funding-carry", bot=FundingCarryBot, instruments=("BTC/USDT:USDT", "BTC/USDT"),
    schedule=FUNDING_CHECK, timeframe="8h", asset_class=AssetClass.CRYPTO, params={},
    description="BTC perpetual funding carry (short perp, long spot) above 15 % APR",
)
DOMINANCE_ROTATION = BotSpec(
    name="btc-eth-dominance-rotation", bot=DominanceRotationBot, instruments=("BTC/USD", "ETH/USD"),
    schedule=DAILY_UTC, timeframe="1d", asset_class=AssetClass.CRYPTO, params={},
    description="BTC/ETH rotation on the 30-day BTC-dominance trend",
)
#: Not registered yet, for the same reason as the prediction bots (no bundled bars).
CRYPTO_EVENT_SPECS = (FUNDING_CARRY, DOMINANCE_ROTATION)
