"""Model-priced option chains for replay on bundled underlying history.

No option quotes ship with the bundled data, so replays and backtests of option bots
price a chain from the underlying: contracts on the listed grid (monthly expiries on the
third Friday, strikes on the exchange's increments around the spot), a causal GARCH(1,1)
volatility (:func:`tradefleet.risk.options.vol.garch_filter_vol`, row t uses returns up to t only),
a linear skew in log-moneyness, and a bid/ask spread around the model mid. Every chain
built here is *model-priced*: :data:`PROVENANCE` says so, and every report that uses one
must print it. It is never recorded market data.

Defaults follow the listings: the S&P 500 index (``SPX``) is European and cash-settled;
single stocks (``GOOG``) are American and physically settled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

import numpy as np

from tradefleet.risk.options.american import bjerksund_stensland_price
from tradefleet.risk.options.bsm import bsm_price
from tradefleet.risk.options.chain import YEAR_NS, OptionChain, OptionContract, OptionQuote, Style
from tradefleet.risk.options.errors import OptionInputError

PROVENANCE = "model-priced (GARCH vol, configured skew and spread; not recorded quotes)"
Settlement = Literal["cash", "physical"]


@dataclass(frozen=True)
class ChainModel:
    """How a model-priced chain is built: grid, style, settlement, skew and spread."""

    style: Style = "american"
    settlement: Settlement = "physical"
    multiplier: int = 100
    months: int = 3              # monthly expiries listed ahead
    strikes_each_side: int = 10  # strikes listed each side of the spot
    skew: float = -0.10          # vol change per unit of log(K / S): a put skew when negative
    spread_share: float = 0.04   # bid/ask spread as a share of the mid
    min_spread: float = 0.05     # never tighter than this (one price tick)
    tick: float = 0.05
    rate: float = 0.02
    dividend: float = 0.0

    def __post_init__(self) -> None:
        if self.months < 1 or self.strikes_each_side < 1:
            raise OptionInputError("chain model: months and strikes_each_side must be >= 1")
        if not (0 <= self.spread_share < 1 and self.min_spread >= 0 and self.tick > 0):
            raise OptionInputError("chain model: spread_share in [0, 1), min_spread >= 0 and tick > 0")


SPX_MODEL = ChainModel(style="european", settlement="cash", skew=-0.15)
EQUITY_MODEL = ChainModel(style="american", settlement="physical")
#: how each underlying's options are listed (anything else: American, physically settled)
LISTED_MODELS: dict[str, ChainModel] = {"SPX": SPX_MODEL}


def model_for(underlying: str) -> ChainModel:
    """The listing's chain model of ``underlying`` (style, settlement, grid, skew, spread)."""
    return LISTED_MODELS.get(underlying, EQUITY_MODEL)


def strike_increment(spot: float) -> float:
    """Return the listed strike spacing near ``spot`` (the usual US equity/index grid)."""
    if spot < 25:
        return 1.0 if spot >= 5 else 0.5
    if spot < 200:
        return 2.5 if spot < 100 else 5.0
    if spot < 1000:
        return 10.0
    return 25.0


def third_friday(year: int, month: int) -> date:
    """Return the third Friday of a month (the monthly equity option expiry)."""
    first = date(year, month, 15)
    return first + timedelta(days=(4 - first.weekday()) % 7)


def monthly_expiries(today: date, count: int) -> list[date]:
    """Return the next ``count`` monthly expiries after ``today`` (today's excluded)."""
    out: list[date] = []
    y, m = today.year, today.month
    while len(out) < count:
        e = third_friday(y, m)
        if e > today:
            out.append(e)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def model_quotes(model: ChainModel, kind: Any, spot: Any, strike: Any, years: Any, atm_vol: Any
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (bid, ask, mid, vol) under ``model``: the skewed vol, the style's pricer and the
    spread rounded out to the tick (broadcast over all arguments)."""
    vol = np.maximum(atm_vol + model.skew * np.log(strike / spot), 0.25 * np.asarray(atm_vol))
    pricer = bjerksund_stensland_price if model.style == "american" else bsm_price
    mid = np.asarray(pricer(kind, spot, strike, years, model.rate, vol, model.dividend), dtype=float)
    half = np.maximum(mid * model.spread_share, model.min_spread) / 2.0
    bid = np.maximum(np.floor((mid - half) / model.tick) * model.tick, 0.0)
    ask = np.maximum(np.ceil((mid + half) / model.tick) * model.tick, model.tick)
    return bid, ask, mid, vol


@lru_cache(maxsize=256)
def _listed(underlying: str, expiries: tuple[date, ...], centre: float, step: float, model: ChainModel
            ) -> tuple[tuple[OptionContract, ...], np.ndarray, np.ndarray, tuple[int, ...]]:
    """The contracts a chain lists for ``expiries`` around ``centre``, with their strikes,
    kinds and expiry instants: the same from bar to bar until an expiry passes or the centre
    strike moves."""
    strikes = [centre + i * step for i in range(-model.strikes_each_side, model.strikes_each_side + 1)]
    contracts = tuple(OptionContract(underlying, kind, k, e, model.style, model.multiplier)
                      for e in expiries for kind in ("call", "put") for k in strikes if k > 0)
    k = np.array([c.strike for c in contracts])
    kind = np.array([c.kind for c in contracts])
    k.flags.writeable = kind.flags.writeable = False  # shared between chains
    return contracts, k, kind, tuple(c.expiry_ns() for c in contracts)


def model_chain(underlying: str, asof_ns: int, spot: float, atm_vol: float,
                model: ChainModel = EQUITY_MODEL) -> OptionChain:
    """Return the model-priced chain on ``underlying`` at ``asof_ns`` (see the module doc)."""
    if not (spot > 0 and math.isfinite(spot) and atm_vol > 0 and math.isfinite(atm_vol)):
        raise OptionInputError(f"model chain {underlying}: spot {spot!r} and vol {atm_vol!r} must be > 0")
    today = datetime.fromtimestamp(asof_ns / 1e9, tz=timezone.utc).date()
    step = strike_increment(spot)
    centre = round(spot / step) * step
    contracts, k, kind, expiry_ns = _listed(underlying, tuple(monthly_expiries(today, model.months)), centre, step,
                                            model)
    t = np.array([(e - asof_ns) / YEAR_NS for e in expiry_ns])  # OptionContract.years_to_expiry
    bid, ask, _, vol = model_quotes(model, kind, spot, k, t, atm_vol)
    quotes = [OptionQuote(c, b, a, v) for c, b, a, v in zip(contracts, bid.tolist(), ask.tolist(), vol.tolist())]
    return OptionChain(underlying, asof_ns, tuple(quotes), spot=spot, provenance=PROVENANCE)
