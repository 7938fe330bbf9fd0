"""The risk view every surface shows: the gate's saved report, merged with the live
control state and the configured limits (``tradefleet risk``, the dashboard, Telegram)."""

from __future__ import annotations

from typing import Any


def risk_view(cfg: Any, store: Any) -> dict[str, Any]:
    """Return the saved report merged with the live control state and the configured limits."""
    from tradefleet.risk.report import KEY
    from tradefleet.risk.store_state import StoreRiskState

    kv = StoreRiskState.of(store)
    report = kv.load_risk_state(KEY)
    last = store.last_run()
    if report is None and last is not None and last.mode == "replay":  # a replay keeps its state per run
        kv = StoreRiskState.of(store, f"replay-{last.id}/")
        report = kv.load_risk_state(KEY)
    r = cfg.risk
    view: dict[str, Any] = report or {
        "ts_ns": None, "state": "active", "reason": "", "scope": "fleet", "equity": None,
        "limits": [{"limit": name, "used": 0, "max": value, "use": 0.0} for name, value in (
            ("gross_exposure_pct", r.gross_exposure_pct), ("max_position_pct", r.max_position_pct),
            ("max_positions", r.max_positions), ("max_trades_per_day", r.max_trades_per_day))],
        "var": {"measured": False}, "clusters": [], "cooldowns": [], "size_cuts": [],
        "pending_confirmations": [], "daily_loss": kv.load_risk_state("daily_loss") or {},
    }
    view["report_saved"] = report is not None
    from tradefleet.risk.trading_state import trading_state

    ts = trading_state(store)  # the one answer every surface shows
    view["trading_state"] = ts
    view["state"], view["reason"], view["scope"] = ts["state"], ts["reason"], ts["scope"]
    return view
