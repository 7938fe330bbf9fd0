"""Finding the order a venue fill belongs to when the fill names only the venue's id.

A write whose reply was lost leaves the order UNKNOWN (or INTENT/SUBMITTED) with no
venue order id, so a fill for it cannot be matched by id. Before a fill is adopted as
EXTERNAL, :func:`match_venue_order` tries, in order:

1. each unsettled order of the account (no venue id yet) by its **client order id**
   (``query_order``): the venue's answer names its venue id, which is stored;
2. the venue's own record of that venue order (``order_by_venue_id`` where the adapter
   has it) or its list of open orders: the client id the venue reports, if the store
   knows it.

Only a venue order whose client id the store has never seen is EXTERNAL.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tradefleet.orchestrator.domain import OrderStatus
from tradefleet.orchestrator.errors import BrokerError
from tradefleet.orchestrator.execution.broker import Broker, VenueOrder

if TYPE_CHECKING:
    from tradefleet.orchestrator.store import Store

_log = logging.getLogger("tradefleet.execution")
_UNSETTLED = (OrderStatus.UNKNOWN, OrderStatus.INTENT, OrderStatus.SUBMITTED)


def match_venue_order(store: Store, broker: Broker, account: str, venue_order_id: str,
                      instrument: str, now_ns: int) -> str | None:
    """Return the client order id of ``venue_order_id`` if it is one of ours, else None."""
    for rec in store.orders(_UNSETTLED):
        if rec.account != account or rec.venue_order_id or rec.instrument != instrument:
            continue
        found = _query(broker, rec.client_order_id)
        if found is None or not found.venue_order_id:
            continue
        store.update_order(rec.client_order_id, rec.status, venue_order_id=found.venue_order_id, ts_ns=now_ns)
        if found.venue_order_id == venue_order_id:
            return rec.client_order_id
    venue = _by_venue_id(broker, venue_order_id)
    if venue is not None and venue.client_order_id and store.order(venue.client_order_id) is not None:
        return venue.client_order_id
    return None


def _query(broker: Broker, client_order_id: str) -> VenueOrder | None:
    try:
        return broker.query_order(client_order_id)
    except BrokerError as exc:
        _log.warning("matching a fill: query of %s failed: %s", client_order_id, exc)
        return None


def _by_venue_id(broker: Broker, venue_order_id: str) -> VenueOrder | None:
    lookup = getattr(broker, "order_by_venue_id", None)
    try:
        if lookup is not None:
            found: VenueOrder | None = lookup(venue_order_id)
            return found
        return next((o for o in broker.open_orders() if o.venue_order_id == venue_order_id), None)
    except BrokerError as exc:
        _log.warning("matching a fill: venue order %s could not be read: %s", venue_order_id, exc)
        return None
