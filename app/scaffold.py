"""``tradefleet new-bot NAME [--kind bar|portfolio|orders|quotes]``: a separate, installable
package holding one new bot.

``bar``        ``compute(frame)`` on one instrument (signal columns)
``portfolio``  ``weights(panel)``: target weights over a universe (a :class:`Target` per fire)
``orders``     ``decide(panel, ctx)``: a resting limit entry with a take-profit/stop bracket
``quotes``     ``decide(panel, ctx)``: two-sided quotes around the last close, inventory-bounded
"""

from __future__ import annotations

import re
from pathlib import Path

from tradefleet.orchestrator.errors import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "{title}: a tradefleet bot"
requires-python = ">=3.11"
dependencies = ["tradefleet"]

[project.entry-points."tradefleet.bots"]
{name} = "{pkg}.bot:{const}"

[tool.setuptools.packages.find]
where = ["src"]
'''

BOT = '''\
"""{title}: long when the close is above its {{lookback}}-bar average, flat otherwise.

Edit ``compute``: it gets the whole bar history (UTC index of bar close times; columns
open, high, low, close, volume) and returns a ``signal`` column (1 long, -1 short, 0 flat)
for EVERY bar, using only bars up to each row (no lookahead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from tradefleet.orchestrator.bot import Bot, BotParams, BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd


class {cls}Params(BotParams):
    lookback: int = Field(50, ge=2, le=500, description="average length, bars")


class {cls}Bot(Bot):
    description: ClassVar[str] = "{title}: close above its moving average"
    family: ClassVar[str] = "{family}"
    Params: ClassVar[type[BotParams]] = {cls}Params
    params: {cls}Params

    def warmup_bars(self) -> int:
        return self.params.lookback + 5

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        average = frame["close"].rolling(self.params.lookback).mean()
        signal = (frame["close"] > average).astype(float)
        return signal.to_frame("signal").assign(confidence=1.0)


{const} = BotSpec(
    name="{name}",
    bot={cls}Bot,
    instruments=("{instrument}",),
    schedule=Schedule.at_close("5m", calendar="NYSE"),
    timeframe="1d",
    asset_class=AssetClass.{asset},
    params={{"lookback": 50}},
    regimes=frozenset({{"bull", "sideways"}}),
)
'''

TEST = '''\
"""Contract and logic tests for {name}, on tradefleet's own harness."""

import pandas as pd

from tradefleet.app.testing import check_bot
from {pkg}.bot import {const}


def test_{ident}_meets_the_bar_bot_contract() -> None:
    check_bot({const})


def test_{ident}_goes_long_above_its_average() -> None:
    idx = pd.date_range("2020-01-01", periods=60, freq="D", tz="UTC")
    close = pd.Series([100.0] * 55 + [120.0] * 5, index=idx)
    frame = pd.DataFrame({{"open": close, "high": close, "low": close, "close": close, "volume": 1.0}})
    out = {const}.build().compute(frame)
    assert out["signal"].iloc[-1] == 1.0 and out["signal"].iloc[-10] == 0.0
'''

README = '''\
# {dist}

A tradefleet bot package. Install it next to tradefleet (`pip install -e .`), then:

    tradefleet bots list                 # {name} appears
    tradefleet bots show {name}
    tradefleet backtest {name}
    tradefleet run --bot {name}

Tests: `pytest tests`.
'''


PORTFOLIO_BOT = '''\
"""{title}: equal target weights over the instruments trading above their {{lookback}}-bar average.

Edit ``weights``: it gets a point-in-time panel of the whole universe (``panel.close`` is
a DataFrame of closes, one column per instrument, NaN where a bar is missing) and returns
target weights (signed fractions of the bot's capital) for EVERY row, using only rows up to each row
(no lookahead). The engine turns the current row into one Target, nets it against the
book, sends reductions first, and the risk gate approves the whole set as one decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from tradefleet.orchestrator.bot import BotParams, BotSpec, PortfolioBot, Schedule
from tradefleet.orchestrator.domain import AssetClass

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.panel import Panel


class {cls}Params(BotParams):
    lookback: int = Field(50, ge=2, le=500, description="average length, bars")
    gross: float = Field(0.3, gt=0, le=1, description="sum of the weights held")


class {cls}Bot(PortfolioBot):
    description: ClassVar[str] = "{title}: equal weights over instruments above their average"
    family: ClassVar[str] = "portfolio"
    Params: ClassVar[type[BotParams]] = {cls}Params
    params: {cls}Params
    target_tolerance: ClassVar[float] = 0.02  # skip rebalances under 2 % of equity

    def warmup_bars(self) -> int:
        return self.params.lookback + 5

    def weights(self, panel: Panel) -> pd.DataFrame:
        close = panel.close.ffill()
        above = (close > close.rolling(self.params.lookback).mean()).astype(float)
        count = above.sum(axis=1).where(lambda n: n > 0)
        w = above.div(count, axis=0).fillna(0.0) * self.params.gross
        return w.where(close.rolling(self.params.lookback).mean().notna().all(axis=1), other=float("nan"), axis=0)


{const} = BotSpec(
    name="{name}",
    bot={cls}Bot,
    instruments={universe},
    schedule=Schedule.at_close("5m", calendar="NYSE"),
    timeframe="1d",
    asset_class=AssetClass.{asset},
    params={{"lookback": 50}},
)
'''

ORDERS_BOT = '''\
"""{title}: a resting limit entry under the close after a drop, with a bracket.

