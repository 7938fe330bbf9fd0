"""Validation of option bots on option-level P&L, by replay.

An option bot (``BotSpec.asset_class == option``) runs alone through the kernel's replay on
its underlying's data (``[replay]`` window and data, else the whole bundled history): every
gate, model-priced chains, legs filled at the bid/ask with per-contract fees, expiry,
exercise and assignment booked by the engine. Its option fills (read back from the
replay's store) are folded into **structure trips**: a trip opens when the bot's option
book leaves flat and closes when it is flat again (closed, rolled, expired, exercised or
assigned), and earns the premiums, buy-backs and settlements of its legs, times the
contract multiplier, net of fees. Shares delivered by an assignment are not option P&L
(the report shows them apart, ``share_pnl``).

The gate is the bar bots' one on those trips: at least ``min_trades``, win rate >=
``min_win_rate``, Sharpe (per-trip return over starting cash, annualised by the trip rate)
>= ``min_sharpe``; plus ``recorded_quotes``, which fails when the chain was model-priced, so
the result is reported (marked model-priced) and never counts toward the live gate; it
passes only when every underlying's chain came from a file of quotes
(``[options.chain_files]``), and the label then names the files.
"""

from __future__ import annotations

import math
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.backtest.config import ValidationConfig
from tradefleet.app.quote_replay import stored_fills
from tradefleet.backtest.records import Check, ValidationRecord
from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.occ import is_occ, parse_occ

if TYPE_CHECKING:
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.bot import BotSpec

YEAR_S = 365.25 * 86_400
Fill = tuple[str, str, Decimal, Decimal, Decimal, int]


def structure_trips(fills: list[Fill]) -> list[dict[str, Any]]:
    """Fold ``(instrument, side, qty, price, fee, ts_ns)`` fills, in order, into structure
    trips of the option legs (see the module doc); each with its P&L, legs and times."""
    held: dict[str, Decimal] = {}
    out: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    for inst, side, qty, price, fee, ts in fills:
        if not is_occ(inst):
            continue
        mult = parse_occ(inst).multiplier
        sign = Decimal(1) if side == "buy" else Decimal(-1)
        if cur is None:
            cur = {"opened_ns": ts, "pnl": Decimal(0), "legs": set()}
        cur["pnl"] -= sign * qty * price * mult + fee
        cur["legs"].add(inst)
        held[inst] = held.get(inst, Decimal(0)) + sign * qty
        if held[inst] == 0:
            del held[inst]
        if not held:
            out.append({"opened_ns": cur["opened_ns"], "closed_ns": ts, "pnl": float(cur["pnl"]),
                        "legs": sorted(cur["legs"])})
            cur = None
    return out


def share_pnl(fills: list[Fill]) -> float:
    """Cash of the non-option fills plus nothing held at the end: the shares' realised flows
    (a position still held is left out)."""
    cash, pos = Decimal(0), {}
    for inst, side, qty, price, fee, _ts in fills:
        if is_occ(inst):
            continue
        sign = Decimal(1) if side == "buy" else Decimal(-1)
        cash -= sign * qty * price + fee
        pos[inst] = pos.get(inst, Decimal(0)) + sign * qty
    return float(cash) if not any(pos.values()) else math.nan


def metrics(trips: list[dict[str, Any]], starting_cash: float, span_ns: int) -> dict[str, float]:
    n = len(trips)
    rets = [t["pnl"] / starting_cash for t in trips]
    win = sum(1 for t in trips if t["pnl"] > 0) / n if n else math.nan
    sharpe = math.nan
    if n >= 2 and span_ns > 0:
        mean = sum(rets) / n
        sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / (n - 1))
        per_year = n / (span_ns / NS / YEAR_S)
        sharpe = mean / sd * math.sqrt(per_year) if sd > 0 else (math.inf if mean > 0 else -math.inf)
    return {"trades": float(n), "win_rate": win, "sharpe": sharpe, "option_pnl": sum(t["pnl"] for t in trips)}




def validate_option_bot(spec: BotSpec, app: AppConfig, cfg: ValidationConfig | None = None, now_ns: int = 0,
                        registry: Any = None) -> ValidationRecord:
    """Replay ``spec`` alone and judge its option-level P&L (never raises for the bot)."""
    from tradefleet.app.replay import run_replay
    from tradefleet.orchestrator.errors import TradefleetError

    c = cfg or ValidationConfig()
    label = "model-priced chain on " + ", ".join(spec.instruments)
    try:
        with tempfile.TemporaryDirectory(prefix="tradefleet-option-validate-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'replay.db'}"
            summary = run_replay(app, bots=[spec.name], store_url=url, registry=registry)
            if spec.name in summary.skipped_bots:
                return ValidationRecord(spec.name, now_ns, False, label, [],
                                        error=f"not replayed: {summary.skipped_bots[spec.name]}")
            fills = stored_fills(url)
        chains = summary.option_chains  # underlying -> "model-priced ..." or "quotes from <file>"
        quoted = bool(chains) and all(v.startswith("quotes from ") for v in chains.values())
        if quoted:
            label = "; ".join(f"{u}: {v}" for u, v in sorted(chains.items()))
        from tradefleet.orchestrator.clock import dt_to_ns
        from datetime import datetime

        span = (dt_to_ns(datetime.fromisoformat(summary.end)) - dt_to_ns(datetime.fromisoformat(summary.start))
                if summary.start and summary.end else 0)
        trips = structure_trips(fills)
        m = metrics(trips, float(app.engine.starting_cash), span)
    except TradefleetError as exc:
        return ValidationRecord(spec.name, now_ns, False, label, [], error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bot that raises is isolated and reported, never fatal
        return ValidationRecord(spec.name, now_ns, False, label, [],
                                error=f"bot raised {type(exc).__name__}: {' '.join(str(exc).split())}")

    def ge(x: float, t: float) -> bool:
        return not math.isnan(x) and x >= t

    fin = (lambda x: x if math.isfinite(x) else None)
    cs = [Check("trades", m["trades"], f">= {c.min_trades}", ge(m["trades"], c.min_trades)),
          Check("win_rate", fin(m["win_rate"]), f">= {c.min_win_rate:g}", ge(m["win_rate"], c.min_win_rate)),
          Check("sharpe", fin(m["sharpe"]), f">= {c.min_sharpe:g}", ge(m["sharpe"], c.min_sharpe)),
          Check("recorded_quotes", quoted, "option quotes from files of quotes ([options.chain_files])"
                if quoted else "option quotes recorded from a venue (these were model-priced)", quoted)]
    out: dict[str, float | None] = {k: (v if math.isfinite(v) else None) for k, v in m.items()}
    sp = share_pnl(fills)
    out["share_pnl"] = sp if math.isfinite(sp) else None
    out["model_priced"] = 0.0 if quoted else 1.0
    how = "replay on quote files" if quoted else "replay on a model-priced chain"
    return ValidationRecord(spec.name, now_ns, all(c.passed for c in cs), label, cs, metrics=out,
                            walk_forward={"method": how, "structure_trips": trips})
