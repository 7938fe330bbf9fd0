"""Option bots that trade listed contracts: open, manage and close real legs through intents.

Each bot reads the option chain of its underlying (``ctx.chain(underlying)``: in replay a
model-priced chain, labelled so in ``chain.provenance``) and returns ONE multi-leg
:class:`~tradefleet.orchestrator.intents.OrderIntent` per structure: all legs are approved
by the risk gate as one decision (collateral, maximum loss and the naked-option rule of
:mod:`tradefleet.risk.options.gate`), sent as market legs that fill at the chain's bid and
ask, with a hedge-on-fill plan (a leg that fills while a sibling does not is unwound).

Management, the same for every bot (documented rules, all params):

- a structure opens on the first monthly expiry at least ``min_dte`` days out, strikes on
  the listed grid nearest to the bot's rule, ``contracts`` of it;
- it is closed (one reduce-only intent for all its option legs) when its value reaches the
  take-profit (a credit structure bought back for ``1 - take_profit`` of the credit, a debit
  structure worth ``1 + take_profit`` times the debit), or ``close_dte`` days before expiry
  (0: held to expiry);
- otherwise the engine settles it at expiry: in the money exercised or assigned at intrinsic
  value (physically settled stock options deliver the shares), the rest expire worthless;
  short American legs may be assigned early (:mod:`tradefleet.risk.options.listing`);
- the next structure opens on the next fire with no option leg held (a roll is close,
  then open);
- a structure is not proposed when one of it needs more than the bot's capital left
  (``ctx.capital`` less its positions at their marks): its premiums at the touch times the
  multiplier plus the shares it buys at the spot. That outlay is the least of what the risk
  gate counts against the bot's budget (collateral comes on top), so the gate would refuse
  it; the bot logs when it starts and stops waiting for capital instead of sending a
  refused structure through every gate on every fire.

The entry price of a structure is remembered in memory (after a restart the take-profit
falls back to the DTE rule and expiry).

=================  ===========================================================  ============
bot                structure                                                    underlying
=================  ===========================================================  ============
wheel              cash-secured put until assigned; covered calls on the        GOOG
                   assigned shares until called away; repeat                    (American,
covered call       100 shares per contract plus a short OTM call; calls rolled  physical)
protective put     100 shares per contract plus a long OTM put; puts rolled
vertical spread    debit bull call spread above the SMA, bear put spread below
iron condor        short OTM put and call spreads (credit)
=================  ===========================================================  ============
"""

from __future__ import annotations

import logging
import math
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field

from tradefleet.bots.base import NYSE_CLOSE
from tradefleet.orchestrator.bot import BotParams, BotSpec, PortfolioBot
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.intents import Atomic, Intent, LegRisk, OrderIntent
from tradefleet.orchestrator.occ import occ_symbol

if TYPE_CHECKING:
    from tradefleet.orchestrator.context import Ctx
    from tradefleet.orchestrator.panel import Panel

NS_PER_DAY = 86_400 * 1_000_000_000

log = logging.getLogger(__name__)


class OptionLegsParams(BotParams):
    contracts: int = Field(1, ge=1, le=100, description="contracts per structure")
    min_dte: int = Field(25, ge=1, le=120, description="open on the first monthly expiry at least this many days out")
    close_dte: int = Field(0, ge=0, le=60, description="close this many days before expiry (0: hold to expiry)")
    take_profit: float = Field(0.5, ge=0, le=5, description="close at this share of the premium won (0: never)")


