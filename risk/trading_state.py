"""The one trading state: what may trade now, and why not.

Every surface (``tradefleet status``, ``tradefleet risk``, ``run --json``, the dashboard
and Telegram) calls :func:`trading_state` and shows what it returns, so they cannot
disagree. It reads, from the store:

* the control rows (``fleet``, ``bot:<name>``, ``account:<name>``): pauses and halts set
  by an operator, the CLI, the dashboard, Telegram or the risk engine (``actor``);
* the risk engine's saved holds (``trading_state`` key): circuit breakers and other
  sources on any scope (``fleet``, ``fleet:<name>``, ``account:<name>``, ``bot:<name>``,
  ``instrument:<symbol>``, ``class:<asset class>``, ``venue:<name>``), with when they were
  set and when they expire;
* the daily-loss guard (``daily_loss`` key): a daily-loss halt expires at the next local
  midnight.

A replay is its own simulated account (``replay-<run id>``) with its own saved state; its
"now" is the end of the simulated run. Holds whose expiry has passed are dropped.

Each hold is ``{"scope", "state", "source", "set_by", "reason", "since_ns", "expires_ns"}``.
``state`` of the answer is the strictest hold on the whole account (``fleet`` and
``account:<name>`` scopes); narrower holds (a bot, an instrument, an asset class) are
listed under ``scopes`` and answered per signal by :func:`why_not`.
"""

from __future__ import annotations

from typing import Any

ORDER = {"active": 0, "reducing": 1, "paused": 2, "halted": 3}
KEY = "trading_state"


def _run_context(store: Any, account: str | None) -> tuple[str, str, int | None]:
    """Return (account, risk-state key prefix, simulated end of a replay or None)."""
    last = store.last_run()
    summary = (last.summary or {}) if last is not None else {}
    if account is None:
        account = summary.get("account") or (f"replay-{last.id}" if last is not None and last.mode == "replay"
                                            else "paper")
    if not account.startswith("replay-"):
        return account, "", None
    end = None
    if last is not None and summary.get("account") == account and summary.get("end"):
        import pandas as pd

        end = int(pd.Timestamp(summary["end"]).as_unit("ns").value)
    return account, f"{account}/", end


def _control_holds(store: Any) -> list[dict[str, Any]]:
    out = []
    for c in store.controls():
        if c.scope.startswith("exit:"):  # an operator's pending force-exit request, not a hold
            continue
        for flag, state in (("halted", "halted"), ("paused", "paused")):
            if getattr(c, flag):
                out.append({"scope": c.scope, "state": state, "source": f"control:{flag}", "set_by": c.actor,
                            "reason": c.reason, "since_ns": c.ts_ns, "expires_ns": None})
    return out


def _risk_holds(kv: Any) -> list[dict[str, Any]]:
    saved = kv.load_risk_state(KEY) or {}
    return [{"scope": scope, "state": h["state"], "source": src, "set_by": "risk", "reason": h["reason"],
             "since_ns": h.get("since_ns"), "expires_ns": h.get("expires_ns")}
            for scope, body in saved.items() for src, h in body.get("holds", {}).items()]


def trading_state(store: Any, account: str | None = None, now_ns: int | None = None) -> dict[str, Any]:
    """Return what may trade now on ``account`` (default: the last run's) and every hold with who set it."""
    from tradefleet.risk.store_state import StoreRiskState

    account, prefix, end = _run_context(store, account)
    if now_ns is None:
        if end is not None:
            now_ns = end
        else:
            from tradefleet.orchestrator.clock import LiveClock

            now_ns = LiveClock().now_ns()
    kv = StoreRiskState.of(store, prefix)
    daily = kv.load_risk_state("daily_loss") or {}
    holds = [h for h in _control_holds(store)
             if not h["scope"].startswith("account:replay-") or h["scope"] == f"account:{account}"]
    for h in holds:  # the account's daily-loss halt lifts by itself at local midnight
        if h["set_by"] == "risk" and h["reason"].startswith("daily_loss"):
            h["source"], h["expires_ns"] = "daily_loss", daily.get("expires_ns")
    holds = [h for h in holds if not (h["source"] == "daily_loss" and not daily.get("halted"))]
    holds += _risk_holds(kv)
    holds = [h for h in holds if h["expires_ns"] is None or h["expires_ns"] > now_ns]
    scopes: dict[str, dict[str, Any]] = {}
    for h in sorted(holds, key=lambda h: (h["scope"], -ORDER[h["state"]])):
        entry = scopes.setdefault(h["scope"], {"state": h["state"], "holds": []})
        entry["holds"].append(h)
    whole = [h for h in holds if h["scope"] in ("fleet", f"account:{account}")]
    top = max(whole, key=lambda h: ORDER[h["state"]], default=None)
    return {
        "account": account, "as_of_ns": now_ns,
        "state": top["state"] if top else "active",
        "reason": top["reason"] if top else "",
        "source": top["source"] if top else "",
        "scope": top["scope"] if top else "fleet",
        "set_by": top["set_by"] if top else "",
        "may_trade": top is None or top["state"] == "reducing",
        "holds": sorted(holds, key=lambda h: (-ORDER[h["state"]], h["scope"], h["source"])),
        "scopes": scopes,
    }


def why_not(view: dict[str, Any], *, bot: str, instrument: str, fleet: str = "default",
            asset_class: str = "", venue: str = "paper") -> list[dict[str, Any]]:
    """Return the holds that stop a new entry of ``bot`` in ``instrument`` (empty: it may trade)."""
    scopes = {"fleet", f"account:{view['account']}", f"fleet:{fleet}", f"bot:{bot}", f"instrument:{instrument}",
              f"class:{asset_class}", f"venue:{venue}", f"account:{venue}"}
    return [h for h in view["holds"] if h["scope"] in scopes]


def describe(view: dict[str, Any]) -> list[str]:
    """Return the state as text lines (CLI, Telegram)."""
    from tradefleet.orchestrator.clock import ns_to_dt

    def when(ns: int | None) -> str:
        return f"{ns_to_dt(ns):%Y-%m-%d %H:%M}Z" if ns else "-"

    head = f"trading state [{view['account']}]: {view['state'].upper()}"
    if view["reason"]:
        head += f" ({view['scope']}: {view['reason']}, set by {view['set_by']})"
    lines = [head]
    for h in view["holds"]:
        until = f" until {when(h['expires_ns'])}" if h["expires_ns"] else ""
        lines.append(f"  {h['state']:8} {h['scope']}: {h['reason']} [{h['source']}, by {h['set_by']} "
                     f"at {when(h['since_ns'])}{until}]")
    return lines
