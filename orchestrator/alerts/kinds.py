"""Alert kinds and their default severity (the alert service owns this list)."""

from __future__ import annotations

#: kind -> severity ("critical", "warning", "info")
KINDS: dict[str, str] = {
    "order_rejected": "warning",          # the venue refused an order
    "order_unknown": "warning",           # a write's outcome is unknown until reconciliation
    "order_blocked": "warning",           # an order for a halted account was not sent
    "duplicate_intent": "info",
    "cancel_failed": "warning",
    "entry_held": "warning",              # entries held in an instrument (fill conflict)
    "account_halted": "critical",         # incl. reconciliation mismatches and auth failures
    "account_resumed": "info",
    "fleet_halted": "critical",
    "fleet_resumed": "info",
    "halt": "critical",                   # risk engine trading state: HALTED
    "resume": "info",
    "state": "warning",                   # risk engine trading state: REDUCING and others
    "breaker": "critical",                # a circuit breaker tripped
    "daily_loss": "critical",             # the daily-loss limit tripped
    "bot_faulted": "critical",
    "plugin_broken": "warning",
    "reconcile_mismatch": "critical",
    "external_order": "warning",
    "external_fill": "warning",
    "fills_unavailable": "warning",
    "fill_conflict": "critical",
    "fill_conflict_resolved": "info",
    "watchdog": "critical",
    "worker_bus_lost": "critical",        # a signal worker cannot reach its bus (Redis)
    "worker_bus_restored": "info",
    "worker_crashed": "critical",         # a signal worker stopped on an unexpected error
    "confirmation": "warning",            # a live order awaits an operator's confirmation
    "fill": "info",                       # optional: every fill
    "daily_summary": "info",              # optional
    "test": "info",                       # tradefleet alerts test
}

#: kinds sent only when a channel asks for them (``kinds = ["fill", ...]`` or ``"*"``)
OPTIONAL = frozenset({"fill", "daily_summary"})


def severity_of(kind: str) -> str:
    """The default severity of ``kind`` (unknown kinds are warnings)."""
    return KINDS.get(kind, "warning")
