"""Contract suite run over every registered portfolio bot (Strategy API v2).

Each must decide on a point-in-time panel of its bundled universe, return only intents,
trade at some point of its history, and, where it has vectorized ``weights``, be causal:
the weights of a truncated panel equal the full-history weights of the same rows.
"""

from __future__ import annotations

import importlib.metadata as md
from decimal import Decimal
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.context import Ctx
from tradefleet.orchestrator.domain import AssetClass, Instrument
from tradefleet.orchestrator.intents import INTENT_TYPES
from tradefleet.orchestrator.panel import Panel
from tradefleet.orchestrator.registry import Registry
from tradefleet.scrapers.bundled import BY_SYMBOL, load_dataset


@cache
def _registry() -> Registry:
    return Registry.discover(["bots"])


def _names() -> list[str]:
    names = sorted(ep.name for ep in md.entry_points(group="tradefleet.bots"))
    reg = _registry()
    return [n for n in names if n in reg.records["bots"] and reg.records["bots"][n].obj is not None
            and reg.records["bots"][n].obj.bot.portfolio]


def _spec(name: str) -> BotSpec:
    spec: BotSpec = _registry().bot(name)
    return spec


@cache
def _panel(instruments: tuple[str, ...]) -> Panel:
    return Panel.from_frames({s: load_dataset(BY_SYMBOL[s].name) for s in instruments}, instruments)


def _ctx(panel: Panel, name: str) -> Ctx:
    insts = {s: Instrument(s, AssetClass.EQUITY) for s in panel.instruments}
    chains = _chains(panel) if _spec(name).asset_class is AssetClass.OPTION else None
    return Ctx.build(name, panel.now_ns, Decimal(100_000), Decimal(100_000), {}, [], insts, panel.last(),
                     chains=chains)


def _chains(panel: Panel):  # type: ignore[no-untyped-def]
    """An option bot's chains on this panel: model-priced from the causal GARCH vol (as in replay)."""
    from tradefleet.risk.options.model_chain import EQUITY_MODEL, model_chain
    from tradefleet.risk.options.vol import garch_filter_vol

    def chain(underlying: str):  # type: ignore[no-untyped-def]
        j = panel.instruments.index(underlying)
        close = pd.Series(panel.values["close"][:, j]).dropna()
        vol = float(garch_filter_vol(close).iloc[-1]) if len(close) > 21 else float("nan")
        if not vol > 0:
            return None
        return model_chain(underlying, panel.now_ns, float(close.iloc[-1]), vol, EQUITY_MODEL)

    return chain


@pytest.mark.parametrize("name", _names())
def test_portfolio_bot_decides_with_intents_on_its_universe(name: str) -> None:
    spec = _spec(name)
    bot = spec.build()
    panel = _panel(spec.instruments)
    seen = 0
    for end in np.linspace(bot.warmup_bars() + 5, len(panel) - 1, 60, dtype=int):
        window = panel.upto(int(panel.ts[end])).tail(bot.warmup_bars() + 260)
        out = bot.decide(window, _ctx(window, name))  # type: ignore[attr-defined]
        assert all(isinstance(x, INTENT_TYPES) for x in out)
        seen += len(out)
    assert seen > 0, "bot never asks for anything on its own history"


@pytest.mark.parametrize("name", _names())
def test_portfolio_weights_are_causal(name: str) -> None:
    spec = _spec(name)
    bot = spec.build()
    panel = _panel(spec.instruments)
    full = bot.weights(panel)  # type: ignore[attr-defined]
    if full is None:
        pytest.skip(f"{name} decides without vectorized weights")
    for k in (len(panel) // 3, len(panel) // 2, len(panel) - 7):
        part = bot.weights(panel.upto(int(panel.ts[k])))  # type: ignore[attr-defined]
        pd.testing.assert_frame_equal(part, full.iloc[: k + 1], check_exact=False, rtol=1e-9, atol=1e-12)