class OptionLegsBot(PortfolioBot):
    """Shared plumbing: the chain, held legs, the management rules, the intents."""

    family: ClassVar[str] = "options"
    Params: ClassVar[type[BotParams]] = OptionLegsParams
    params: OptionLegsParams
    #: shares of the underlying per contract the structure holds (covered call, protective put)
    stock_per_contract: ClassVar[int] = 0
    #: shares an assignment delivers are the strategy (the wheel writes calls on them); else
    #: shares beyond ``stock_per_contract`` are sold (or bought back) at the next fire
    keeps_assigned_shares: ClassVar[bool] = False

    def __init__(self, params: BotParams | None = None) -> None:
        super().__init__(params)  # type: ignore[arg-type]
        self._entry: dict[frozenset[str], float] = {}  # structure (its symbols) -> signed value at the open
        self._waiting = False  # the last structure was not proposed: one of it needs more capital than is left

    def warmup_bars(self) -> int:
        return 60

    # -- what each bot defines --------------------------------------------------------
    def legs(self, chain: Any, spot: float, expiry: date, panel: Panel, ctx: Ctx) -> dict[str, int] | None:
        """The option legs to open, ``{OCC symbol: signed contracts per structure}``."""
        raise NotImplementedError

    # -- the decision -------------------------------------------------------------------
    def decide(self, panel: Panel, ctx: Ctx) -> list[Intent]:
        if len(panel) == 0:
            return []
        under = panel.instruments[0]
        if any(not o.is_contingent for o in ctx.open_orders):
            return []  # something is working: wait for it
        held = self.option_legs(ctx, under)
        shares = ctx.position(under)
        stray = Decimal(0)
        if not self.keeps_assigned_shares:
            want = Decimal(self.stock_per_contract * self.params.contracts)
            stray = shares - want if (shares > want or shares < 0) else Decimal(0)
        if stray:  # an early assignment or exercise left shares the structure does not want
            return [OrderIntent.single(under, "sell" if stray > 0 else "buy", size=abs(stray), reduce_only=True,
                                       tag=f"unwind {abs(stray)} delivered shares")]
        if held:
            return self.manage(held, ctx)
        chain = ctx.chain(under)
        if chain is None or not len(chain):
            return []
        spot = float(chain.spot or panel.values["close"][-1, 0])
        expiry = next((e for e in chain.expiries() if (e - ctx.now.date()).days >= self.params.min_dte), None)
        if expiry is None:
            return []
        legs = self.legs(chain, spot, expiry, panel, ctx)
        if not legs:
            return []
        return self.open(under, legs, chain, spot, ctx)

    def option_legs(self, ctx: Ctx, underlying: str) -> dict[str, Decimal]:
        out = {}
        for sym, qty in ctx.positions.items():
            spec = ctx.spec(sym)
            if qty and spec is not None and spec.option is not None and spec.option.underlying == underlying:
                out[sym] = qty
        return out

    def open(self, under: str, legs: dict[str, int], chain: Any, spot: float, ctx: Ctx) -> list[Intent]:
        n = self.params.contracts
        ratios: dict[str, float] = {s: float(q) for s, q in legs.items()}
        short_of = self.stock_per_contract * n - float(ctx.position(under))
        if self.stock_per_contract and short_of > 0:  # the shares the structure is written against
            ratios[under] = short_of / n
        value = outlay = 0.0
        for sym, q in legs.items():
            quote = chain.by_symbol(sym)
            if quote is None:
                return []
            px = quote.ask if q > 0 else quote.bid
            value += q * px
            outlay += abs(q) * px * quote.contract.multiplier
        outlay += ratios.get(under, 0.0) * spot
        if not self._affordable(outlay, ctx):
            return []
        self._entry[frozenset(legs)] = value
        return [OrderIntent.combo(ratios, size=n, atomic=Atomic.ALL_OR_NONE, leg_risk=LegRisk.HEDGE,
                                  tag=f"open {type(self).__name__} {value:+.2f}/share")]

    def _affordable(self, outlay: float, ctx: Ctx) -> bool:
        """Whether one structure's ``outlay`` fits the bot's capital left (always, when the
        context carries no capital); logs each change between fitting and waiting."""
        if ctx.capital is None:
            return True
        left = float(ctx.capital) - sum(abs(ctx.notional(sym)) for sym in ctx.positions)
        waiting = outlay > left
        if waiting != self._waiting:
            self._waiting = waiting
            if waiting:
                log.info("%s: one structure needs %.2f of capital, %.2f is left of its %.2f: not proposed "
                         "until it fits", ctx.bot, outlay, max(left, 0.0), float(ctx.capital))
            else:
                log.info("%s: one structure (%.2f) fits its capital left (%.2f) again", ctx.bot, outlay, left)
        return not waiting

    def manage(self, held: dict[str, Decimal], ctx: Ctx) -> list[Intent]:
        p = self.params
        dte = min((ctx.spec(s).option.expiry - ctx.now.date()).days for s in held)  # type: ignore[union-attr]
        reason = ""
        if p.close_dte and dte <= p.close_dte:
            reason = f"{dte} days to expiry"
        entry = self._entry.get(frozenset(held))
        if not reason and entry is not None and p.take_profit > 0:
            n = float(next(iter(held.values())))
            first = next(iter(held))
            per = {s: float(q) / abs(n) for s, q in held.items()} if n else {}
            value = sum(per[s] * ctx.marks.get(s, math.nan) for s in held) if per else math.nan
            if entry < 0 and value == value and -value <= (1 - p.take_profit) * -entry:
                reason = f"credit {-entry:.2f} bought back at {-value:.2f}"
            elif entry > 0 and value == value and value >= (1 + p.take_profit) * entry:
                reason = f"debit {entry:.2f} now worth {value:.2f}"
            del first
        if not reason:
            return []
        return [OrderIntent.combo({s: -float(q) for s, q in held.items()}, size=1, reduce_only=True,
                                  atomic=Atomic.ALL_OR_NONE, leg_risk=LegRisk.HEDGE, tag=f"close: {reason}")]


