"""Fleet status as plain data: control state, paused bots, halted accounts, the last run
and the one trading state (``tradefleet status``, the dashboard's header)."""

from __future__ import annotations

from typing import Any


def status_dict(store: Any) -> dict[str, Any]:
    """Fleet state, paused bots and the last run, as plain data."""
    controls = {c.scope: c for c in store.controls()}
    fleet = controls.get("fleet")
    last = store.last_run()
    return {
        "fleet": {
            "paused": bool(fleet and fleet.paused), "halted": bool(fleet and fleet.halted),
            "reason": fleet.reason if fleet else "", "actor": fleet.actor if fleet else "",
            "since_ns": fleet.ts_ns if fleet else None,
        },
        "paused_bots": sorted(s.removeprefix("bot:") for s, c in controls.items() if s.startswith("bot:") and c.paused),
        "halted_accounts": sorted(s.removeprefix("account:") for s, c in controls.items()
                                  if s.startswith("account:") and c.halted),
        "last_run": None if last is None else {
            "id": last.id, "mode": last.mode, "status": last.status, "summary": last.summary,
        },
        "trading_state": _trading_state(store),
    }


def _trading_state(store: Any) -> dict[str, Any]:
    """The one trading state (what may trade now and why not), when the risk component is installed."""
    try:
        from tradefleet.risk.trading_state import trading_state
    except ImportError:
        return {}
    return trading_state(store)
