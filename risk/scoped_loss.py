"""Daily-loss budgets per fleet and per bot.

A fleet or bot may lose at most a fraction of its capital budget (:mod:`tradefleet.risk.budgets`)
in one local day: ``[risk.fleets.<name>].daily_loss_pct`` / ``[risk.bots.<name>]
.daily_loss_pct``, else ``[risk.daily_loss].fleet_pct`` / ``bot_pct`` (unset: no such
budget). Its P&L (realised plus unrealised at the marks) is measured from the last mark
before local midnight, at every mark of the book, like the account's limit
(:mod:`tradefleet.risk.daily_loss`).

A breach holds ``fleet:<name>`` or ``bot:<name>`` at HALTED in the trading state (source
``daily_loss``), expiring at the next local midnight. An operator lifts it earlier with
``tradefleet resume <bot>`` / ``tradefleet resume --fleet <name>`` (or the dashboard,
Telegram, the API; a whole-fleet ``tradefleet resume`` lifts every such hold): the running
engine sees the control row change at its next control poll and the risk gate calls
:meth:`ScopedDailyLoss.resume` (authorised actors only, ``[risk.daily_loss].resume_actors``).

The rule after a resume: the scope's budget is re-based at its P&L at the resume, for the
rest of the day. Trading goes on; if the scope loses a further full budget the same day it
is held again (until midnight, or the next resume); at midnight the base rolls as usual.
The account's own limit stays with :class:`~tradefleet.risk.daily_loss.DailyLossGuard`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.daily_loss import ResumeRefused, authorised
from tradefleet.risk.local_days import local_days
from tradefleet.risk.persistence import RiskStateStore
from tradefleet.risk.state import StateBook, TradingState

SOURCE = "daily_loss"
KEY = "scoped_daily_loss"  # the day and each scope's base, so a restart the same day keeps them


class ScopedDailyLoss:
    """Track each fleet's and bot's P&L since the day boundary against its budget."""

    def __init__(self, config: PortfolioRiskConfig, timezone: str, book: StateBook,
                 store: RiskStateStore | None = None) -> None:
        self.config = config
        self.days = local_days(config.daily_loss.timezone or timezone)
        self.book = book
        self.store = store
        self.day = ""
        self.day_end_ns = 0
        self.base: dict[str, float] = {}  # scope -> P&L at the day boundary (or at a resume)
        self.mark: dict[str, float] = {}  # scope -> P&L at the last mark
        saved = store.load_risk_state(KEY) if store is not None else None
        if saved:  # a restart the same day keeps the day's bases (the loss so far still counts)
            self.day = str(saved.get("day", ""))
            self.base = {k: float(v) for k, v in (saved.get("base") or {}).items()}

    @property
    def enabled(self) -> bool:
        c = self.config
        return (c.daily_loss.fleet_pct is not None or c.daily_loss.bot_pct is not None
                or any(s.daily_loss_pct is not None for s in (*c.fleets.values(), *c.bots.values())))

    def pct(self, scope: str) -> float | None:
        """Return the daily-loss fraction of ``scope``'s capital budget, or None."""
        kind, name = scope.split(":", 1)
        table = self.config.fleets if kind == "fleet" else self.config.bots
        own = table.get(name)
        if own is not None and own.daily_loss_pct is not None:
            return own.daily_loss_pct
        return self.config.daily_loss.fleet_pct if kind == "fleet" else self.config.daily_loss.bot_pct

    def update(self, now_ns: int, pnl_by_bot: dict[str, float], fleet_of: Callable[[str], str],
               capital_of: Callable[[str], float]) -> None:
        """Mark every scope's P&L at ``now_ns``; roll the day; trip the budgets that are used up."""
        pnl: dict[str, float] = {}
        for bot, v in pnl_by_bot.items():
            pnl[f"bot:{bot}"] = pnl.get(f"bot:{bot}", 0.0) + v
            fleet = f"fleet:{fleet_of(bot)}"
            pnl[fleet] = pnl.get(fleet, 0.0) + v
        if now_ns >= self.day_end_ns:
            today, self.day_end_ns = self.days.day(now_ns)
            if today.isoformat() != self.day:
                self.day = today.isoformat()
                self.base = dict(self.mark)  # the day's base: the last mark before midnight
                self._save(now_ns)
        fresh = [scope for scope in pnl if scope not in self.base]
        for scope, value in pnl.items():
            self.base.setdefault(scope, self.mark.get(scope, value))
            pct = self.pct(scope)
            if pct is None or SOURCE in self.book.sources(scope):
                continue
            limit = pct * capital_of(scope)
            loss = self.base[scope] - value
            if limit > 0 and loss >= limit:
                self.book.set(scope, SOURCE, TradingState.HALTED,
                              f"lost {loss:,.2f} today >= {pct:.2%} of its capital budget ({limit:,.2f})",
                              now_ns, self.day_end_ns)
        self.mark = pnl
        if fresh:
            self._save(now_ns)

    def _save(self, now_ns: int) -> None:
        if self.store is not None:
            self.store.save_risk_state(KEY, {"day": self.day, "base": dict(self.base)}, now_ns)  # a copy: kept until the commit

    def held(self) -> list[str]:
        """Return the scopes this budget holds now."""
        return [scope for scope, source, _ in self.book.holds() if source == SOURCE]

    def resume(self, scope: str, actor: str, now_ns: int) -> None:
        """Lift ``scope``'s daily-loss hold for the rest of the day (authorised actors only)."""
        if not authorised(actor, self.config.daily_loss.resume_actors):
            raise ResumeRefused(f"daily-loss hold on {scope}: actor {actor!r} may not resume "
                                f"(allowed: {', '.join(self.config.daily_loss.resume_actors)})")
        self.book.clear(scope, SOURCE, now_ns, f"resumed by {actor}")
        if scope in self.mark:
            self.base[scope] = self.mark[scope]
            self._save(now_ns)


def pnl_by_bot(positions: Iterable[Any], mark: Callable[[str], float | None]) -> dict[str, float]:
    """Realised plus unrealised P&L per bot at the marks."""
    out: dict[str, float] = {}
    for p in positions:
        v = float(p.realized_pnl)
        if p.quantity:
            m = mark(p.instrument)
            if m is not None:
                v += float(p.quantity) * (m - float(p.avg_price))
        out[p.bot] = out.get(p.bot, 0.0) + v
    return out
