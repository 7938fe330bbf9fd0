"""The REST API for programs: ``/api/v1/...``, token-authenticated, scoped, audited.

Every call carries ``Authorization: Bearer <token>`` (``tradefleet api-token create``).
Each route states its scope (``read`` for every GET, ``control`` for pause/resume/halt,
``trade`` for force-exit and backtests); the same table builds the OpenAPI document at
``/api/v1/openapi.json``, so the document cannot drift from the routes. Every call,
refused ones included, is written to the store's ``operator_audit`` with the token's
name. No cookies are read here, so there is nothing for a foreign page to ride on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, request

from tradefleet.orchestrator.sections import KernelConfig
from tradefleet.orchestrator.errors import ConfigError, TradefleetError

from tradefleet.dashboard.control import ControlError, FleetControl
from tradefleet.dashboard.views import FleetView, iso

log = logging.getLogger(__name__)
MAX_LIMIT = 500


@dataclass(frozen=True)
class Route:
    """One API endpoint: method, path (Flask syntax), scope, summary and its query parameters."""

    method: str
    path: str
    scope: str
    summary: str
    handler: Callable[..., Any]
    query: tuple[tuple[str, str, str], ...] = ()  # (name, type, description)
    body: dict[str, Any] = field(default_factory=dict)  # JSON body properties (name -> schema)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        val = int(raw)
    except ValueError:
        raise ApiError(400, f"query parameter {name}={raw!r}: expected an integer") from None
    if not lo <= val <= hi:
        raise ApiError(400, f"query parameter {name}={val}: must be between {lo} and {hi}")
    return val


def _date_ns(name: str) -> int | None:
    from datetime import datetime, timezone

    raw = request.args.get(name)
    if not raw:
        return None
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"query parameter {name}={raw!r}: expected an ISO date, e.g. 2024-01-31") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def _page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    nxt = offset + len(items)
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "next_offset": nxt if nxt < total else None}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body


def build_routes(view: FleetView, control: FleetControl, jobs: Any, config: KernelConfig) -> list[Route]:
    """The API's endpoints (also the source of the OpenAPI document)."""
    specs = view.specs

    def actor() -> str:
        return f"api:{g.api_token.name}"

    def status() -> Any:
        return {"status": view.status(), "trading_state": view.trading_state()}

    def bots() -> Any:
        return {"items": view.bots()}

    def bot(name: str) -> Any:
        row = next((b for b in view.bots() if b["name"] == name), None)
        if row is None:
            raise ApiError(404, f"unknown bot {name!r}: see GET /api/v1/bots")
        spec = specs.get(name)
        row["params"] = dict(spec.params) if spec is not None and isinstance(getattr(spec, "params", None), dict) else {}
        return row

    def pause(name: str) -> Any:
        return _state(control.pause(name, actor(), str(_body().get("reason", ""))))

    def resume(name: str) -> Any:
        return _state(control.resume(name, actor()))

    def halt() -> Any:
        return _state(control.halt(str(_body().get("reason", "")), actor()))

    def resume_fleet() -> Any:
        body = _body()
        if control.store.control("fleet").halted and body.get("confirm") is not True:
            raise ApiError(409, 'the fleet is halted: resuming clears the halt; send {"confirm": true}')
        return _state(control.resume(None, actor()))

    def positions() -> Any:
        rows = view.records(request.args.get("bot") or None)["positions"]
        if request.args.get("open") in ("1", "true"):
            rows = [p for p in rows if p["quantity"]]
        return {"items": rows}

    def force_exit(bot: str, instrument: str) -> Any:
        st = control.force_exit(bot, instrument, actor(), str(_body().get("reason", "")))
        return {**_state(st), "pending": True}

    def orders() -> Any:
        from tradefleet.dashboard import queries as q

        limit, offset = _int_arg("limit", 100, 1, MAX_LIMIT), _int_arg("offset", 0, 0, 10**9)
        items, total = q.order_page(view.store, bot=request.args.get("bot") or None,
                                    status=request.args.get("status") or None, limit=limit, offset=offset)
        return _page(items, total, limit, offset)

    def fills() -> Any:
        from tradefleet.dashboard import queries as q

        limit, offset = _int_arg("limit", 100, 1, MAX_LIMIT), _int_arg("offset", 0, 0, 10**9)
        items, total = q.fill_page(view.store, bot=request.args.get("bot") or None, limit=limit, offset=offset)
        return _page(items, total, limit, offset)

    def signals() -> Any:
        limit, offset = _int_arg("limit", 50, 1, MAX_LIMIT), _int_arg("offset", 0, 0, 10**9)
        a = request.args
        items, total = view.signal_page(bot=a.get("bot") or None, instrument=a.get("instrument") or None,
                                        gate=a.get("gate") or None, outcome=a.get("outcome") or None,
                                        since_ns=_date_ns("since"), until_ns=_date_ns("until"),
                                        limit=limit, offset=offset)
        return _page(items, total, limit, offset)

    def risk() -> Any:
        return view.risk()

    def equity() -> Any:
        pts = view.equity_series(_date_ns("since"), _date_ns("until"), _int_arg("max_points", 1000, 2, 100_000))
        return {"items": [{"ts": iso(ts), "equity": eq} for ts, eq in pts]}

    def validations() -> Any:
        return {"items": [{"bot": b, **v} for b, v in sorted(view.validations().items())]}

    def start_backtest() -> Any:
        body = _body()
        job = jobs.start(str(body.get("bot", "")), body.get("start"), body.get("end"), actor())
        return job.to_dict(), 202

    def backtest(job_id: str) -> Any:
        job = jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"no backtest {job_id!r}: see POST /api/v1/backtests")
        return job.to_dict()

    def backtest_report(job_id: str) -> Any:
        job = jobs.get(job_id)
        if job is None or job.report is None:
            raise ApiError(404, f"backtest {job_id!r} has no report (yet): see GET /api/v1/backtests/{job_id}")
        from tradefleet.dashboard.reports import serve_report

        return serve_report(Path(config.dashboard.reports_dir), job.report)

    page_q = (("limit", "integer", f"rows per page (1-{MAX_LIMIT})"), ("offset", "integer", "rows to skip"))
    bot_q = (("bot", "string", "only this bot"),)
    reason = {"reason": {"type": "string"}}
    return [
        Route("GET", "/status", "read", "Fleet state and the one trading state (what may trade now, and why not)",
              status),
        Route("GET", "/bots", "read", "Every bot: status, errors, counts, regime, allocation, validation", bots),
        Route("GET", "/bots/<name>", "read", "One bot, with its params", bot),
        Route("POST", "/bots/<name>/pause", "control", "Pause one bot", pause, body=reason),
        Route("POST", "/bots/<name>/resume", "control", "Resume one bot", resume),
        Route("GET", "/positions", "read", "Positions (flat ones carry realised P&L)", positions,
              query=bot_q + (("open", "boolean", "only open positions"),)),
        Route("POST", "/positions/<bot>/<path:instrument>/exit", "trade",
              "Force-exit a position: the engine sends a reduce-only market order at the instrument's next bar",
              force_exit, body=reason),
        Route("GET", "/orders", "read", "Orders, newest first (paged)", orders,
              query=bot_q + (("status", "string", "only this status, e.g. FILLED"),) + page_q),
        Route("GET", "/fills", "read", "Fills, newest first (paged)", fills, query=bot_q + page_q),
        Route("GET", "/signals", "read", "Signals with every gate's decision, newest first (filtered, paged)",
              signals, query=bot_q + (("instrument", "string", "only this instrument"),
                                      ("gate", "string", "only signals this gate rejected"),
                                      ("outcome", "string", "ordered, rejected, noop, or an exact outcome"),
                                      ("since", "string", "ISO date/time, inclusive"),
                                      ("until", "string", "ISO date/time, exclusive")) + page_q),
        Route("GET", "/risk", "read", "The risk engine's state and limits", risk),
        Route("GET", "/equity", "read", "The equity curve", equity,
              query=(("since", "string", "ISO date/time"), ("until", "string", "ISO date/time"),
                     ("max_points", "integer", "downsample to at most this many points"))),
        Route("GET", "/validations", "read", "Each bot's latest Go/No-Go validation", validations),
        Route("POST", "/halt", "control", "Halt the fleet: no new exposure anywhere; exits still pass", halt,
              body={"reason": {"type": "string", "minLength": 1}}),
        Route("POST", "/resume", "control", "Resume the fleet (clearing a halt needs confirm: true)", resume_fleet,
              body={"confirm": {"type": "boolean"}}),
        Route("POST", "/backtests", "trade", "Start a backtest of one bot (runs in the background)", start_backtest,
              body={"bot": {"type": "string"}, "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date"}}),
        Route("GET", "/backtests/<job_id>", "read", "A backtest's state and metrics", backtest),
        Route("GET", "/backtests/<job_id>/report", "read", "A finished backtest's HTML report", backtest_report),
    ]


