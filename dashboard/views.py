"""What each dashboard page (and its JSON twin) shows, assembled from the store, the
registry and the side tables of other components (validations, risk state, regimes).

:class:`FleetView` holds the long-lived pieces (config, store, clock, bot specs) and
caches what is costly and slow-changing (schedule triggers, regime files by mtime);
every method returns plain JSON-able data. A side table that is missing or empty
degrades to an empty section, never an error page.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tradefleet.orchestrator.clock import Clock, ns_to_dt
from tradefleet.dashboard.status import status_dict
from tradefleet.orchestrator.sections import KernelConfig

from tradefleet.dashboard import queries as q

log = logging.getLogger(__name__)
MAX_CHART_POINTS = 600


def downsample(points: list[tuple[int, float]], limit: int = MAX_CHART_POINTS) -> list[tuple[int, float]]:
    """Keep at most ``limit`` points: the last of each equal-width bucket (and the last point)."""
    if len(points) <= limit:
        return points
    step = len(points) / limit
    out = [points[min(len(points) - 1, int((i + 1) * step) - 1)] for i in range(limit)]
    if out[-1] != points[-1]:
        out[-1] = points[-1]
    return out


def daily_pnl(points: list[tuple[int, float]], tz: ZoneInfo, days: int = 90) -> list[dict[str, Any]]:
    """Change of end-of-day equity per calendar day in ``tz`` (the first day against its open)."""
    last_of_day: dict[str, float] = {}
    first = None
    for ts, eq in points:
        day = datetime.fromtimestamp(ts / 1e9, tz).date().isoformat()
        if first is None:
            first = eq
        last_of_day[day] = eq
    out, prev = [], first
    for day, eq in last_of_day.items():
        out.append({"day": day, "pnl": round(eq - (prev or eq), 2), "equity": round(eq, 2)})
        prev = eq
    return out[-days:]


def _num(x: Any, digits: int = 4) -> Any:
    """A number rounded for reading (``digits`` significant figures), anything else as is."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return x
    return float(f"{x:.{digits}g}") if isinstance(x, float) else x


def readable_signal(s: dict[str, Any]) -> dict[str, Any]:
    """Add table-ready ensemble votes and gate limits (rounded numbers, no raw JSON)."""
    s["vote_rows"], s["vote_total"] = [], None
    for d in s["decisions"]:
        data = d.get("data") or {}
        votes = data.get("votes")
        if isinstance(votes, list):
            weights = data.get("weights") or {}
            s["vote_rows"] = [{"source": v.get("source", "?"), "abstain": v.get("abstain"),
                               "score": _num(v.get("score"), 3), "confidence": _num(v.get("confidence"), 3),
                               "weight": _num(weights.get(v.get("source")), 3)} for v in votes if isinstance(v, dict)]
            s["vote_total"] = _num(data.get("score"), 3)
        elif isinstance(votes, dict):
            s["vote_rows"] = [{"source": k, "abstain": None, "score": _num(v if not isinstance(v, dict) else v.get("vote"), 3),
                               "confidence": None, "weight": None} for k, v in sorted(votes.items())]
        d["limits"] = [f"{k}={_num(v)}" for k, v in data.items()
                       if k not in ("votes", "weights", "score", "aligned", "voters") and not isinstance(v, dict | list)][:8]
    return s


def _fmt(x: Any) -> str:
    return f"{x:,.2f}" if isinstance(x, float) else str(x)


def iso(ns: int | None) -> str | None:
    return None if ns is None else ns_to_dt(ns).strftime("%Y-%m-%d %H:%M:%SZ")