def _strike(chain: Any, expiry: date, target: float, how: str) -> float | None:
    strikes = chain.strikes(expiry)
    if not strikes:
        return None
    if how == "up":
        above = [k for k in strikes if k >= target]
        return above[0] if above else None
    if how == "down":
        below = [k for k in strikes if k <= target]
        return below[-1] if below else None
    return min(strikes, key=lambda k: abs(k - target))


def _sym(chain: Any, expiry: date, right: str, strike: float | None) -> str | None:
    return None if strike is None else occ_symbol(chain.underlying, expiry, right, strike)  # type: ignore[arg-type]


class WheelParams(OptionLegsParams):
    put_otm_pct: float = Field(0.05, ge=0, le=0.5, description="cash-secured put strike below the spot")
    call_otm_pct: float = Field(0.03, ge=0, le=0.5, description="covered call strike above the spot")


class OptionWheelBot(OptionLegsBot):
    """Sell cash-secured puts until assigned, then covered calls until called away."""

    keeps_assigned_shares: ClassVar[bool] = True

    description: ClassVar[str] = "The wheel on listed options: cash-secured puts, assignment, covered calls, call-away"
    Params: ClassVar[type[BotParams]] = WheelParams
    params: WheelParams

    def legs(self, chain: Any, spot: float, expiry: date, panel: Panel, ctx: Ctx) -> dict[str, int] | None:
        p = self.params
        shares = float(ctx.position(panel.instruments[0]))
        n = p.contracts
        if shares >= 100 * n:  # assigned: write calls on the shares
            return _one(_sym(chain, expiry, "call", _strike(chain, expiry, spot * (1 + p.call_otm_pct), "up")), -1)
        return _one(_sym(chain, expiry, "put", _strike(chain, expiry, spot * (1 - p.put_otm_pct), "down")), -1)


class CoveredCallParams(OptionLegsParams):
    otm_pct: float = Field(0.03, ge=0, le=0.5, description="call strike above the spot")


class OptionCoveredCallBot(OptionLegsBot):
    """Hold 100 shares per contract and write an OTM call against them."""

    description: ClassVar[str] = "Covered call on listed options: shares plus a short OTM call, rolled each month"
    Params: ClassVar[type[BotParams]] = CoveredCallParams
    params: CoveredCallParams
    stock_per_contract: ClassVar[int] = 100

    def legs(self, chain: Any, spot: float, expiry: date, panel: Panel, ctx: Ctx) -> dict[str, int] | None:
        return _one(_sym(chain, expiry, "call", _strike(chain, expiry, spot * (1 + self.params.otm_pct), "up")), -1)


class ProtectivePutParams(OptionLegsParams):
    otm_pct: float = Field(0.05, ge=0, le=0.5, description="put strike below the spot")


class OptionProtectivePutBot(OptionLegsBot):
    """Hold 100 shares per contract insured by a long OTM put."""

    description: ClassVar[str] = "Protective put on listed options: shares plus a long OTM put, rolled before expiry"
    Params: ClassVar[type[BotParams]] = ProtectivePutParams
    params: ProtectivePutParams
    stock_per_contract: ClassVar[int] = 100

    def legs(self, chain: Any, spot: float, expiry: date, panel: Panel, ctx: Ctx) -> dict[str, int] | None:
        return _one(_sym(chain, expiry, "put", _strike(chain, expiry, spot * (1 - self.params.otm_pct), "down")), 1)


class VerticalParams(OptionLegsParams):
    trend_window: int = Field(50, ge=5, le=400, description="SMA span that sets the view")
    width_pct: float = Field(0.05, gt=0, le=0.5, description="distance of the short strike")


