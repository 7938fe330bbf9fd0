"""What a prediction-market bot sees on a tick: quotes, contract terms and source data.

Prices are dollars per contract in [0, 1] (a YES contract pays $1 if the event happens).
Everything here is a frozen dataclass built from plain JSON (recorded fixtures, scrapers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tradefleet.orchestrator.errors import DataError

Domain = Literal["weather", "economics", "sports", "politics", "other"]
FIXTURES = Path(__file__).with_name("fixtures")


@dataclass(frozen=True)
class BinaryQuote:
    """Top of book of a binary contract's YES side on one venue."""

    symbol: str
    venue: Literal["kalshi", "polymarket"]
    yes_bid: float
    yes_ask: float
    ts_ns: int
    bid_size: float = 0.0
    ask_size: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.yes_bid <= self.yes_ask <= 1.0):
            raise DataError(f"quote {self.symbol}: need 0 <= bid ({self.yes_bid}) <= ask ({self.yes_ask}) <= 1")

    @property
    def no_ask(self) -> float:
        """Price to buy NO: selling YES at the bid is the same trade."""
        return 1.0 - self.yes_bid

    @property
    def mid(self) -> float:
        return (self.yes_bid + self.yes_ask) / 2.0


@dataclass(frozen=True)
class ContractTerms:
    """What a contract pays on: ``variable`` above ``strike`` (or below, if not ``above``)."""

    symbol: str
    domain: Domain
    variable: str
    strike: float
    above: bool = True
    settles_ns: int = 0


@dataclass(frozen=True)
class Forecast:
    """One source's forecast of a variable: a normal (mean, sigma) or ensemble members."""

    source: str
    variable: str
    mean: float
    sigma: float
    members: tuple[float, ...] = ()


@dataclass(frozen=True)
class BookOdds:
    """One sportsbook's decimal odds on both outcomes of a contract's event."""

    book: str
    yes: float
    no: float


@dataclass(frozen=True)
class Trade:
    """One public trade of a contract: YES price, contracts, and the side of the taker."""

    symbol: str
    ts_ns: int
    yes_price: float
    size: float
    taker_side: Literal["yes", "no"] = "yes"


@dataclass(frozen=True)
class PredictionSnapshot:
    """Everything known at one tick.

    ``ages`` holds the age in seconds, at ``ts_ns``, of every input: ``"<venue>:<symbol>"``
    for a book, ``"<source>:<variable>"`` for a forecast and ``"odds:<symbol>"`` for book
    odds; ``notes`` says why an input was left out (stale, unavailable)."""

    ts_ns: int
    quotes: Mapping[str, BinaryQuote] = field(default_factory=dict)
    terms: Mapping[str, ContractTerms] = field(default_factory=dict)
    forecasts: Mapping[str, tuple[Forecast, ...]] = field(default_factory=dict)  # by variable
    odds: Mapping[str, tuple[BookOdds, ...]] = field(default_factory=dict)  # by contract symbol
    trades: Mapping[str, tuple[Trade, ...]] = field(default_factory=dict)  # since the previous snapshot
    ages: Mapping[str, float] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    #: large-order flow per contract in [-1, 1] (the whale tracker, every domain)
    flow: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PredictionSnapshot:
        """Build a snapshot from its JSON form (see ``fixtures/*.json``)."""
        ts = int(raw["ts_ns"])
        try:
            quotes = {q["symbol"]: BinaryQuote(ts_ns=ts, **q) for q in raw.get("quotes", [])}
            terms = {t["symbol"]: ContractTerms(**t) for t in raw.get("terms", [])}
            forecasts: dict[str, tuple[Forecast, ...]] = {}
            for f in raw.get("forecasts", []):
                fc = Forecast(**{**f, "members": tuple(f.get("members", ()))})
                forecasts[fc.variable] = (*forecasts.get(fc.variable, ()), fc)
            odds = {sym: tuple(BookOdds(**o) for o in books) for sym, books in raw.get("odds", {}).items()}
        except (TypeError, KeyError) as exc:
            raise DataError(f"prediction snapshot at {ts}: {exc}") from None
        return cls(ts, quotes, terms, forecasts, odds)


def load_fixture(name: str) -> list[PredictionSnapshot]:
    """Load a recorded sequence of snapshots from ``bots/prediction/fixtures/<name>.json``."""
    path = FIXTURES / f"{name}.json"
    if not path.is_file():
        have = ", ".join(sorted(p.stem for p in FIXTURES.glob("*.json")))
        raise DataError(f"no prediction fixture {name!r} in {FIXTURES} (have: {have})")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    return [PredictionSnapshot.from_json(s) for s in raw["snapshots"]]
