from __future__ import annotations

import pytest

from tradefleet.bots.crypto.events import (
    DOMINANCE_ROTATION,
    FUNDING_CARRY,
    PERIODS_PER_YEAR,
    CryptoSnapshot,
)
from tradefleet.orchestrator.bot import BotSpec, EventBot, TickContext
from tradefleet.orchestrator.domain import Direction, Signal
from tradefleet.orchestrator.errors import PluginError


def _run(spec: BotSpec, snaps: list[CryptoSnapshot]) -> list[list[Signal]]:
    bot = spec.build()
    assert isinstance(bot, EventBot)
    return [bot.on_tick(TickContext(spec.name, s.ts_ns, spec.instruments, market=None, data=s)) for s in snaps]


def _apr(pct: float) -> float:
    return pct / 100 / PERIODS_PER_YEAR  # per-8h rate giving ``pct`` % a year


def test_funding_carry_opens_holds_and_unwinds_with_hysteresis() -> None:
    prices = {"BTC/USDT:USDT": 60_010.0, "BTC/USDT": 60_000.0}
    rates = [10.0, 20.0, 12.0, 6.0, 4.0, 30.0]
    snaps = [CryptoSnapshot(i, prices, {"BTC/USDT:USDT": _apr(r)}) for i, r in enumerate(rates)]
    out = _run(FUNDING_CARRY, snaps)
    assert out[0] == []                                         # 10 % < 15 %: nothing
    assert [(s.instrument, s.direction) for s in out[1]] == [
        ("BTC/USDT:USDT", Direction.SHORT), ("BTC/USDT", Direction.LONG)]
    assert out[1][0].meta["funding_apr"] == pytest.approx(20.0)
    assert out[2] == [] and out[3] == []                        # 12 % and 6 %: still above the 5 % exit
    assert {s.direction for s in out[4]} == {Direction.FLAT}    # 4 %: unwind both legs
    assert len(out[5]) == 2                                     # re-open at 30 %


def test_funding_params_need_hysteresis() -> None:
    with pytest.raises(PluginError):
        FUNDING_CARRY.make_params({"enter_apr": 5.0, "exit_apr": 10.0})


def test_dominance_rotation_switches_on_the_trend() -> None:
    flat = [50.0] * 30
    snaps = [CryptoSnapshot(0, {"BTC/USD": 1.0, "ETH/USD": 1.0}, {}, tuple(flat)),
             CryptoSnapshot(1, {}, {}, tuple(flat[1:] + [52.0])),          # dominance up: BTC
             CryptoSnapshot(2, {}, {}, tuple(flat[2:] + [52.0, 52.1])),    # still up: no change
             CryptoSnapshot(3, {}, {}, tuple(flat[3:] + [52.0, 52.1, 48.0]))]  # falls: rotate to ETH
    out = _run(DOMINANCE_ROTATION, snaps)
    assert out[0] == []                                          # inside the band, nothing held
    assert [(s.instrument, s.direction) for s in out[1]] == [("BTC/USD", Direction.LONG)]
    assert out[2] == []
    assert [(s.instrument, s.direction) for s in out[3]] == [("BTC/USD", Direction.FLAT), ("ETH/USD", Direction.LONG)]


def test_dominance_needs_a_full_window() -> None:
    assert _run(DOMINANCE_ROTATION, [CryptoSnapshot(0, {}, {}, (50.0,) * 10)]) == [[]]
