"""The compact, deterministic market context an LLM sees (no wall-clock time, rounded
numbers), so identical situations hash to identical prompts and replay from the cache."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.ai.ensemble.indicators import rsi
from tradefleet.orchestrator.clock import ns_to_dt

if TYPE_CHECKING:
    from tradefleet.orchestrator.domain import Signal
    from tradefleet.orchestrator.pipeline.gate import GateContext


def _ret(c: np.ndarray, n: int) -> float | None:
    return round(float(c[-1] / c[-1 - n] - 1.0) * 100, 3) if c.size > n else None


def market_summary(closes: np.ndarray) -> dict[str, Any]:
    """Return returns over 1/5/20 bars, 20-bar volatility, RSI and the 50-bar SMA gap (%)."""
    c = np.asarray(closes, dtype=np.float64)
    if c.size == 0:
        return {"bars": 0}
    out: dict[str, Any] = {"bars": int(c.size), "last_close": round(float(c[-1]), 6),
                           "ret_1": _ret(c, 1), "ret_5": _ret(c, 5), "ret_20": _ret(c, 20)}
    if c.size > 21:
        out["vol_20"] = round(float(np.std(np.diff(np.log(c[-21:])))) * 100, 3)
    if c.size > 15:
        out["rsi_14"] = round(rsi(c), 1)
    if c.size >= 50:
        out["sma50_gap"] = round(float(c[-1] / c[-50:].mean() - 1.0) * 100, 3)
    return out


def signal_context(signal: Signal, ctx: GateContext, closes: np.ndarray) -> str:
    """Return the user prompt body: the signal, the bot, and the market summary as JSON."""
    pos = ctx.portfolio.position(signal.bot, signal.instrument)
    body = {
        "as_of_utc": ns_to_dt(ctx.now_ns).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "instrument": signal.instrument,
        "asset_class": ctx.spec.asset_class.value,
        "timeframe": ctx.spec.timeframe,
        "bot": signal.bot,
        "signal": {"direction": signal.direction.value, "confidence": round(signal.confidence, 3),
                   "entry": signal.entry, "stop": signal.stop, "target": signal.target},
        "position_qty": str(pos.quantity) if pos is not None else "0",
        "market": market_summary(closes),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
