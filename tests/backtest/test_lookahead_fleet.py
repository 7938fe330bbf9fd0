"""Every registered bar bot passes the lookahead check on its bundled data."""

from __future__ import annotations

import pytest

from tradefleet.backtest.lookahead import check_lookahead
from tradefleet.orchestrator.registry import Registry
from tradefleet.scrapers.bundled import dataset_for, load_dataset

_REG = Registry.discover(["bots"])
_BAR_BOTS = sorted(n for n, s in _REG.bots().items() if not s.bot.event_driven and s.bot.supports_backtest)


@pytest.mark.parametrize("name", _BAR_BOTS)
def test_registered_bot_has_no_lookahead(name: str) -> None:
    spec = _REG.bot(name)
    frame = load_dataset(dataset_for(spec.instruments[0]).name)
    rep = check_lookahead(spec.build(), frame, name, count=4)
    assert rep.clean, rep.detail
