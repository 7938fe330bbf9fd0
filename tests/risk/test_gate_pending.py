"""An approved order counts in the risk gate's book before it fills, valued at the quote's mid,
so the next entry in the same tick sees it against the caps."""

from __future__ import annotations

from decimal import Decimal

from tradefleet.orchestrator.domain import Direction
from tests.risk.test_engine import Rig, _cfg


def test_an_approved_order_counts_at_the_quote_mid_until_it_fills() -> None:
    rig = Rig(_cfg(gross_exposure_pct=0.12), {"A": [10.25] * 60, "B": [10.25] * 60})
    rig.market.quote = lambda s: (10.2, 10.3)  # type: ignore[method-assign]  # a 10-cent spread around 10.25
    dec, qty = rig.go("a", "A", Direction.LONG, fill=False)
    assert (dec.reason, qty) == ("sized", Decimal(970))  # 10,000 at the 10.30 ask
    dec, qty = rig.go("b", "B", Direction.LONG, fill=False)  # same tick: 970 x 10.25 of the 12,000 used
    assert (dec.reason, qty) == ("gross_exposure_global", Decimal(199))  # (12,000 - 9,942.50) / 10.30
