"""Exposure and count limits, configured globally and overridden per bot and per fleet.

Every limit applies at each scope where it is set: a bot's entry must fit the global
limit, its bot's override and its fleet's override. Notional limits return the
*headroom* (how much more absolute notional the entry may add); count limits say whether
one more position or trade is allowed. The binding limit names the reason of a resize or
a rejection.

Trade counts are entries approved per local day (``[risk.daily_loss].timezone``, else
the engine's), per scope; they persist with the daily-loss state key ``trades_today``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.exposure import ExposureBook
from tradefleet.risk.local_days import local_days
from tradefleet.risk.persistence import RiskStateStore

KEY = "trades_today"


@dataclass(frozen=True, slots=True)
class Headroom:
    """The tightest notional limit on an entry: its name and how much it leaves."""

    reason: str
    notional: float


@dataclass
class ScopedLimits:
    """The limits that apply to one bot in one fleet (the tightest of all scopes)."""

    max_position_pct: float
    gross_exposure_pct: list[tuple[str, str, float]]  # (scope kind, scope key, pct)
    max_positions: list[tuple[str, str, int]]
    max_trades_per_day: list[tuple[str, str, int]]
    cache: dict[str, Any] = field(default_factory=dict)


def resolve(config: PortfolioRiskConfig, bot: str, fleet: str) -> ScopedLimits:
    """Collect the global, bot and fleet values of every limit for ``bot``."""
    scopes: list[tuple[str, str, Any]] = [("global", "", config)]
    if bot in config.bots:
        scopes.append(("bot", bot, config.bots[bot]))
    if fleet in config.fleets:
        scopes.append(("fleet", fleet, config.fleets[fleet]))
    pos_pct = min(v for _, _, s in scopes if (v := s.max_position_pct) is not None)
    gross = [(k, key, s.gross_exposure_pct) for k, key, s in scopes if s.gross_exposure_pct is not None]
    maxpos = [(k, key, s.max_positions) for k, key, s in scopes if s.max_positions is not None]
    trades = [(k, key, s.max_trades_per_day) for k, key, s in scopes if s.max_trades_per_day is not None]
    return ScopedLimits(pos_pct, gross, maxpos, trades)


def _scope_value(book: ExposureBook, kind: str, key: str, what: str) -> float:
    if what == "gross":
        return book.gross if kind == "global" else (book.gross_bot if kind == "bot" else book.gross_fleet).get(key, 0.0)
    return book.count if kind == "global" else (book.count_bot if kind == "bot" else book.count_fleet).get(key, 0)


def scope_key(kind: str, bot: str, fleet: str) -> str:
    return "" if kind == "global" else bot if kind == "bot" else fleet


def notional_headroom(limits: ScopedLimits, book: ExposureBook, bot: str, fleet: str,
                      current_abs: float) -> list[Headroom]:
    """Return the headroom of the position-size and gross-exposure limits.

    ``current_abs`` is the |notional| the entry's own (bot, instrument) position keeps
    after any closing leg (zero for a fresh entry or a flip)."""
    eq = max(book.equity, 0.0)
    out = [Headroom("max_position", limits.max_position_pct * eq - current_abs)]
    for kind, _, pct in limits.gross_exposure_pct:
        used = _scope_value(book, kind, scope_key(kind, bot, fleet), "gross")
        out.append(Headroom(f"gross_exposure_{kind}", pct * eq - used))
    return out


def count_breach(limits: ScopedLimits, book: ExposureBook, bot: str, fleet: str) -> str | None:
    """Return the name of a max-positions limit already reached, if any."""
    for kind, _, cap in limits.max_positions:
        if _scope_value(book, kind, scope_key(kind, bot, fleet), "count") >= cap:
            return f"max_positions_{kind}"
    return None


class TradeCounter:
    """Entries approved today per scope, reset at local midnight, persisted."""

    def __init__(self, timezone: str, store: RiskStateStore | None = None) -> None:
        self.days = local_days(timezone)
        self.store = store
        self.day = ""
        self._day_end_ns = 0
        self.counts: dict[str, int] = {}
        saved = store.load_risk_state(KEY) if store is not None else None
        if saved:
            self.day, self.counts = str(saved.get("day", "")), dict(saved.get("counts", {}))

    def _roll(self, now_ns: int) -> None:
        if now_ns < self._day_end_ns:
            return
        today, self._day_end_ns = self.days.day(now_ns)
        if today.isoformat() != self.day:
            self.day, self.counts = today.isoformat(), {}

    def breach(self, limits: ScopedLimits, bot: str, fleet: str, now_ns: int) -> str | None:
        """Return the name of a max-trades-per-day limit already reached, if any."""
        self._roll(now_ns)
        for kind, _, cap in limits.max_trades_per_day:
            if self.counts.get(f"{kind}:{scope_key(kind, bot, fleet)}", 0) >= cap:
                return f"max_trades_per_day_{kind}"
        return None

    def add(self, bot: str, fleet: str, now_ns: int) -> None:
        """Count one approved entry for the global, bot and fleet scopes."""
        self._roll(now_ns)
        for key in ("global:", f"bot:{bot}", f"fleet:{fleet}"):
            self.counts[key] = self.counts.get(key, 0) + 1
        if self.store is not None:
            self.store.save_risk_state(KEY, {"day": self.day, "counts": dict(self.counts)}, now_ns)

    def today(self, kind: str, key: str) -> int:
        return self.counts.get(f"{kind}:{key}", 0)