def _state(st: Any) -> dict[str, Any]:
    return {"scope": st.scope, "paused": st.paused, "halted": st.halted, "reason": st.reason,
            "actor": st.actor, "ts": iso(st.ts_ns)}


def install_api_v1(app: Flask, view: FleetView, control: FleetControl, tokens: Any, config: KernelConfig) -> None:
    """Mount ``/api/v1`` on ``app``."""
    from tradefleet.dashboard.jsontext import dumps
    from tradefleet.dashboard.backtest_jobs import BacktestJobs
    from tradefleet.dashboard.openapi import openapi_document
    from tradefleet.dashboard.tokens import audit

    jobs = BacktestJobs(config.dashboard.reports_dir, view.clock, view.specs)
    routes = build_routes(view, control, jobs, config)
    app.extensions["tradefleet"]["api_jobs"] = jobs
    bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
    clock, store = view.clock, view.store

    def reply(status: int, obj: Any) -> Response:
        return Response(dumps(obj), status=status, mimetype="application/json")

    def record(status: int, detail: str = "") -> None:
        tok = g.get("api_token")
        audit(store, clock.now_ns(), f"api:{tok.name}" if tok else "api:?", "api", request.method,
              request.full_path.rstrip("?")[:512], status, g.get("addr", request.remote_addr or "?"), detail)

    def wrap(route: Route) -> Callable[..., Any]:
        def endpoint(**kwargs: Any) -> Response:
            head = request.headers.get("Authorization", "")
            token = head[7:].strip() if head[:7].lower() == "bearer " else ""
            info = tokens.check(token) if token else None
            g.api_token = info
            try:
                if info is None:
                    raise ApiError(401, "missing or unknown API token: send 'Authorization: Bearer <token>'"
                                        " (tradefleet api-token create)")
                if route.scope not in info.scopes:
                    raise ApiError(403, f"token {info.name!r} lacks the {route.scope!r} scope needed for"
                                        f" {route.method} /api/v1{route.path}")
                out = route.handler(**kwargs)
                if isinstance(out, Response):
                    record(out.status_code)
                    return out
                body, status = out if isinstance(out, tuple) else (out, 200)
                record(status)
                return reply(status, body)
            except ApiError as exc:
                record(exc.status, exc.message)
                resp = reply(exc.status, {"error": exc.message})
                if exc.status == 401:
                    resp.headers["WWW-Authenticate"] = "Bearer"
                return resp
            except (ControlError, ConfigError) as exc:
                record(400, str(exc))
                return reply(400, {"error": str(exc)})
            except TradefleetError as exc:
                record(500, str(exc))
                return reply(500, {"error": str(exc)})

        endpoint.__name__ = f"{route.method.lower()}_{route.path.strip('/').replace('/', '_').replace('<', '').replace('>', '').replace(':', '_')}"
        return endpoint

    for r in routes:
        bp.add_url_rule(r.path, view_func=wrap(r), methods=[r.method])

    doc = openapi_document(routes)

    @bp.get("/openapi.json")
    def openapi() -> Response:
        return reply(200, doc)

    app.register_blueprint(bp)
