"""Backtest parity: one bot gives the same trades in ``tradefleet backtest`` (the numba
kernel, through :func:`tradefleet.backtest.engine.run_backtest`) and in ``tradefleet run`` (the replay
engine: scheduler, runner, the kernel's ``basic-risk`` gate only, order manager, paper
broker on the fill model), on the bundled S&P 500 daily bars (recorded data).

Sizing differs by design (the kernel invests ``size`` x equity, the risk gate a fraction of
equity rounded to lots), so the comparison is of fills: the bar, the side and the price of
every entry and exit. Costs are set equal: no spread, no slippage, no volume cap (the
paper broker's volume impact remains, ~1e-5 bps here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefleet.backtest.engine import SimSettings, run_backtest
from tradefleet.backtest.strategies import SmaCrossBot
from tradefleet.bots.base import NYSE_CLOSE
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.registry import Registry
from tradefleet.app.replay import resolve_frames, run_replay
from tradefleet.orchestrator.store import Store

START, END = "2009-01-01", "2012-12-31"
SPEC = BotSpec(name="parity-sma", bot=SmaCrossBot, instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d",
               asset_class=AssetClass.INDEX, params={"fast": 10, "slow": 40})


def _config(fill: str) -> AppConfig:
    return AppConfig.model_validate({
        "pipeline": {"stages": ["basic-risk"]},
        "risk": {"exits": {"enabled": False}, "allow_short": True},
        "paper": {"spread_bps": 0.0, "slippage_bps": 0.0, "fee_bps": 0.0, "max_volume_share": 0.0, "fill": fill},
    })


def _run_fills(tmp: Path, fill: str) -> list[tuple[str, str, float]]:
    reg = Registry.discover()
    reg.add_entry("bots", SPEC.name, "tests:SmaCrossBot", lambda: SPEC)
    url = f"sqlite:///{tmp / 'parity.db'}"
    run_replay(_config(fill), bots=[SPEC.name], start=START, end=END, store_url=url, registry=reg)
    store = Store.open(url)
    try:
        bars = resolve_frames(_config(fill), ["SPX"], None, END)[0]["SPX"]
        stamps = bars.index.as_unit("ns").asi8
        out = []
        for f in store.fills():
            import numpy as np

            bar = int(np.searchsorted(stamps, f.ts_event, side="right")) - 1  # the bar it filled on
            out.append((bars.index[bar].date().isoformat(), f.side.value, float(f.price)))
        return sorted(set(out))
    finally:
        store.close()


def _backtest_fills(fill: str) -> list[tuple[str, str, float]]:
    frames, _ = resolve_frames(_config(fill), ["SPX"], None, END)
    frame = frames["SPX"]
    first = int(frame.index.searchsorted(f"{START} 00:00:00+00:00"))
    res = run_backtest(SPEC, frame, SimSettings(fee=0.0, slippage=0.0, size=0.5, fill=fill), start=first)
    t = res.trades_frame()
    out = set()
    for row in t.itertuples():
        side_in, side_out = ("buy", "sell") if row.direction > 0 else ("sell", "buy")
        out.add((row.entry_time.date().isoformat(), side_in, float(row.entry_price)))
        if row.exit_reason != "open":
            out.add((row.exit_time.date().isoformat(), side_out, float(row.exit_price)))
    return sorted(out)


@pytest.mark.parametrize("fill", ["next-open", "close"])
def test_backtest_and_run_give_the_same_fills(tmp_path: Path, fill: str) -> None:
    run, backtest = _run_fills(tmp_path, fill), _backtest_fills(fill)
    assert len(backtest) > 20
    assert [(d, s) for d, s, _ in run] == [(d, s) for d, s, _ in backtest]
    # the paper broker's volume impact on ~40 index units against ~3e9 of volume is ~1e-5 bps
    assert [p for *_, p in run] == pytest.approx([p for *_, p in backtest], rel=1e-8)
