"""The bot plugin contract.

A *bot class* is a strategy: ``compute(frame)`` maps a bar frame to signal columns for
every bar (bar bots) or ``on_tick(ctx)`` returns signals (event bots). A *registered bot*
is a :class:`BotSpec`: a bot class plus its params, instruments, schedule, timeframe and
regimes, so one class can serve several bots. Third-party packages register specs under
the ``tradefleet.bots`` entry-point group exactly as the built-ins do.

Signal columns returned by ``compute``:

``signal``      required, the target direction per bar: 1 long, -1 short, 0 flat
``confidence``  optional, in [0, 1] (default 1)
``stop``        optional, protective stop price
``target``      optional, take-profit price

``compute`` must be causal: row *t* may only use rows <= *t*. The lookahead check in
``backtest/`` enforces this.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tradefleet.orchestrator.domain import AssetClass, Signal
from tradefleet.orchestrator.duration import TimeframeError, parse_timeframe
from tradefleet.orchestrator.errors import PluginError

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.context import Ctx
    from tradefleet.orchestrator.intents import Intent
    from tradefleet.orchestrator.panel import Panel
    from tradefleet.orchestrator.universe import Universe

API_VERSION = 1
REGIMES = frozenset({"bull", "bear", "sideways"})
SIGNAL_COLUMNS = ("signal", "confidence", "stop", "target")


class BotParams(BaseModel):
    """Base of every bot's params model: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Schedule(BaseModel):
    """When a bot evaluates, in its own timezone, optionally bound to a market calendar.

    ``kind="cron"``: a 5-field crontab (``"5 16 * * mon-fri"``).
    ``kind="interval"``: every ``every`` (``"15m"``, ``"1h"``, ``"1d"``).
    ``kind="close"``: ``offset`` after each session close of ``calendar`` (handles
    half days).
    With a calendar, fires outside its sessions are skipped.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["cron", "interval", "close"]
    cron: str | None = None
    every: str | None = None
    offset: str = "5m"
    timezone: str = "UTC"
    calendar: Literal["NYSE", "FX", "CRYPTO"] | None = None

    @classmethod
    def crontab(cls, expr: str, timezone: str = "UTC", calendar: str | None = None) -> Schedule:
        return cls(kind="cron", cron=expr, timezone=timezone, calendar=calendar)  # type: ignore[arg-type]

    @classmethod
    def interval(cls, every: str, timezone: str = "UTC", calendar: str | None = None) -> Schedule:
        return cls(kind="interval", every=every, timezone=timezone, calendar=calendar)  # type: ignore[arg-type]

    @classmethod
    def at_close(cls, offset: str = "5m", calendar: str = "NYSE",
                 timezone: str = "America/New_York") -> Schedule:
        return cls(kind="close", offset=offset, calendar=calendar, timezone=timezone)  # type: ignore[arg-type]

    def describe(self) -> str:
        """Return a short human description, e.g. ``cron 5 16 * * mon-fri``."""
        what = {"cron": f"cron {self.cron}", "interval": f"every {self.every}",
                "close": f"{self.offset} after close"}[self.kind]
        cal = f" [{self.calendar}]" if self.calendar else ""
        return f"{what}{cal}"


class Bot(ABC):
    """Base class of every strategy. Subclasses set the class attributes and ``Params``."""

    api_version: ClassVar[int] = API_VERSION
    description: ClassVar[str] = ""
    family: ClassVar[str] = ""
    Params: ClassVar[type[BotParams]] = BotParams
    supports_backtest: ClassVar[bool] = True
    event_driven: ClassVar[bool] = False
    #: True for bots that take a universe panel and return intents (:class:`PortfolioBot`)
    portfolio: ClassVar[bool] = False

    def __init__(self, params: BotParams | None = None) -> None:
        self.params = params if params is not None else self.Params()

    def warmup_bars(self) -> int:
        """Return how many past bars ``compute`` needs for its last row to be exact."""
        return 200

    @abstractmethod
    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return signal columns (see module doc) for every row of ``frame``.

        ``frame`` has a UTC DatetimeIndex of bar close times and float columns
        ``open, high, low, close, volume``.
        """


class EventBot(Bot):
    """A bot driven by ticks (prediction markets, market making) instead of bar frames.

    ``tick_source`` names a ``tradefleet.providers`` plugin whose recorded ticks replay
    feeds it (quotes as bars for the paper broker, ``at(now_ns)`` as ``TickContext.data``,
    ``settlements()`` at the end); without one, replay skips the bot."""

    event_driven: ClassVar[bool] = True
    tick_source: ClassVar[str | None] = None

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - contract
        raise PluginError(f"{type(self).__name__} is event-driven: use on_tick")

    @abstractmethod
    def on_tick(self, ctx: TickContext) -> list[Signal] | list[Signal | Intent]:
        """Return the signals for this tick (possibly none). Strategy API v2: the list
        may also hold intents (:mod:`tradefleet.orchestrator.intents`: quotes, orders, cancels,
        targets), which the engine dispatches as one decision each."""


