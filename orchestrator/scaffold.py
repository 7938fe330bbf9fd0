"""``tradefleet new-bot NAME``: a separate, installable package holding one new bot."""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.errors import ConfigError

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

from orchestrator.bot import Bot, BotParams, BotSpec, Schedule
from orchestrator.domain import AssetClass

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

from orchestrator.testing import check_bot
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


def scaffold(name: str, dest: Path, instrument: str = "SPX") -> Path:
    """Write a new bot package for ``name`` under ``dest``; return its folder."""
    if not _NAME.match(name):
        raise ConfigError(f"bot name {name!r}: use lower-case letters, digits and single dashes, starting with a letter")
    root = dest / f"tradefleet-{name}"
    if root.exists():
        raise ConfigError(f"{root}: already exists; choose another name or folder")
    from scrapers.bundled import BY_SYMBOL

    if instrument not in BY_SYMBOL:
        raise ConfigError(f"instrument {instrument!r}: not in the bundled data ({', '.join(sorted(BY_SYMBOL))})")
    ident = name.replace("-", "_")
    words = dict(
        name=name, ident=ident, dist=f"tradefleet-{name}", pkg=f"tradefleet_{ident}", const=ident.upper(),
        cls="".join(p.capitalize() for p in name.split("-")), title=name.replace("-", " ").capitalize(),
        instrument=instrument, family="equities", asset=BY_SYMBOL[instrument].asset_class.name,
    )
    pkg = root / "src" / words["pkg"]
    (root / "tests").mkdir(parents=True)
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(**words))
    (root / "README.md").write_text(README.format(**words))
    (pkg / "__init__.py").write_text(f'"""{words["title"]}: a tradefleet bot package."""\n')
    (pkg / "bot.py").write_text(BOT.format(**words))
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / f"test_{ident}.py").write_text(TEST.format(**words))
    return root