Edit ``decide``: it gets a point-in-time panel (``panel.bars(symbol)`` gives that
instrument's own bars as arrays) and a read-only context (positions, pending orders,
equity, instrument specs) and returns intents. Here: while flat, after a close
{{drop:.0%}} below the {{lookback}}-bar high, rest a buy limit at ``discount`` under the
close (re-placed each day with ``replaces``) with a take-profit and a stop-loss attached
(one-cancels-other). ``size`` is a cap: the risk gate may shrink it, never grow it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from tradefleet.orchestrator.bot import BotParams, BotSpec, PortfolioBot, Schedule
from tradefleet.orchestrator.domain import AssetClass, OrderType, Side
from tradefleet.orchestrator.intents import Bracket, Intent, OrderIntent

if TYPE_CHECKING:
    from tradefleet.orchestrator.context import Ctx
    from tradefleet.orchestrator.panel import Panel


class {cls}Params(BotParams):
    lookback: int = Field(20, ge=2, le=500, description="high of this many bars")
    drop: float = Field(0.05, gt=0, lt=1, description="enter after a close this far under the high")
    discount: float = Field(0.01, ge=0, lt=1, description="limit this far under the close")
    take_profit: float = Field(0.04, gt=0, description="take-profit above the limit (fraction)")
    stop_loss: float = Field(0.04, gt=0, lt=1, description="stop-loss under the limit (fraction)")
    weight: float = Field(0.1, gt=0, le=1, description="entry size cap, fraction of equity")


class {cls}Bot(PortfolioBot):
    description: ClassVar[str] = "{title}: limit entry after a drop, with a take-profit/stop bracket"
    family: ClassVar[str] = "portfolio"
    Params: ClassVar[type[BotParams]] = {cls}Params
    params: {cls}Params

    def warmup_bars(self) -> int:
        return self.params.lookback + 1

    def decide(self, panel: Panel, ctx: Ctx) -> list[Intent]:
        p = self.params
        sym = panel.instruments[0]
        ts, bars = panel.bars(sym)
        if len(ts) < p.lookback or ctx.position(sym) != 0:
            return []
        close, high = float(bars["close"][-1]), float(bars["high"][-p.lookback:].max())
        if close > high * (1 - p.drop):
            return []
        limit = close * (1 - p.discount)
        return [OrderIntent.single(
            sym, Side.BUY, size=p.weight * float(ctx.equity) / limit, order_type=OrderType.LIMIT,
            limit=Decimal(repr(round(limit, 2))),
            bracket=Bracket(take_profit=Decimal(repr(round(limit * (1 + p.take_profit), 2))),
                            stop_loss=Decimal(repr(round(limit * (1 - p.stop_loss), 2)))),
            id=f"{{ctx.bot}}-{{int(ts[-1])}}", replaces=f"{{ctx.bot}}-{{int(ts[-2])}}" if len(ts) > 1 else None)]


