"""Contract suite run over every registered bar bot (entry-point group ``tradefleet.bots``).

Each bot must load, validate its params, and on its bundled history return the signal
columns for every bar, with legal values, causally (no lookahead), and its live evaluation
on ``warmup_bars()`` of history must agree with the full-history backtest.
"""

from __future__ import annotations

import importlib.metadata as md
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.bot import REGIMES, SIGNAL_COLUMNS, Bot, BotSpec, EventBot
from tradefleet.orchestrator.registry import Registry
from tradefleet.scrapers.bundled import BY_SYMBOL, load_dataset

BOT_NAMES = sorted(ep.name for ep in md.entry_points(group="tradefleet.bots"))
VALID_FAMILIES = {"equities", "crypto", "forex", "prediction", "options", "fleet", "portfolio"}


@cache
def _registry() -> Registry:
    return Registry.discover(["bots"])


def _spec(name: str) -> BotSpec:
    spec: BotSpec = _registry().bot(name)
    return spec


def _bar_spec(name: str) -> BotSpec:
    spec = _spec(name)
    if spec.bot.event_driven:
        pytest.skip(f"{name} is event-driven")
    if spec.bot.portfolio:
        pytest.skip(f"{name} is a portfolio bot (tests/bots/test_portfolio_contract.py)")
    if spec.instruments[0] not in BY_SYMBOL:
        pytest.skip(f"{name}: no bundled data for {spec.instruments[0]}")
    return spec


@cache
def _history(symbol: str) -> pd.DataFrame:
    return load_dataset(BY_SYMBOL[symbol].name)


@cache
def _full(name: str) -> pd.DataFrame:
    spec = _spec(name)
    return spec.build().compute(_history(spec.instruments[0]))


def test_enough_bots_registered() -> None:
    assert len(BOT_NAMES) >= 6


@pytest.mark.parametrize("name", BOT_NAMES)
def test_bot_loads_and_describes_itself(name: str) -> None:
    spec = _spec(name)
    assert spec.name == name
    assert issubclass(spec.bot, Bot)
    assert spec.bot.description and "\n" not in spec.bot.description
    assert spec.summary
    assert spec.family in VALID_FAMILIES
    assert spec.regimes and set(spec.regimes) <= REGIMES
    assert spec.schedule.timezone and spec.timeframe
    bot = spec.build()
    assert isinstance(bot.params, spec.bot.Params)
    assert bot.warmup_bars() >= 1
    if not spec.bot.event_driven:
        assert spec.schedule.calendar is not None


@pytest.mark.parametrize("name", BOT_NAMES)
def test_compute_returns_legal_signal_columns(name: str) -> None:
    spec = _bar_spec(name)
    frame = _history(spec.instruments[0])
    out = _full(name)
    assert out.index.equals(frame.index)
    assert "signal" in out.columns and set(out.columns) <= set(SIGNAL_COLUMNS)
    assert set(np.unique(out["signal"])) <= {-1, 0, 1}
    assert (out["signal"] != 0).any(), "bot never trades on its own history"
    if "confidence" in out:
        conf = out["confidence"].to_numpy()
        assert np.isfinite(conf).all() and conf.min() >= 0 and conf.max() <= 1
    close = frame["close"].to_numpy()
    on = out["signal"].to_numpy()
    for col, side in (("stop", -1), ("target", 1)):
        if col in out:
            lvl = out[col].to_numpy()
            live = (on != 0) & np.isfinite(lvl)
            # A stop sits on the losing side of the close, a target on the winning side.
            wrong = np.sign(lvl[live] - close[live]) == -side * on[live]
            assert not wrong.any() or wrong.mean() < 0.01, f"{col} on the wrong side of the close"


@pytest.mark.parametrize("name", BOT_NAMES)
def test_compute_is_causal(name: str) -> None:
    spec = _bar_spec(name)
    frame = _history(spec.instruments[0])
    full = _full(name)
    bot = spec.build()
    for k in sorted({len(frame) // 7, len(frame) // 3, len(frame) // 2, len(frame) - 1, bot.warmup_bars() + 3}):
        if not 1 <= k <= len(frame):
            continue
        part = bot.compute(frame.iloc[:k])
        pd.testing.assert_frame_equal(part, full.iloc[:k], check_exact=False, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", BOT_NAMES)
def test_live_window_agrees_with_backtest(name: str) -> None:
    spec = _bar_spec(name)
    frame = _history(spec.instruments[0])
    full = _full(name)["signal"].to_numpy()
    bot = spec.build()
    w = bot.warmup_bars()
    assert w < len(frame) // 2, f"warm-up of {w} bars leaves too little of the {len(frame)}-bar history"
    cuts = np.unique(np.linspace(w, len(frame), 40, dtype=int))
    live = np.array([bot.compute(frame.iloc[k - w:k])["signal"].iloc[-1] for k in cuts])
    agree = (live == full[cuts - 1]).mean()
    assert agree >= 0.95, f"live signal (last of {w} bars) agrees with the backtest on only {agree:.0%} of bars"


def test_event_bots_are_event_driven() -> None:
    for name in BOT_NAMES:
        spec = _spec(name)
        assert spec.bot.event_driven == issubclass(spec.bot, EventBot)


@pytest.mark.parametrize("name", BOT_NAMES)
def test_compute_survives_short_windows(name: str) -> None:
    """A replay window can hold only a few bars: compute must still return one flat-or-valid row each."""
    spec = _bar_spec(name)
    frame = _history(spec.instruments[0])
    bot = spec.build()
    for k in (1, 2, 5):
        out = bot.compute(frame.iloc[-k:])
        assert len(out) == k and out.index.equals(frame.index[-k:])
        assert set(np.unique(out["signal"])) <= {-1, 0, 1}
