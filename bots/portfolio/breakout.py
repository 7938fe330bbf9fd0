"""Channel breakout entered with a resting stop order and a bracket.

While flat, the bot keeps one buy STOP order resting at the prior ``period``-bar high
(re-placed each day with ``replaces``, so yesterday's unfilled trigger is canceled). The
entry carries a bracket: a stop-loss ``stop_atr`` ATRs below the trigger and a
take-profit ``target_atr`` ATRs above it, linked one-cancels-other. The fill model fills
the entry at the trigger, or at the open when the market gaps through it (never better),
and the bracket's stop the same way. ``size`` caps the entry at ``weight`` of equity.

Real-data replay (``python -m bench.portfolio_bots --bots spx-stop-breakout``: bundled S&P 500
daily, 2009-01-02 to 2018-12-31, default config with every gate, the fill model: a stop
fills at its trigger or the gap open, never better): total return +5.82 %, 576 orders
(entries, their brackets and re-placed triggers), 122 fills, 61 closed trades (47.5 %
winners), 111 entries refused by the gates, fees 150.28.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import NYSE_CLOSE
from tradefleet.orchestrator.bot import BotParams, BotSpec, PortfolioBot
from tradefleet.orchestrator.domain import AssetClass, OrderType, Side
from tradefleet.orchestrator.intents import Bracket, Intent, OrderIntent

if TYPE_CHECKING:
    from tradefleet.orchestrator.context import Ctx
    from tradefleet.orchestrator.panel import Panel

class BreakoutParams(BotParams):
    period: int = Field(20, ge=5, le=300, description="trigger at the high of this many prior bars")
    atr_period: int = Field(14, ge=2, le=100)
    stop_atr: float = Field(2.0, gt=0, description="stop-loss distance below the trigger, ATRs")
    target_atr: float = Field(4.0, gt=0, description="take-profit distance above the trigger, ATRs")
    weight: float = Field(0.15, gt=0, le=1, description="entry size cap, fraction of equity")


class StopBreakoutBot(PortfolioBot):
    description: ClassVar[str] = "Breakout entered by a resting stop order with a take-profit/stop-loss bracket"
    family: ClassVar[str] = "portfolio"
    Params: ClassVar[type[BotParams]] = BreakoutParams
    params: BreakoutParams

    def warmup_bars(self) -> int:
        return max(self.params.period, self.params.atr_period) + 5

    def decide(self, panel: Panel, ctx: Ctx) -> list[Intent]:
        p = self.params
        sym = panel.instruments[0]
        ts, b = panel.bars(sym)
        if len(ts) < self.warmup_bars() or ctx.position(sym) != 0:
            return []
        trigger = float(ta.rolling_max(b["high"], p.period)[-1])
        atr = float(ta.atr(b["high"], b["low"], b["close"], p.atr_period)[-1])
        if math.isnan(trigger) or math.isnan(atr) or atr <= 0 or b["close"][-1] >= trigger:
            return []
        spec = ctx.spec(sym)
        tick = spec.tick_size if spec is not None else Decimal("0.01")
        stop = (spec.round_price(trigger) if spec is not None else Decimal(repr(round(trigger, 2)))) + tick
        working = ctx.working(sym, Side.BUY)
        if working and working[0][1].stop_price == stop:
            return []  # the resting trigger is already where it should be
        prev = working[0][0] if working else None
        return [OrderIntent.single(
            sym, Side.BUY, size=p.weight * float(ctx.equity) / trigger, order_type=OrderType.STOP, stop=stop,
            bracket=Bracket(take_profit=Decimal(repr(trigger + p.target_atr * atr)),
                            stop_loss=Decimal(repr(trigger - p.stop_atr * atr))),
            id=f"{ctx.bot}-entry-{int(ts[-1])}", replaces=prev or None, tag="breakout")]


SPX_STOP_BREAKOUT = BotSpec(
    name="spx-stop-breakout", bot=StopBreakoutBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
    asset_class=AssetClass.INDEX, params={},
    description="S&P 500 20-day breakout entered with a resting stop order and an ATR bracket",
)