{const} = BotSpec(
    name="{name}",
    bot={cls}Bot,
    instruments=("{instrument}",),
    schedule=Schedule.at_close("5m", calendar="NYSE"),
    timeframe="1d",
    asset_class=AssetClass.{asset},
    params={{}},
)
'''

QUOTES_BOT = '''\
"""{title}: two-sided quotes around the last close, bounded by an inventory limit.

Edit ``decide``: it returns one Quote per fire: bid and ask levels ``spread`` around the
close (wider levels behind them), sizes in units, ``max_inventory`` bounding the worst
case per side (position plus every resting same-side level filled), and ``refresh``: live
levels within that relative move of the new ones are left alone instead of requoted.
Inventory skews the quote: a long book lowers both sides, a short book raises them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from tradefleet.orchestrator.bot import BotParams, BotSpec, PortfolioBot, Schedule
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.intents import Intent, Quote, QuoteLevel

if TYPE_CHECKING:
    from tradefleet.orchestrator.context import Ctx
    from tradefleet.orchestrator.panel import Panel


class {cls}Params(BotParams):
    spread: float = Field(0.01, gt=0, lt=0.5, description="half-spread of the first level (fraction of the close)")
    levels: int = Field(2, ge=1, le=10, description="levels per side")
    size: float = Field(5.0, gt=0, description="units per level")
    max_inventory: float = Field(20.0, gt=0, description="worst-case position per side, units")
    skew: float = Field(0.0005, ge=0, description="price skew per unit of inventory (fraction)")
    refresh: float = Field(0.002, ge=0, description="requote only past this relative move")


class {cls}Bot(PortfolioBot):
    description: ClassVar[str] = "{title}: inventory-bounded two-sided quotes around the close"
    family: ClassVar[str] = "portfolio"
    Params: ClassVar[type[BotParams]] = {cls}Params
    params: {cls}Params

    def warmup_bars(self) -> int:
        return 2

    def decide(self, panel: Panel, ctx: Ctx) -> list[Intent]:
        p = self.params
        sym = panel.instruments[0]
        ts, bars = panel.bars(sym)
        if len(ts) == 0:
            return []
        mid = float(bars["close"][-1]) * (1 - p.skew * float(ctx.position(sym)))
        step = mid * p.spread
        bids = [QuoteLevel(Decimal(repr(round(mid - step * (k + 1), 2))), Decimal(repr(p.size))) for k in range(p.levels)]
        asks = [QuoteLevel(Decimal(repr(round(mid + step * (k + 1), 2))), Decimal(repr(p.size))) for k in range(p.levels)]
        return [Quote(sym, tuple(bids), tuple(asks), max_inventory=Decimal(repr(p.max_inventory)), refresh=p.refresh)]


{const} = BotSpec(
    name="{name}",
    bot={cls}Bot,
    instruments=("{instrument}",),
    schedule=Schedule.at_close("5m", calendar="NYSE"),
    timeframe="1d",
    asset_class=AssetClass.{asset},
    params={{}},
)
'''

INTENT_TEST = '''\
"""Tests for {name} on generated (synthetic) data: what it asks for."""

from decimal import Decimal

import numpy as np
import pandas as pd

from tradefleet.orchestrator.context import Ctx
from tradefleet.orchestrator.domain import AssetClass, Instrument
from tradefleet.orchestrator.intents import INTENT_TYPES, {expect}
from tradefleet.orchestrator.panel import Panel
from {pkg}.bot import {const}


def _generated(closes: np.ndarray) -> pd.DataFrame:
    idx = pd.date_range("2020-01-01", periods=len(closes), freq="D", tz="UTC", name="ts").as_unit("ns")
    c = pd.Series(closes, index=idx)
    return pd.DataFrame({{"open": c, "high": c * 1.001, "low": c * 0.999, "close": c, "volume": 1e6}})


def test_{ident}_asks_for_{kind_word}() -> None:
    bot = {const}.build()
    t = np.arange(120, dtype=float)
    frames = {{sym: _generated(100 * (1 + 0.002 * t) * (1 - 0.1 * (t > 110)) + k)
              for k, sym in enumerate({const}.instruments)}}
    panel = Panel.from_frames(frames, {const}.instruments)
    insts = {{s: Instrument(s, AssetClass.EQUITY) for s in panel.instruments}}
    ctx = Ctx.build("{name}", panel.now_ns, Decimal(100_000), Decimal(100_000), {{}}, [], insts, panel.last())
    out = bot.decide(panel, ctx)
    assert out and all(isinstance(x, INTENT_TYPES) for x in out)
    assert isinstance(out[0], {expect})
'''

KINDS = ("bar", "portfolio", "orders", "quotes")


def scaffold(name: str, dest: Path, instrument: str = "SPX", kind: str = "bar") -> Path:
    """Write a new bot package for ``name`` under ``dest``; return its folder."""
    if not _NAME.match(name):
        raise ConfigError(f"bot name {name!r}: use lower-case letters, digits and single dashes, starting with a letter")
    root = dest / f"tradefleet-{name}"
    if root.exists():
        raise ConfigError(f"{root}: already exists; choose another name or folder")
    from tradefleet.scrapers.bundled import BY_SYMBOL

    if instrument not in BY_SYMBOL:
        raise ConfigError(f"instrument {instrument!r}: not in the bundled data ({', '.join(sorted(BY_SYMBOL))})")
    if kind not in KINDS:
        raise ConfigError(f"bot kind {kind!r}: use one of {', '.join(KINDS)}")
    ident = name.replace("-", "_")
    words = dict(
        name=name, ident=ident, dist=f"tradefleet-{name}", pkg=f"tradefleet_{ident}", const=ident.upper(),
        cls="".join(p.capitalize() for p in name.split("-")), title=name.replace("-", " ").capitalize(),
        instrument=instrument, family="equities", asset=BY_SYMBOL[instrument].asset_class.name,
        universe=repr(tuple(dict.fromkeys([instrument, "SPX", "IXIC"]))),
        expect={"portfolio": "Target", "orders": "OrderIntent", "quotes": "Quote"}.get(kind, ""),
        kind_word={"portfolio": "target_weights", "orders": "a_bracketed_limit_entry",
                   "quotes": "two_sided_quotes"}.get(kind, ""),
    )
    pkg = root / "src" / words["pkg"]
    (root / "tests").mkdir(parents=True)
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(**words))
    (root / "README.md").write_text(README.format(**words))
    (pkg / "__init__.py").write_text(f'"""{words["title"]}: a tradefleet bot package."""\n')
    template = {"bar": BOT, "portfolio": PORTFOLIO_BOT, "orders": ORDERS_BOT, "quotes": QUOTES_BOT}[kind]
    (pkg / "bot.py").write_text(template.format(**words))
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / f"test_{ident}.py").write_text((TEST if kind == "bar" else INTENT_TEST).format(**words))
    return root
