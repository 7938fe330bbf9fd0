"""Validation of event-driven bots by quote replay.

The bot runs alone through the kernel's replay on its tick source's session (``[replay]
snapshots``): every gate, the paper broker filling at the session's touch with each venue's
fees, settlement at 1 or 0 when the session records the outcome. Its fills (read back from
the replay's own store) are folded into round trips per contract; a round trip closes when
the position returns to zero (an exit or a settlement) and earns its cash flows net of fees.

The gate is the bar bots' one: at least ``min_trades`` round trips, win rate >=
``min_win_rate`` and Sharpe >= ``min_sharpe``, where Sharpe is the per-trade return (P&L over
starting cash) mean over its standard deviation, annualised by the session's trade rate. A
session that was not recorded from a venue (``kind`` other than ``recorded``) adds a failing
``recorded_data`` check: a result on generated data is reported, marked synthetic, and never
counts toward the live gate. Lookahead and walk-forward checks do not apply: the tick source
hands each tick only the latest snapshot at or before the clock, and event bots have no
fitted parameters to walk forward.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.backtest.config import ValidationConfig
from tradefleet.backtest.records import Check, ValidationRecord
from tradefleet.orchestrator.clock import NS

if TYPE_CHECKING:
    from tradefleet.orchestrator.bot import BotSpec
    from tradefleet.app.config import AppConfig

YEAR_S = 365.25 * 86_400


@dataclass(frozen=True)
class RoundTrip:
    """One closed position in one contract: net P&L after fees."""

    instrument: str
    opened_ns: int
    closed_ns: int
    pnl: float
    quantity: float = 0.0  # the largest position held during the trip


def round_trips(fills: list[tuple[str, str, Decimal, Decimal, Decimal, int]]) -> list[RoundTrip]:
    """Fold ``(instrument, side, qty, price, fee, ts_ns)`` fills, in order, into round trips.

    A fill that flips the position closes the trip at the flip and opens the next with the
    rest (its fee is split by quantity)."""
    pos: dict[str, Decimal] = {}
    cash: dict[str, Decimal] = {}
    opened: dict[str, int] = {}
    peak: dict[str, Decimal] = {}
    out: list[RoundTrip] = []
    for inst, side, qty, price, fee, ts in fills:
        sign = Decimal(1) if side == "buy" else Decimal(-1)
        p = pos.get(inst, Decimal(0))
        closing = min(qty, abs(p)) if p and (p > 0) != (sign > 0) else Decimal(0)
        if p == 0:
            opened[inst] = ts
        for part in ((closing, True), (qty - closing, False)):
            q, closes = part
            if q == 0:
                continue
            f = fee * q / qty
            cash[inst] = cash.get(inst, Decimal(0)) - sign * q * price - f
            pos[inst] = pos.get(inst, Decimal(0)) + sign * q
            peak[inst] = max(peak.get(inst, Decimal(0)), abs(pos[inst]))
            if closes and pos[inst] == 0:
                out.append(RoundTrip(inst, opened.get(inst, ts), ts, float(cash[inst]), float(peak[inst])))
                cash[inst] = peak[inst] = Decimal(0)
                opened[inst] = ts
    return out


def metrics(trips: list[RoundTrip], starting_cash: float, span_ns: int) -> dict[str, float]:
    """Trades, win rate, total P&L and annualised per-trade Sharpe of ``trips``."""
    n = len(trips)
    rets = [t.pnl / starting_cash for t in trips]
    win = sum(1 for t in trips if t.pnl > 0) / n if n else float("nan")
    sharpe = float("nan")
    if n >= 2 and span_ns > 0:
        mean = sum(rets) / n
        sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / (n - 1))
        per_year = n / (span_ns / NS / YEAR_S)
        sharpe = mean / sd * math.sqrt(per_year) if sd > 0 else (math.inf if mean > 0 else -math.inf)
    return {"trades": float(n), "win_rate": win, "sharpe": sharpe, "pnl": sum(t.pnl for t in trips)}


def checks(cfg: ValidationConfig, m: dict[str, float], recorded: bool) -> list[Check]:
    """The bar bots' thresholds on the replayed trades, plus: was the data recorded?"""
    def ge(x: float, t: float) -> bool:
        return not math.isnan(x) and x >= t

    fin = (lambda x: x if math.isfinite(x) else None)
    return [
        Check("trades", m["trades"], f">= {cfg.min_trades}", ge(m["trades"], cfg.min_trades)),
        Check("win_rate", fin(m["win_rate"]), f">= {cfg.min_win_rate:g}", ge(m["win_rate"], cfg.min_win_rate)),
        Check("sharpe", fin(m["sharpe"]), f">= {cfg.min_sharpe:g}", ge(m["sharpe"], cfg.min_sharpe)),
        Check("recorded_data", recorded, "recorded from the venue", recorded),
    ]


def stored_fills(url: str) -> list[tuple[str, str, Decimal, Decimal, Decimal, int]]:
    """(instrument, side, quantity, price, fee, ts_event) of every fill a replay stored, in time order."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    try:
        with eng.connect() as c:
            rows = c.execute(text("select instrument, side, quantity, price, fee, ts_event from fills "
                                  "order by ts_event, rowid")).fetchall()
    finally:
        eng.dispose()
    return [(r[0], r[1], Decimal(str(r[2])), Decimal(str(r[3])), Decimal(str(r[4])), int(r[5])) for r in rows]


def validate_by_quote_replay(spec: BotSpec, app: AppConfig, cfg: ValidationConfig | None = None,
                             now_ns: int = 0, registry: Any = None) -> ValidationRecord:
    """Replay ``spec`` alone on its session and judge the result (never raises for the bot)."""
    from tradefleet.orchestrator.errors import TradefleetError
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.app.replay import run_replay

    c = cfg or ValidationConfig()
    reg = registry or Registry.discover()
    try:
        source = reg.get("providers", spec.bot.tick_source).from_config(app)
        prov = dict(getattr(source, "provenance", {}) or {"kind": "unknown"})
        recorded = prov.get("kind") == "recorded"
        label = f"{'recorded' if recorded else 'synthetic'}:{app.replay.snapshots}"
        with tempfile.TemporaryDirectory(prefix="tradefleet-quote-replay-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'replay.db'}"
            summary = run_replay(app, bots=[spec.name], store_url=url)
            if spec.name in summary.skipped_bots:
                why = summary.skipped_bots[spec.name]
                return ValidationRecord(spec.name, now_ns, False, label, [], error=f"not replayed: {why}")
            fills = stored_fills(url)
        snaps = getattr(source, "snapshots", [])
        span = (snaps[-1].ts_ns - snaps[0].ts_ns) if len(snaps) > 1 else 0
        m = metrics(round_trips(fills), float(app.engine.starting_cash), span)
        trips = round_trips(fills)
    except TradefleetError as exc:
        return ValidationRecord(spec.name, now_ns, False, app.replay.snapshots, [], error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bot that raises is isolated and reported, never fatal
        msg = f"bot raised {type(exc).__name__}: {' '.join(str(exc).split())}"
        return ValidationRecord(spec.name, now_ns, False, app.replay.snapshots, [], error=msg)
    cs = checks(c, m, recorded)
    out_metrics: dict[str, float | None] = {k: (v if math.isfinite(v) else None) for k, v in m.items()}
    out_metrics["synthetic"] = 0.0 if recorded else 1.0
    return ValidationRecord(spec.name, now_ns, all(ch.passed for ch in cs), label, cs, metrics=out_metrics,
                            walk_forward={"method": "quote replay", "session": prov,
                                          "round_trips": [vars(t) for t in trips]})
