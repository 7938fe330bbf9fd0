"""Per-venue fee schedules and prediction-market settlement (used by the paper broker so
paper costs match what the live venue would charge).

Rates are the venues' published base tiers (November 2026 schedules; override per account
with ``[accounts.<name>.extra] fee_taker_bps / fee_maker_bps``):

* Alpaca equities: no commission; sells pay the SEC fee ($27.80 per $1M of proceeds) and
  FINRA TAF ($0.000166 a share, at most $8.30 a trade). Alpaca crypto: 25 bps taker, 15 maker.
* OANDA: spread only (no commission on the standard account).
* Coinbase Advanced (Advanced 1): 60 bps taker, 40 maker. Binance spot: 10 bps both.
* Kalshi: ``ceil(0.07 * C * P * (1 - P))`` dollars for takers, ``0.0175`` for makers,
  rounded up to the cent. Polymarket: no trading fee on standard markets.

Prediction contracts pay 1 per contract if the outcome is YES and 0 otherwise;
:func:`settlement_fill` closes a position at that price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Literal, Protocol

from tradefleet.orchestrator.domain import Fill, Side

Liquidity = Literal["taker", "maker"]
CENT = Decimal("0.01")
BPS = Decimal("0.0001")
ZERO = Decimal(0)


class FeeSchedule(Protocol):
    """What a venue charges for one fill."""

    def fee(self, side: Side, qty: Decimal, price: Decimal, liquidity: Liquidity = "taker") -> Decimal: ...


@dataclass(frozen=True)
class BpsFees:
    """A fee proportional to notional, in basis points, by liquidity."""

    taker_bps: Decimal
    maker_bps: Decimal

    def fee(self, side: Side, qty: Decimal, price: Decimal, liquidity: Liquidity = "taker") -> Decimal:
        rate = self.taker_bps if liquidity == "taker" else self.maker_bps
        return (qty * price * rate * BPS).quantize(CENT, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class UsEquityFees:
    """US equities at a zero-commission broker: regulatory fees on sells only."""

    sec_per_million: Decimal = Decimal("27.80")
    taf_per_share: Decimal = Decimal("0.000166")
    taf_max: Decimal = Decimal("8.30")

    def fee(self, side: Side, qty: Decimal, price: Decimal, liquidity: Liquidity = "taker") -> Decimal:
        if side is Side.BUY:
            return ZERO
        sec = (qty * price * self.sec_per_million / Decimal(1_000_000)).quantize(CENT, ROUND_CEILING)
        taf = min(self.taf_max, (qty * self.taf_per_share).quantize(CENT, ROUND_CEILING))
        return sec + taf


@dataclass(frozen=True)
class KalshiFees:
    """Kalshi's trading fee: a coefficient times C * P * (1 - P), rounded up to the cent."""

    taker_coeff: Decimal = Decimal("0.07")
    maker_coeff: Decimal = Decimal("0.0175")

    def fee(self, side: Side, qty: Decimal, price: Decimal, liquidity: Liquidity = "taker") -> Decimal:
        coeff = self.taker_coeff if liquidity == "taker" else self.maker_coeff
        return (coeff * qty * price * (1 - price)).quantize(CENT, ROUND_CEILING)


NO_FEES = BpsFees(ZERO, ZERO)

SCHEDULES: dict[str, FeeSchedule] = {
    "alpaca": UsEquityFees(),
    "alpaca_crypto": BpsFees(Decimal(25), Decimal(15)),
    "oanda": NO_FEES,
    "coinbase": BpsFees(Decimal(60), Decimal(40)),
    "binance": BpsFees(Decimal(10), Decimal(10)),
    "kalshi": KalshiFees(),
    "polymarket": NO_FEES,
    "paper": BpsFees(Decimal(1), Decimal(1)),
}


def schedule_for(venue: str, asset_class: str = "", taker_bps: float | None = None,
                 maker_bps: float | None = None) -> FeeSchedule:
    """The fee schedule of ``venue`` (crypto on Alpaca has its own), or bps overrides."""
    if taker_bps is not None:
        return BpsFees(Decimal(repr(taker_bps)), Decimal(repr(maker_bps if maker_bps is not None else taker_bps)))
    if venue == "alpaca" and asset_class == "crypto":
        return SCHEDULES["alpaca_crypto"]
    try:
        return SCHEDULES[venue]
    except KeyError:
        raise KeyError(f"no fee schedule for venue {venue!r} (known: {', '.join(sorted(SCHEDULES))})") from None


def settlement_price(outcome_yes: bool) -> Decimal:
    """What one YES contract pays at resolution."""
    return Decimal(1) if outcome_yes else ZERO


def settlement_fill(instrument: str, position: Decimal, outcome_yes: bool, ts_ns: int, venue: str = "paper",
                    client_order_id: str = "") -> Fill | None:
    """The fill that closes ``position`` YES contracts at resolution (1 or 0 each, no fee).

    Returns None for a flat position. A long position is sold at the settlement price, a
    short one bought back; the trade id is unique per instrument, so booking a
    resolution twice is de-duplicated like any replayed fill."""
    if position == 0:
        return None
    side = Side.SELL if position > 0 else Side.BUY
    return Fill(client_order_id or f"settle-{instrument}", venue, f"settle-{instrument}", f"settle-{instrument}",
                instrument, side, abs(position), settlement_price(outcome_yes), ZERO, ts_ns, ts_ns)


def settlement_pnl(position: Decimal, avg_price: Decimal, outcome_yes: bool) -> Decimal:
    """Realised P&L of holding ``position`` contracts bought at ``avg_price`` to resolution."""
    return (settlement_price(outcome_yes) - avg_price) * position
