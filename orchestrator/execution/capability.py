"""What each venue can be asked for, decided BEFORE the risk gate.

An intent is either sent as the venue's own order type, emulated by the order manager where
that is honest (stops, trailing stops, brackets and OCO links held locally, DAY/GTD expiry
watched), or refused up front with one line saying why. It is never silently degraded (an
IOC sent as a resting GTC order, a post-only order that may take liquidity, a "venue combo"
sent as independent legs).

What cannot be emulated, and so is refused where the venue lacks it:

* **post-only**: only the venue can refuse an order that would cross;
* **IOC / FOK** on a resting order: an order manager cannot cancel the rest atomically;
* **venue combo** (``Atomic.VENUE_COMBO``): only Alpaca's multi-leg option orders (``mleg``)
  are one; no configured venue offers a combo order for stocks, FX, crypto or prediction
  contracts (``all_or_none`` is the emulated form: every one-leg-filled state is checked by
  the risk gate, or a hedge-on-fill plan is required);
* a **net-price multi-leg** order (a multi-leg limit): it needs a venue combo, and is sent
  only as one (``atomic=venue_combo``).

:func:`table` lists each venue's capabilities for the docs (``docs/bot-authoring.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tradefleet.orchestrator.domain import OrderType, TimeInForce
from tradefleet.orchestrator.intents import Atomic, OrderIntent, Quote

_ALL_TYPES = frozenset(OrderType)
_ALL_TIF = frozenset(TimeInForce)


def _name(broker: Any) -> str:
    return str(getattr(broker, "name", "") or type(broker).__name__)


def order_refusal(broker: Any, order_type: OrderType, tif: TimeInForce, post_only: bool) -> str | None:
    """Why ``broker`` cannot take (or honestly emulate) one order of this kind, or None."""
    name = _name(broker)
    if post_only and not getattr(broker, "post_only", True):
        return f"post-only: {name} cannot refuse an order that would cross (its client has no post-only flag)"
    if order_type is not OrderType.MARKET and tif in (TimeInForce.IOC, TimeInForce.FOK) \
            and tif not in getattr(broker, "native_tif", _ALL_TIF):
        return f"{tif.value}: {name} has no {tif.value.upper()} orders and a resting order cannot be made one"
    return None


def intent_refusal(intent: OrderIntent | Quote, broker_of: Callable[[str], Any]) -> str | None:
    """Why the venue(s) this intent routes to cannot take it as asked, or None."""
    if isinstance(intent, Quote):
        return order_refusal(broker_of(intent.instrument), OrderType.LIMIT, TimeInForce.GTC, intent.post_only)
    brokers = [broker_of(s) for s in intent.instruments]
    if intent.is_multi_leg:
        combo = has_combo(brokers, intent.instruments)
        if intent.atomic is Atomic.VENUE_COMBO and not combo:
            venues = ", ".join(sorted({_name(b) for b in brokers}))
            return (f"venue_combo: {venues} has no combo order for these legs "
                    "(all_or_none checks every one-leg-filled state instead)")
        if intent.order_type is not OrderType.MARKET and not combo:
            return "multi-leg limit: a net price needs a venue combo; send market legs or one-leg limits"
    for b in brokers:
        why = order_refusal(b, intent.order_type, intent.tif, intent.post_only)
        if why is not None:
            return why
    return None


def has_combo(brokers: list[Any], instruments: tuple[str, ...]) -> bool:
    """Whether these legs (all on one venue) can go out as one venue combo order there: the
    venue's ``combo_for(instruments)`` if it has one (Alpaca: option legs only), else
    its ``supports_combo``."""
    if len({id(b) for b in brokers}) != 1:
        return False
    check = getattr(brokers[0], "combo_for", None)
    return bool(check(instruments)) if check is not None else bool(getattr(brokers[0], "supports_combo", False))


def capabilities(broker: Any) -> dict[str, Any]:
    """One venue's row of the capability table: native types and times in force, post-only,
    native brackets/OCO, combo; everything else is emulated or refused (see above)."""
    types = getattr(broker, "native_types", _ALL_TYPES)
    tifs = getattr(broker, "native_tif", _ALL_TIF)
    links = bool(getattr(broker, "native_links", False))
    return {
        "venue": _name(broker),
        "native_types": sorted(t.value for t in types),
        "emulated_types": sorted(t.value for t in _ALL_TYPES - types),
        "native_tif": sorted(t.value for t in tifs),
        "emulated_tif": sorted(t.value for t in (_ALL_TIF - tifs) & {TimeInForce.DAY, TimeInForce.GTD}),
        "refused_tif": sorted(t.value for t in (_ALL_TIF - tifs) & {TimeInForce.IOC, TimeInForce.FOK}),
        "post_only": bool(getattr(broker, "post_only", True)),
        "native_bracket": links or bool(getattr(broker, "native_brackets", False)),
        "native_oco": links or bool(getattr(broker, "native_oco", False)),
        "venue_combo": getattr(broker, "combo_scope", "") or bool(getattr(broker, "supports_combo", False)),
    }


def table(brokers: list[Any]) -> list[dict[str, Any]]:
    return [capabilities(b) for b in brokers]


def venue_classes() -> list[Any]:
    """The paper broker and every venue adapter class (their class attributes are the table)."""
    from tradefleet.orchestrator.execution.paper import PaperBroker
    from tradefleet.orchestrator.execution.venues.alpaca import AlpacaBroker
    from tradefleet.orchestrator.execution.venues.ccxt_venue import BinanceBroker, CoinbaseBroker
    from tradefleet.orchestrator.execution.venues.kalshi import KalshiBroker
    from tradefleet.orchestrator.execution.venues.oanda import OandaBroker
    from tradefleet.orchestrator.execution.venues.polymarket import PolymarketBroker

    return [PaperBroker, AlpacaBroker, OandaBroker, BinanceBroker, CoinbaseBroker, KalshiBroker, PolymarketBroker]


def markdown(rows: list[dict[str, Any]]) -> str:
    """The capability table as Markdown (docs/bot-authoring.md carries it verbatim)."""
    def cell(values: list[str]) -> str:
        return ", ".join(values) if values else "-"

    out = ["| venue | native types | emulated types | native TIF | emulated TIF | refused TIF | post-only "
           "| bracket | OCO | venue combo |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        yes = {True: "native", False: "emulated"}
        out.append(f"| {r['venue']} | {cell(r['native_types'])} | {cell(r['emulated_types'])} | "
                   f"{cell(r['native_tif'])} | {cell(r['emulated_tif'])} | {cell(r['refused_tif'])} | "
                   f"{'yes' if r['post_only'] else 'refused'} | {yes[r['native_bracket']]} | "
                   f"{yes[r['native_oco']]} | {_combo_cell(r['venue_combo'])} |")
    return "\n".join(out)


def _combo_cell(value: Any) -> str:
    return "yes" if value is True else str(value) if value else "refused"
