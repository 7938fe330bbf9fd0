"""Price conventions of binary contracts (Kalshi, Polymarket).

A binary contract's book is quoted in YES: one contract pays 1 if the event happens. A
LONG signal buys YES at the YES ask; a SHORT signal buys NO, which is the same trade as
selling YES at the YES bid, and its ``entry`` (and any ``stop`` or ``target``) is quoted
as the NO price, ``1 - YES``. Gates that compare a signal's prices with the book must
first put both in the same terms: :func:`paid_price` does that.
"""

from __future__ import annotations

from tradefleet.orchestrator.domain import AssetClass


def is_binary(asset_class: AssetClass | str) -> bool:
    """Whether contracts of ``asset_class`` pay 1 or 0 and are quoted in YES."""
    return AssetClass(asset_class) is AssetClass.PREDICTION


def no_price(yes_price: float) -> float:
    """The NO price matching a YES price (rounded off float noise to 1e-9)."""
    return round(1.0 - yes_price, 9)


def paid_price(sign: int, bid: float, ask: float, binary: bool) -> tuple[float, int]:
    """What a signal of ``sign`` pays, in the terms of its own ``entry``, and the sign of an
    adverse move in those terms.

    Ordinary instruments: a long pays the ask (adverse when it rises), a short receives the
    bid (adverse when it falls). Binary contracts: a long pays the YES ask, a short pays the
    NO ask ``1 - YES bid``; both are purchases, so a rise is adverse for either side.
    """
    if not binary:
        return (ask if sign > 0 else bid), sign
    return (ask if sign > 0 else no_price(bid)), 1
