"""The option positions of an account, as ``tradefleet options positions`` and the dashboard show them.

From the stored positions (:meth:`tradefleet.orchestrator.store.Store.positions`), every open
option leg (an OCC symbol) is marked with :func:`tradefleet.risk.options.book.mark_book` at
its underlying's spot and volatility as of ``asof_ns`` (European legs by Black-Scholes-Merton,
American by Bjerksund-Stensland; a leg past its expiry at intrinsic value): mark per share,
position value, P&L against the stored average premium, Greeks per position, days to
expiry. Legs are grouped by structure (the bot and the underlying), each with the shares it
holds as cover, its collateral (:func:`tradefleet.risk.options.collateral.structure_risk`:
a cash-secured put its strike, a spread its maximum loss, naked exposure flagged) and its
totals. Contract style and settlement follow the listing (:func:`model_for`): the S&P 500
index is European and cash-settled, single stocks American and physically settled.

The caller supplies the marks (``spots`` and ``vols`` per underlying) and says where they come
from (``source``): this module reads neither market data nor the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from tradefleet.orchestrator.clock import ns_to_dt
from tradefleet.orchestrator.domain import Position
from tradefleet.orchestrator.occ import NEW_YORK, OccSymbolError, parse_occ
from tradefleet.risk.options.book import OptionLeg, mark_book
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.collateral import structure_risk
from tradefleet.risk.options.greeks import GREEK_NAMES
from tradefleet.risk.options.model_chain import model_for


def contract(symbol: str) -> OptionContract | None:
    """The listed contract an OCC symbol names (style from the listing), None if not one."""
    try:
        spec = parse_occ(symbol)
    except OccSymbolError:
        return None
    m = model_for(spec.underlying)
    return OptionContract(spec.underlying, spec.right, float(spec.strike), spec.expiry, m.style, m.multiplier)


def underlyings(positions: Iterable[Position]) -> list[str]:
    """The underlyings of the open option legs among ``positions``."""
    out = {c.underlying for p in positions if p.quantity for c in [contract(p.instrument)] if c is not None}
    return sorted(out)


def option_report(positions: Iterable[Position], asof_ns: int, spots: Mapping[str, float],
                  vols: Mapping[str, float], rate: float = 0.02, source: str = "") -> dict[str, Any]:
    """Every open option leg marked, grouped by structure (see the module doc)."""
    held = [p for p in positions if p.quantity]
    legs: list[OptionLeg] = []
    rows: list[Position] = []
    shares: dict[tuple[str, str], float] = {}
    for p in held:
        c = contract(p.instrument)
        if c is None:
            shares[(p.bot, p.instrument)] = shares.get((p.bot, p.instrument), 0.0) + float(p.quantity)
            continue
        legs.append(OptionLeg(c, float(p.quantity), float(p.avg_price), f"{p.bot}:{c.underlying}"))
        rows.append(p)
    missing = sorted({leg.contract.underlying for leg in legs} - {u for u in spots if u in vols})
    if missing:
        raise ValueError(f"no spot or vol for {', '.join(missing)}")
    today = ns_to_dt(asof_ns).astimezone(NEW_YORK).date()
    mark = mark_book(legs, asof_ns, spots, vols, rate)
    out_legs = []
    for i, (leg, p) in enumerate(zip(legs, rows, strict=True)):
        c = leg.contract
        out_legs.append({
            "bot": p.bot, "account": p.account, "symbol": p.instrument, "underlying": c.underlying,
            "right": c.kind, "strike": c.strike, "expiry": c.expiry.isoformat(), "style": c.style,
            "days_to_expiry": (c.expiry - today).days, "contracts": leg.contracts, "premium": leg.premium,
            "mark": round(float(mark.price[i]), 4), "value": round(float(mark.value[i]), 2),
            "pnl": round(float(mark.pnl[i]), 2),
            **{g: round(float(mark.greeks[g][i]), 4) for g in GREEK_NAMES}})
    structures = []
    for name, tot in sorted(mark.by_structure().items()):
        bot, _, under = name.partition(":")
        sleg = [leg for leg in legs if leg.structure == name]
        cover = shares.get((bot, under), 0.0)
        risk = structure_risk(sleg, cover)
        spot = spots[under]
        structures.append({
            "bot": bot, "underlying": under, "legs": len(sleg), "shares": cover, "spot": spot,
            "vol": vols[under], "days_to_expiry": min(_dte(leg.contract.expiry, today) for leg in sleg),
            "collateral": round(risk.reserve(spot), 2), "max_loss": None if risk.max_loss is None
            else round(risk.max_loss, 2), "naked": risk.naked, "value": round(tot["value"], 2),
            "pnl": round(tot["pnl"], 2), **{g: round(tot[g], 4) for g in GREEK_NAMES}})
    totals = mark.total()
    return {"asof": ns_to_dt(asof_ns).isoformat(), "source": source, "legs": out_legs, "structures": structures,
            "totals": {"legs": len(out_legs), "value": round(float(mark.value.sum()), 2),
                       "pnl": round(float(mark.pnl.sum()), 2),
                       "collateral": round(sum(s["collateral"] for s in structures), 2),
                       **{g: round(getattr(totals, g), 4) for g in GREEK_NAMES}}}


def _dte(expiry: date, today: date) -> int:
    return (expiry - today).days