class PortfolioBot(Bot):
    """A bot over a universe (Strategy API v2): it reads a point-in-time
    :class:`~tradefleet.orchestrator.panel.Panel` of its universe and a read-only
    :class:`~tradefleet.orchestrator.context.Ctx`, and returns intents (:mod:`tradefleet.orchestrator.intents`).

    Implement either or both:

    ``weights(panel)``  vectorized target weights for EVERY row of the panel (a DataFrame
                        with the panel's index and one column per instrument; NaN rows
                        mean "no opinion yet"). Must be causal, like ``compute``. Replay
                        evaluates it once over the whole history and reads row *t* at
                        time *t*; live reads the last row; the target backtester runs it.
    ``decide(panel, ctx)``  the general form: any sequence of targets, orders, quotes and
                        cancels. The default turns the last row of ``weights`` into one
                        :class:`~tradefleet.orchestrator.intents.Target`.

    The universe comes from the spec (``BotSpec.universe``, default its instruments).
    """

    portfolio: ClassVar[bool] = True
    supports_backtest: ClassVar[bool] = False  # the one-instrument vectorized backtester cannot run it
    #: tolerance of the default target (fraction of the bot's capital below which a rebalance is dropped)
    target_tolerance: ClassVar[float] = 0.0

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - contract
        raise PluginError(f"{type(self).__name__} is a portfolio bot: use weights(panel) or decide(panel, ctx)")

    def weights(self, panel: Panel) -> pd.DataFrame | None:
        """Target weights per row and instrument (None: this bot only implements ``decide``)."""
        return None

    def decide(self, panel: Panel, ctx: Ctx) -> list[Intent]:
        """Return the intents for this fire (possibly none)."""
        from tradefleet.orchestrator.intents import Target

        w = self.weights(panel)
        if w is None:
            raise PluginError(f"{type(self).__name__}: implement weights(panel) or decide(panel, ctx)")
        if len(w) == 0:
            return []
        row = w.iloc[-1]
        if row.isna().all():
            return []
        return [Target.weights({str(k): float(v) for k, v in row.fillna(0.0).items()}, self.target_tolerance)]


@dataclass(frozen=True)
class TickContext:
    """What an event bot sees on a tick."""

    bot: str
    now_ns: int
    instruments: tuple[str, ...]
    market: Any
    data: Any = None
    #: the bot's signed holding of an instrument (units; 0 when flat), read on demand
    position: Callable[[str], Decimal] | None = None

    def held(self, instrument: str) -> Decimal:
        """The bot's signed position in ``instrument`` (0 without a book)."""
        return self.position(instrument) if self.position is not None else Decimal(0)


@dataclass(frozen=True)
class BotSpec:
    """A registered bot: a bot class plus params, instruments, schedule and regimes."""

    name: str
    bot: type[Bot]
    instruments: tuple[str, ...]
    schedule: Schedule
    timeframe: str
    asset_class: AssetClass
    params: Mapping[str, Any] = field(default_factory=dict)
    regimes: frozenset[str] = REGIMES
    description: str = ""
    #: Strategy API v2 bots: a static list or a scheduled selector (default: ``instruments``)
    universe: Universe | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise PluginError(f"bot name {self.name!r}: use letters, digits, '-' and '_'")
        if not self.instruments:
            raise PluginError(f"bot {self.name}: no instruments")
        unknown = set(self.regimes) - REGIMES
        if unknown:
            raise PluginError(f"bot {self.name}: unknown regimes {sorted(unknown)}")
        try:
            parse_timeframe(self.timeframe)
        except TimeframeError:
            raise PluginError(f"bot {self.name}: timeframe {self.timeframe!r} must be a number and a unit "
                              "m, h, d, w or mo (e.g. '15m', '1h', '1d', '1mo')") from None

    @property
    def family(self) -> str:
        return self.bot.family

    @property
    def summary(self) -> str:
        return self.description or self.bot.description

    def make_params(self, overrides: Mapping[str, Any] | None = None) -> BotParams:
        """Validate this spec's params (plus ``overrides``) against the bot's model."""
        merged = {**self.params, **(overrides or {})}
        try:
            return self.bot.Params(**merged)
        except Exception as exc:  # pydantic.ValidationError, with the bot named
            raise PluginError(f"bot {self.name}: invalid params: {_one_line(exc)}") from exc

    def build(self, overrides: Mapping[str, Any] | None = None) -> Bot:
        """Instantiate the bot class with validated params."""
        return self.bot(self.make_params(overrides))


def _one_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: "fast: Input should be ... (got 300)" per error, no doc links
        try:
            return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']} (got {e.get('input')!r})"
                             for e in errors())
        except Exception:  # noqa: BLE001 - fall back to the plain text
            pass
    return " ".join(str(exc).split())
