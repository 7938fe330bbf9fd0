"""Plain-text renderings for Telegram: command replies, alerts and the daily summary.

Everything reads through :class:`~tradefleet.dashboard.views.FleetView`, the same data the web
dashboard shows; messages stay under Telegram's 4096-character limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tradefleet.orchestrator.clock import NS, ns_to_dt
from tradefleet.orchestrator.domain import Fill, Verdict

from tradefleet.dashboard.views import FleetView

LIMIT = 4000


def clip(text: str) -> str:
    """Keep a message within Telegram's limit, cutting at a line end (never inside a name)."""
    if len(text) <= LIMIT:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > LIMIT - 60:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) + f"\n… and {len(lines) - len(kept)} more lines (the dashboard lists them all)"


def money(x: float | Decimal | None) -> str:
    return "-" if x is None else f"{float(x):,.2f}"


def status_text(view: FleetView) -> str:
    s = view.status()
    risk = view.risk()
    lines = [f"fleet: {s['state'].upper()}" + (f" ({s['fleet']['reason']})" if s["fleet"]["reason"] else "")]
    if s["since"]:
        lines.append(f"since {s['since']} by {s['fleet']['actor']}")
    lines.append(f"risk: {risk.get('state', '?')} {risk.get('reason', '')}".rstrip())
    if s.get("trading_state"):
        from tradefleet.risk.trading_state import describe

        lines += describe(s["trading_state"])
    lines.append(f"paused bots: {', '.join(s['paused_bots']) or 'none'}")
    if s["halted_accounts"]:
        lines.append(f"halted accounts: {', '.join(s['halted_accounts'])}")
    run = s["last_run"]
    if run:
        sm = run["summary"] or {}
        lines.append(f"last run #{run['id']} {run['mode']} {run['status']}: equity {sm.get('equity', '?')}")
    return clip("\n".join(lines))


def bots_text(view: FleetView) -> str:
    rows = view.bots()
    counts: dict[str, int] = {}
    for b in rows:
        counts[b["status"]] = counts.get(b["status"], 0) + 1
    head = f"{len(rows)} bots: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    lines = [head]
    for b in rows:
        mark = "" if b["status"] == "active" else f" [{b['status']}]"
        lines.append(f"{b['name']}{mark} pnl {money(b['realized_pnl'])}"
                     + (f" next {b['next_run']}" if b["next_run"] else ""))
    return clip("\n".join(lines))


def positions_text(view: FleetView) -> str:
    open_ = [p for p in view.records()["positions"] if p["quantity"]]
    if not open_:
        return "no open positions"
    return clip("\n".join([f"{len(open_)} open positions"] + [
        f"{p['bot']} {p['instrument']} {p['quantity']} @ {p['avg_price']}" for p in open_]))


def pnl_text(view: FleetView) -> str:
    ov = view.overview()
    eq = ov["equity"]
    if eq["last"] is None:
        return "no equity recorded yet: no run has written to this store (start one: tradefleet run)"
    ret = f" (return {eq['return_pct']:+.2f}%)" if eq["return_pct"] is not None else ""
    lines = [f"equity {money(eq['last'])}{ret}", f"realised {money(ov['realized_pnl'])}"]
    bots = sorted((b for b in view.bots() if b["realized_pnl"]), key=lambda b: b["realized_pnl"])
    if bots:
        lines.append("worst: " + ", ".join(f"{b['name']} {money(b['realized_pnl'])}" for b in bots[:3]))
        lines.append("best: " + ", ".join(f"{b['name']} {money(b['realized_pnl'])}" for b in bots[::-1][:3]))
    return clip("\n".join(lines))


def daily_text(view: FleetView, title: str = "daily P&L") -> str:
    ov = view.overview()
    days = ov["daily_pnl"]
    if not days:
        return f"{title}: no equity recorded yet"
    last = days[-1]
    lines = [f"{title} {last['day']}: {money(last['pnl'])} (equity {money(last['equity'])})"]
    lines += [f"  {d['day']}: {money(d['pnl'])}" for d in days[-6:-1][::-1]]
    lines.append(f"state: {ov['status']['state']}; fills {ov['fills']}")
    return clip("\n".join(lines))


def validate_text(view: FleetView, bot: str | None = None) -> str:
    valid = view.validations()
    if bot is not None:
        v = valid.get(bot)
        if v is None:
            return f"{bot}: never validated (run 'tradefleet validate {bot}')"
        verdict = "Go" if v["go"] else "No-Go"
        fails = f"; failed: {', '.join(v['failed_checks'])}" if v["failed_checks"] else ""
        return f"{bot}: {verdict} ({v['ts']}){fails}" + (f"\nerror: {v['error']}" if v["error"] else "")
    if not valid:
        return "no validations stored yet (run 'tradefleet validate BOT')"
    go = sorted(b for b, v in valid.items() if v["go"])
    nogo = sorted(b for b, v in valid.items() if not v["go"])
    return clip(f"validated: {len(go)} Go, {len(nogo)} No-Go\nGo: {', '.join(go) or '-'}\n"
                f"No-Go: {', '.join(nogo) or '-'}")


def alert_text(topic: str, event: Any, signals: dict[str, Any], order_bot: Any = None) -> str | None:
    """The alert for one bus event, or None if it is not alert-worthy."""
    if isinstance(event, Fill):
        bot = order_bot(event.client_order_id) if order_bot else None
        return (f"fill{' ' + bot if bot else ''}: {event.side.value.upper()} {event.quantity} {event.instrument}"
                f" @ {event.price} ({event.venue})")
    if topic == "decisions" and isinstance(event, tuple) and len(event) == 2:
        sid, decisions = event
        rej = next((d for d in decisions if getattr(d, "verdict", None) is Verdict.REJECT), None)
        if rej is None:
            return None
        sig = signals.get(sid)
        who = f"{sig.bot} {sig.direction.value} {sig.instrument}" if sig is not None else f"signal {sid[:10]}"
        return f"rejected {who} by {rej.gate}: {rej.reason}" + (f" ({rej.detail})" if rej.detail else "")
    if topic == "control":
        if getattr(event, "halted", False) and getattr(event, "scope", "") == "fleet":
            return f"HALT fleet: {event.reason} (by {event.actor})"
        return None
    kind = getattr(event, "kind", None)
    if kind is None:
        return None
    if hasattr(event, "scope"):  # tradefleet.risk.alerts.RiskAlert: halts, breakers, confirmations
        return f"risk {kind} [{event.scope}]: {event.reason}" + (f" -> {event.state}" if event.state else "")
    msg = getattr(event, "message", "")
    acct = getattr(event, "account", "")
    return f"{kind}{' [' + acct + ']' if acct else ''}: {msg}"


def next_summary_ns(now_ns: int, hhmm: str, tz: ZoneInfo) -> int:
    """The next ``hhmm`` local time in ``tz`` strictly after ``now_ns``."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    local = ns_to_dt(now_ns).astimezone(tz)
    day = local.date()
    for _ in range(3):  # today, tomorrow, or the day after across a DST gap
        at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        ns = int(at.timestamp()) * NS
        if ns > now_ns:
            return ns
        day = day + timedelta(days=1)
    raise AssertionError("unreachable: a later day always exists")