class OptionVerticalSpreadBot(OptionLegsBot):
    """A debit vertical in the direction of the trend (close versus its SMA)."""

    description: ClassVar[str] = "Debit verticals on listed options: bull call spreads up, bear put spreads down"
    Params: ClassVar[type[BotParams]] = VerticalParams
    params: VerticalParams

    def warmup_bars(self) -> int:
        return self.params.trend_window + 5

    def legs(self, chain: Any, spot: float, expiry: date, panel: Panel, ctx: Ctx) -> dict[str, int] | None:
        p = self.params
        close = panel.values["close"][:, 0]
        close = close[np.isfinite(close)]
        if len(close) < p.trend_window:
            return None
        up = spot >= float(close[-p.trend_window:].mean())
        if up:
            long_k = _strike(chain, expiry, spot, "near")
            short_k = _strike(chain, expiry, spot * (1 + p.width_pct), "up")
            right = "call"
        else:
            long_k = _strike(chain, expiry, spot, "near")
            short_k = _strike(chain, expiry, spot * (1 - p.width_pct), "down")
            right = "put"
        a, b = _sym(chain, expiry, right, long_k), _sym(chain, expiry, right, short_k)
        if a is None or b is None or a == b:
            return None
        return {a: 1, b: -1}


class IronCondorParams(OptionLegsParams):
    otm_pct: float = Field(0.05, gt=0, le=0.5, description="short strikes this far from the spot")
    wing_pct: float = Field(0.03, gt=0, le=0.5, description="long wings this far beyond the shorts")


class OptionIronCondorBot(OptionLegsBot):
    """Sell an OTM put spread and an OTM call spread (range view, credit)."""

    description: ClassVar[str] = "Iron condor on listed options: short OTM put and call spreads with long wings"
    Params: ClassVar[type[BotParams]] = IronCondorParams
    params: IronCondorParams

    def legs(self, chain: Any, spot: float, expiry: date, panel: Panel, ctx: Ctx) -> dict[str, int] | None:
        p = self.params
        ps = _strike(chain, expiry, spot * (1 - p.otm_pct), "down")
        cs = _strike(chain, expiry, spot * (1 + p.otm_pct), "up")
        if ps is None or cs is None:
            return None
        pl = _strike(chain, expiry, ps * (1 - p.wing_pct), "down")
        cl = _strike(chain, expiry, cs * (1 + p.wing_pct), "up")
        syms = [_sym(chain, expiry, "put", pl), _sym(chain, expiry, "put", ps), _sym(chain, expiry, "call", cs),
                _sym(chain, expiry, "call", cl)]
        if any(s is None for s in syms) or len(set(syms)) != 4:
            return None
        return {syms[0]: 1, syms[1]: -1, syms[2]: -1, syms[3]: 1}  # type: ignore[dict-item]


def _one(sym: str | None, qty: int) -> dict[str, int] | None:
    return None if sym is None else {sym: qty}


def _spec(name: str, bot: type[OptionLegsBot], params: dict[str, Any], description: str) -> BotSpec:
    return BotSpec(name=name, bot=bot, params=params, description=description, instruments=("GOOG",),
                   schedule=NYSE_CLOSE, timeframe="1d", asset_class=AssetClass.OPTION)


GOOG_WHEEL = _spec("goog-wheel", OptionWheelBot, {"put_otm_pct": 0.05, "call_otm_pct": 0.03},
                   "GOOG wheel on listed monthly options (model-priced chain in replay): 5% OTM puts, then 3% OTM calls")
GOOG_COVERED_CALL = _spec("goog-covered-call", OptionCoveredCallBot, {"otm_pct": 0.03},
                          "GOOG shares with a 3% OTM monthly call written against them")
GOOG_PROTECTIVE_PUT = _spec("goog-protective-put", OptionProtectivePutBot, {"otm_pct": 0.05, "close_dte": 5,
                                                                           "take_profit": 0.0},
                            "GOOG shares insured by a 5% OTM monthly put, rolled 5 days before expiry")
GOOG_VERTICAL_SPREAD = _spec("goog-vertical-spread", OptionVerticalSpreadBot, {"width_pct": 0.05, "take_profit": 0.8},
                             "GOOG monthly debit verticals with the 50-day trend")
GOOG_IRON_CONDOR = _spec("goog-iron-condor", OptionIronCondorBot, {"otm_pct": 0.06, "wing_pct": 0.04,
                                                                   "close_dte": 7},
                         "GOOG monthly iron condor 6% OTM with 4% wings, closed at half the credit or 7 days out")