@dataclass
class _Cache:
    next_fire: dict[str, int | None] = field(default_factory=dict)
    triggers: dict[str, Any] = field(default_factory=dict)
    regimes: dict[str, tuple[float, list[Any]]] = field(default_factory=dict)
    fills_by_bot: dict[str, int] = field(default_factory=dict)
    fills_top_id: int = 0
    alloc: tuple[int, dict[str, list[list[float]]]] | None = None
    regime_pages: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    facets: tuple[int, dict[str, list[str]]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class FleetView:
    """Read-only assembly of the dashboard's data."""

    def __init__(self, config: KernelConfig, store: Any, clock: Clock, specs: dict[str, Any] | None = None,
                 broken: dict[str, str] | None = None) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.specs = specs if specs is not None else {}
        self.broken = broken or {}
        self.tz = ZoneInfo(config.engine.timezone)
        self._cache = _Cache()

    # -- overview -------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Fleet state (the CLI's ``status``), with the risk state when a report is saved."""
        info = status_dict(self.store)
        f = info["fleet"]
        ts = info.get("trading_state") or {}
        info["state"] = ts.get("state") or ("halted" if f["halted"] else "paused" if f["paused"] else "active")
        info["since"] = iso(f["since_ns"])
        info["now"] = iso(self.clock.now_ns())
        return info

    def trading_state(self) -> dict[str, Any]:
        """The one trading state (:func:`tradefleet.risk.trading_state.trading_state`), every hold with
        its reason, who set it and when (times also as ISO text)."""
        ts = dict(self.status().get("trading_state") or {})
        ts["holds"] = [{**h, "since": iso(h.get("since_ns")), "expires": iso(h.get("expires_ns"))}
                       for h in ts.get("holds", [])]
        ts.pop("scopes", None)
        return ts

    def risk(self) -> dict[str, Any]:
        """The risk engine's saved report merged with the live halt (``tradefleet risk``)."""
        try:
            from tradefleet.risk.view import risk_view

            return risk_view(self.config, self.store)
        except Exception as exc:  # missing table or an older report shape: show, don't fail
            log.warning("risk report unavailable: %s", exc)
            return {"state": "unknown", "reason": f"risk report unavailable: {exc}", "limits": []}

    def exposure(self, positions: list[dict[str, Any]]) -> dict[str, Any]:
        """Gross/net exposure at entry prices, by instrument."""
        by_inst: dict[str, Decimal] = defaultdict(Decimal)
        for p in positions:
            if p["quantity"]:
                by_inst[p["instrument"]] += p["quantity"] * p["avg_price"]
        long_ = sum((v for v in by_inst.values() if v > 0), Decimal(0))
        short = sum((-v for v in by_inst.values() if v < 0), Decimal(0))
        return {"gross": float(long_ + short), "net": float(long_ - short), "long": float(long_),
                "short": float(short),
                "by_instrument": {k: float(v) for k, v in sorted(by_inst.items()) if v}}

    def breakers(self, risk: dict[str, Any], status: dict[str, Any]) -> list[dict[str, Any]]:
        """Circuit breakers: the fleet halt, halted accounts, daily loss and every risk limit."""
        out = [{"name": "fleet halt", "tripped": status["fleet"]["halted"],
                "detail": status["fleet"]["reason"] if status["fleet"]["halted"] else ""}]
        out += [{"name": f"account {a}", "tripped": True, "detail": "halted"} for a in status["halted_accounts"]]
        dl = risk.get("daily_loss") or {}
        if dl:
            out.append({"name": "daily loss", "tripped": bool(dl.get("halted")),
                        "detail": ", ".join(f"{k}={_fmt(v)}" for k, v in dl.items() if k != "halted" and v != "")[:200]})
        for lim in risk.get("limits", []):
            use = lim.get("use")
            out.append({"name": str(lim.get("limit")), "tripped": isinstance(use, int | float) and use >= 1.0,
                        "detail": f"{_fmt(lim.get('used'))} of {_fmt(lim.get('max'))}"})
        return out

    def brokers(self, status: dict[str, Any], counts: dict[str, int]) -> list[dict[str, Any]]:
        """Each configured account (paper when none): venue, live flag, halted, unknown orders."""
        accounts = dict(self.config.accounts) or {"paper": None}
        run = status.get("last_run") or {}
        out = []
        for name, acc in sorted(accounts.items()):
            halted = name in status["halted_accounts"]
            unknown = counts.get("UNKNOWN", 0)
            healthy = not halted and unknown == 0 and run.get("status") not in ("failed", "error")
            out.append({"account": name, "venue": acc.venue if acc else "paper",
                        "live": bool(acc and acc.live), "halted": halted, "unknown_orders": unknown,
                        "last_run": run.get("status"), "health": "ok" if healthy else "degraded"})
        return out

    def overview(self) -> dict[str, Any]:
        """Everything on the overview page."""
        status = self.status()
        run = (status.get("last_run") or {})
        summary = run.get("summary") or {}
        # one account's curve: the last run's (a store holds every run; mixing them is no curve)
        points = q.equity_points(self.store, summary.get("account")) if summary.get("account") else []
        points = points or q.equity_points(self.store)
        positions = q.position_rows(self.store)
        risk = self.risk()
        counts = q.order_status_counts(self.store)
        eq = [p[1] for p in points]
        last, ret = (eq[-1] if eq else None), None
        if summary.get("total_return_pct") is not None and run.get("status") not in ("running", None):
            last, ret = float(summary["equity"]), float(summary["total_return_pct"])  # the CLI's own figures
        elif eq and summary.get("starting_cash"):
            ret = round((eq[-1] / float(summary["starting_cash"]) - 1) * 100, 4)
        elif eq and eq[0]:
            ret = round((eq[-1] / eq[0] - 1) * 100, 4)
        return {
            "status": status,
            "equity": {"points": [[ts // 1_000_000, round(v, 2)] for ts, v in downsample(points)],
                       "last": last, "first": eq[0] if eq else None, "return_pct": ret},
            "daily_pnl": daily_pnl(points, self.tz),
            "exposure": self.exposure(positions),
            "realized_pnl": float(sum((p["realized_pnl"] for p in positions), Decimal(0))),
            "trading_state": {"state": risk.get("state", "active"), "reason": risk.get("reason", "")},
            "breakers": self.breakers(risk, status),
            "brokers": self.brokers(status, counts),
            "orders_by_status": counts,
            "fills": q.total_fills(self.store),
        }

    def overview_live(self) -> dict[str, Any]:
        """The small state pushed by server-sent events: fleet state, last equity, counts."""
        status = self.status()
        last = q.last_equity(self.store)
        return {"state": status["state"], "reason": status["fleet"]["reason"], "now": status["now"],
                "paused_bots": status["paused_bots"], "halted_accounts": status["halted_accounts"],
                "equity": None if last is None else [last[0] // 1_000_000, round(last[1], 2)],
                "fills": q.total_fills(self.store)}

    # -- bots -----------------------------------------------------------------------
    def next_run(self, name: str, spec: Any, now_ns: int) -> int | None:
        """The bot's next scheduled fire after now (cached until it passes)."""
        cached = self._cache.next_fire.get(name, -1)
        if cached is not None and cached > now_ns:
            return cached
        from tradefleet.orchestrator.scheduler import build_trigger, next_fire_ns

        try:
            trig = self._cache.triggers.get(name) or build_trigger(spec.schedule)
            self._cache.triggers[name] = trig
            fire = next_fire_ns(trig, None, now_ns)
        except Exception as exc:  # a bad schedule shows as no next run, with a log line
            log.warning("bot %s: cannot compute next run: %s", name, exc)
            fire = None
        self._cache.next_fire[name] = fire
        return fire

    def fill_counts(self) -> dict[str, int]:
        """Fills per bot, counted incrementally (fills are append-only, ids increase)."""
        c = self._cache
        with c.lock:
            new, top = q.fill_counts_after(self.store, c.fills_top_id)
            for bot, n in new.items():
                c.fills_by_bot[bot] = c.fills_by_bot.get(bot, 0) + n
            c.fills_top_id = top
            return dict(c.fills_by_bot)

    def validations(self) -> dict[str, dict[str, Any]]:
        """Each bot's latest validation (Go/No-Go), or {} if none was stored."""
        try:
            from sqlalchemy import func, select

            from tradefleet.backtest.store_table import validations as t

            newest = select(t.c.bot, func.max(t.c.id).label("id")).group_by(t.c.bot).subquery()
            stmt = select(t.c.bot, t.c.passed, t.c.ts_ns, t.c.error, t.c.result).join(newest, t.c.id == newest.c.id)
            with q.reading(self.store, "validations") as conn:
                rows = conn.execute(stmt).all()
        except Exception as exc:
            log.warning("validations unavailable: %s", exc)
            return {}
        out = {}
        for bot, passed, ts, error, result in rows:
            failed = [c["name"] for c in (result or {}).get("checks", []) if not c.get("passed")]
            out[bot] = {"go": bool(passed), "ts": iso(ts), "error": error, "failed_checks": failed}
        return out

    def regime_of(self, market: str) -> dict[str, Any] | None:
        r = q.latest_regime(self.store, market)
        if r is None:
            rows = self.regime_rows(market)
            r = rows[-1] if rows else None
        if r is None:
            return None
        return {"market": market, "regime": r.regime, "ts": iso(r.ts_event), "probs": r.probs}

    def regime_rows(self, market: str) -> list[Any]:
        """The market's regime history: the store's ``regime_history`` table (what runs write),
        else the JSONL files of ``[regime].history_dir``."""
        rows = q.regime_history(self.store, market)
        if rows:
            return rows
        from tradefleet.ai.regime.history import JsonlRegimeHistory

        hist = JsonlRegimeHistory(self.config.regime.history_dir)
        path = hist._path(market)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return []
        hit = self._cache.regimes.get(market)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        try:
            rows = hist.read(market)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("regime history %s unreadable: %s", path, exc)
            rows = []
        self._cache.regimes[market] = (mtime, rows)
        return rows

    def regime_markets(self) -> list[str]:
        """Markets with a configured regime model or stored regime history."""
        rc = self.config.regime
        return sorted(set(rc.markets.values()) | set(rc.instrument_markets.values()) | set(q.regime_markets(self.store)))

    def regimes(self) -> dict[str, Any]:
        """Each market's latest regime and its history as runs of one regime (start, end, regime),
        with the stepped series for a proportional time-axis chart (recomputed only when a
        market has a newer row)."""
        return {"markets": [self._regime_market(m) for m in self.regime_markets()]}

    def _regime_market(self, m: str) -> dict[str, Any]:
        latest = q.latest_regime(self.store, m)
        key = None if latest is None else latest.ts_event
        hit = self._cache.regime_pages.get(m)
        if hit is not None and key is not None and hit[0] == key:
            return hit[1]
        out = self._regime_market_fresh(m)
        if key is not None:
            self._cache.regime_pages[m] = (key, out)
        return out

    def _regime_market_fresh(self, m: str) -> dict[str, Any]:
        code = {"bull": 1, "sideways": 0, "bear": -1}
        rows = self.regime_rows(m)
        runs: list[dict[str, Any]] = []
        for r in rows:
            if runs and runs[-1]["regime"] == r.regime:
                runs[-1]["end_ns"] = r.ts_event
                runs[-1]["bars"] += 1
            else:
                runs.append({"regime": r.regime, "start_ns": r.ts_event, "end_ns": r.ts_event, "bars": 1})
        for run in runs:
            run["start"], run["end"] = iso(run["start_ns"]), iso(run["end_ns"])
            run["days"] = round((run["end_ns"] - run["start_ns"]) / 86_400e9, 1)
        series = [[ru["start_ns"] // 1_000_000, code.get(ru["regime"], 0)] for ru in runs]
        if runs:
            series.append([runs[-1]["end_ns"] // 1_000_000, code.get(runs[-1]["regime"], 0)])
        return {"market": m, "latest": self.regime_of(m), "rows": len(rows),
                "runs": runs[-30:][::-1], "n_runs": len(runs), "series": series}

    def market_for(self, spec: Any) -> str | None:
        rc = self.config.regime
        inst = spec.instruments[0]
        return rc.instrument_markets.get(inst) or rc.markets.get(str(spec.asset_class.value))

    def bots(self) -> list[dict[str, Any]]:
        """One row per registered bot (broken plugins included)."""
        now = self.clock.now_ns()
        controls = {c.scope: c for c in self.store.controls()}
        health = {b.name: b for b in self.store.bots()}
        counts = q.bot_counts(self.store)
        fills = self.fill_counts()
        last_run = self.store.last_run()
        run_bots = {b["name"]: b for b in ((last_run.summary or {}).get("bots") or [])} if last_run else {}
        latest = q.latest_signal_meta(self.store)
        valid = self.validations()
        pnl: dict[str, Decimal] = defaultdict(Decimal)
        open_pos: dict[str, int] = defaultdict(int)
        for p in q.position_rows(self.store):
            pnl[p["bot"]] += p["realized_pnl"]
            open_pos[p["bot"]] += 1 if p["quantity"] else 0
        fleet = controls.get("fleet")
        rows = []
        for name in sorted(set(self.specs) | set(self.broken) | set(health)):
            spec = self.specs.get(name)
            ctl = controls.get(f"bot:{name}")
            stored = health.get(name)
            enabled = self.config.bots[name].enabled if name in self.config.bots else True
            if name in self.broken:
                status = "broken"
            elif stored is not None and stored.status != "ok":
                status = stored.status
            elif ctl is not None and ctl.paused:
                status = "paused"
            elif not enabled:
                status = "disabled"
            elif fleet is not None and (fleet.halted or fleet.paused):
                status = "halted" if fleet.halted else "fleet paused"
            else:
                status = "active"
            meta = latest.get(name, {}).get("meta", {})
            market = self.market_for(spec) if spec is not None else None
            regime = meta.get("regime") or ((self.regime_of(market) or {}).get("regime") if market else None)
            c = counts.get(name, {})
            rows.append({
                "name": name, "status": status, "paused": bool(ctl and ctl.paused),
                "family": spec.family if spec else (stored.family if stored else ""),
                "asset_class": spec.asset_class.value if spec else (stored.asset_class if stored else ""),
                "instruments": list(spec.instruments) if spec else [],
                "schedule": spec.schedule.describe() if spec else "",
                "timezone": spec.schedule.timezone if spec else "",
                "next_run": iso(self.next_run(name, spec, now)) if spec and enabled else None,
                "market": market, "regime": regime, "allocation": meta.get("fleet_weight"),
                "realized_pnl": float(pnl.get(name, Decimal(0))), "open_positions": open_pos.get(name, 0),
                "signals": c.get("signals", 0), "orders": c.get("orders", 0), "fills": fills.get(name, 0),
                # the last run's own counts: what `tradefleet run` printed for this bot
                "run_signals": run_bots.get(name, {}).get("signals"), "run_fills": run_bots.get(name, {}).get("fills"),
                "validation": valid.get(name), "error": self.broken.get(name) or (stored.error if stored else None),
                "last_signal": iso(latest.get(name, {}).get("ts_event")),
            })
        return rows

    # -- records, signals, markets, reports -------------------------------------------
    def records(self, bot: str | None = None, limit: int | None = None) -> dict[str, Any]:
        """Positions (open first), the newest orders and fills (``limit`` rows each)."""
        default = self.config.dashboard.records_limit
        limit = max(1, min(limit or default, 10 * default))
        positions = q.position_rows(self.store)
        if bot is not None:
            positions = [p for p in positions if p["bot"] == bot]
        positions.sort(key=lambda p: (p["quantity"] == 0, p["bot"], p["instrument"]))
        return {"positions": positions, "orders": q.recent_orders(self.store, limit, bot),
                "fills": q.recent_fills(self.store, limit, bot), "limit": limit}

    def signal_page(self, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """A filtered page of signals with their decisions and the ensemble's votes."""
        items, total = q.signal_page(self.store, **filters)
        for s in items:
            readable_signal(s)
            s["time"] = iso(s["ts_event"])
            s["votes"] = next((d["data"].get("votes") for d in s["decisions"]
                               if isinstance(d["data"].get("votes"), dict | list)), None)
        return items, total

    def signal_facets(self) -> dict[str, list[str]]:
        """The filter choices of the Signals page (re-read only after new signals)."""
        n = q.signal_count(self.store)
        hit = self._cache.facets
        if hit is None or hit[0] != n:
            self._cache.facets = hit = (n, q.signal_facets(self.store))
        return hit[1]

    def equity_series(self, since_ns: int | None = None, until_ns: int | None = None,
                      max_points: int = MAX_CHART_POINTS) -> list[tuple[int, float]]:
        """(ts_ns, equity) between two times, downsampled to ``max_points``."""
        pts = [p for p in q.equity_points(self.store) if (since_ns is None or p[0] >= since_ns)
               and (until_ns is None or p[0] < until_ns)]
        return downsample(pts, max_points)

    def signals(self, bot: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest signals with each gate's decision and the ensemble's votes."""
        out = q.recent_signals(self.store, limit, bot)
        for s in out:
            s["time"] = iso(s["ts_event"])
            s["votes"] = next((d["data"].get("votes") for d in s["decisions"]
                               if isinstance(d["data"].get("votes"), dict | list)), None)
        return out

    def markets(self) -> dict[str, Any]:
        """Each market's latest regime (history: :meth:`regimes`) and the fleet allocation over time."""
        regimes = [{"market": m, "latest": self.regime_of(m)} for m in self.regime_markets()]
        alloc = self.allocation()
        exposure_by_family: dict[str, float] = defaultdict(float)
        for p in q.position_rows(self.store):
            if p["quantity"]:
                spec = self.specs.get(p["bot"])
                fam = spec.family if spec is not None else "other"
                exposure_by_family[fam] += abs(float(p["quantity"] * p["avg_price"]))
        return {"regimes": regimes, "allocation": dict(alloc),
                "exposure_by_family": dict(sorted(exposure_by_family.items()))}

    def allocation(self) -> dict[str, list[list[float]]]:
        """Each bot's fleet weight over time (from signal meta), re-read only after new signals."""
        n = q.signal_count(self.store)
        hit = self._cache.alloc
        if hit is not None and hit[0] == n:
            return hit[1]
        series: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for bot, ts, w in q.fleet_weights(self.store):
            series[bot].append((ts // 1_000_000, w))
        # the chart needs the shape, not every signal
        alloc = {bot: [list(p) for p in downsample(pts, 120)] for bot, pts in sorted(series.items())}
        self._cache.alloc = (n, alloc)
        return alloc

    def tca(self, by: str = "bot") -> dict[str, Any]:
        """Transaction-cost analysis of every worked parent, grouped ``by`` (bot, venue,
        instrument, algorithm or size): the report ``tradefleet tca --json`` prints, from the
        same function, so the page and the command always show the same numbers."""
        from tradefleet.orchestrator.execution.tca import GROUPS, outcomes_from_store, report

        if by not in GROUPS:
            raise ValueError(f"tca: by={by!r} is not a grouping; use one of {', '.join(GROUPS)}")
        return report(outcomes_from_store(self.store), by)

    def reports(self) -> list[dict[str, Any]]:
        """Backtest reports (``tradefleet backtest --report``) found in ``reports_dir``."""
        import json

        root = Path(self.config.dashboard.reports_dir)
        if not root.is_dir():
            return []
        out = []
        for html in sorted(root.glob("*.html"), key=lambda p: p.stat().st_mtime, reverse=True):
            meta: dict[str, Any] = {}
            js = html.with_suffix(".json")
            if js.exists():
                try:
                    meta = json.loads(js.read_text())
                except (OSError, ValueError):
                    meta = {}
            metrics = meta.get("metrics", meta) if isinstance(meta, dict) else {}
            out.append({"name": html.name, "size": html.stat().st_size,
                        "modified": iso(int(html.stat().st_mtime * 1e9)),
                        "metrics": {k: v for k, v in metrics.items() if isinstance(v, int | float | str)}})
        return out
