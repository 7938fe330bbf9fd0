"""The Flask dashboard: ``create_app(config, store_url, clock)``.

Pages (overview, bots, records, signals, markets, reports) render server-side from
:class:`~dashboard.views.FleetView`; every page has a JSON twin under ``/api/``; live
updates arrive by server-sent events on ``/api/stream``. Control (pause/resume/halt)
writes the store through :class:`~dashboard.control.FleetControl`. Chart.js is served
from ``static/vendor`` (no CDN). ``/metrics``, ``/healthz`` and ``/readyz`` need no login.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

from orchestrator.clock import NS, Clock
from orchestrator.sections import KernelConfig
from orchestrator.errors import TradefleetError

from dashboard import security as sec
from dashboard.control import ControlError, FleetControl
from dashboard.views import FleetView, iso

log = logging.getLogger(__name__)
OPEN_ENDPOINTS = frozenset({"login", "static", "healthz", "readyz", "metrics"})


def _json_default(obj: Any) -> Any:
    """Decimals as strings (exact), enums as their values."""
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def dumps(obj: Any) -> str:
    """JSON text of view data (Decimals exact, as strings)."""
    return json.dumps(obj, default=_json_default, separators=(",", ":"))


def embed_json(obj: Any) -> str:
    """JSON for a ``<script type="application/json">`` block (no ``</`` can close it)."""
    return dumps(obj).replace("</", "<\\/")


def discover_bots() -> tuple[dict[str, Any], dict[str, str]]:
    """Registered bot specs by name, and broken bot plugins with their error."""
    from orchestrator.registry import Registry

    reg = Registry.discover(["bots"])
    broken = {r.name: r.error or "broken" for r in reg.broken("bots")}
    return reg.ok("bots"), broken


def create_app(config: KernelConfig, store_url: str | None, clock: Clock, *, host: str | None = None,
               bus: Any = None, specs: dict[str, Any] | None = None, broken: dict[str, str] | None = None,
               environ: dict[str, str] | None = None, watchdog: Any = None) -> Flask:
    """Build the dashboard app on the store at ``store_url`` (default ``engine.store_url``).

    Raises :class:`~dashboard.security.DashboardSecurityError` when the security settings do
    not allow binding ``host`` (default ``[dashboard].host``). ``specs``/``broken`` skip
    registry discovery (tests, benchmarks); ``bus`` is given when sharing the engine's process.
    """
    from orchestrator.store import Store

    dcfg = config.dashboard
    auth = sec.resolve_auth(dcfg, host or dcfg.host, environ)
    if specs is None:
        specs, found_broken = discover_bots()
        broken = {**found_broken, **(broken or {})}
    store = Store.open(store_url or config.engine.store_url, clock=clock)
    view = FleetView(config, store, clock, specs, broken)
    control = FleetControl(store, clock, set(specs) | set(broken or {}), bus)
    throttle = sec.LoginThrottle(clock, dcfg.max_login_failures, dcfg.lockout_seconds)

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(sec.session_config(dcfg, auth))
    app.extensions["tradefleet"] = {"store": store, "view": view, "control": control, "auth": auth,
                                    "clock": clock, "watchdog": watchdog}
    from dashboard.metrics import install_metrics

    if config.metrics.enabled:
        install_metrics(app, view)

    _install_guards(app, auth, clock, dcfg.session_hours)
    _install_pages(app, view, control, auth, throttle, config)
    _install_api(app, view, control, config)
    _install_health(app, view, watchdog)
    return app


def _actor() -> str:
    return f"dashboard:{session.get('user', 'local')}"


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _install_guards(app: Flask, auth: sec.AuthSettings, clock: Clock, session_hours: float) -> None:
    max_age_ns = int(session_hours * 3600 * NS)

    @app.before_request
    def _guard() -> Any:
        g.t0 = time.perf_counter()
        if request.endpoint in OPEN_ENDPOINTS and request.endpoint != "login":
            return None  # no session cookie for probes, scrapes and static files
        if "csrf" not in session:
            session["csrf"] = sec.new_csrf_token()
        if request.endpoint != "login" and auth.login_required:
            login_ns = session.get("login_ns")
            if not session.get("user") or login_ns is None or clock.now_ns() - int(login_ns) > max_age_ns:
                session.pop("user", None)
                if _wants_json():
                    return jsonify(error="login required"), 401
                return redirect(url_for("login", next=request.path))
        if request.method in sec.UNSAFE:
            given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
            if not sec.csrf_ok(session.get("csrf"), given):
                return (jsonify(error="missing or invalid CSRF token"), 403) if _wants_json() else \
                    ("missing or invalid CSRF token", 403)
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                   "frame-ancestors 'none'; form-action 'self'")
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint not in ("static",):
            resp.headers["Cache-Control"] = "no-store"
        if "t0" in g:
            resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.t0) * 1000:.1f}"
        return resp

    @app.context_processor
    def _ctx() -> dict[str, Any]:
        return {"csrf_token": session.get("csrf", ""), "user": session.get("user"),
                "login_required": auth.login_required, "iso": iso}

    @app.errorhandler(TradefleetError)
    def _tf_error(exc: TradefleetError) -> Any:
        status = 400 if isinstance(exc, ControlError) else 500
        if _wants_json():
            return jsonify(error=str(exc)), status
        return render_template("error.html", message=str(exc)), status


def _install_pages(app: Flask, view: FleetView, control: FleetControl, auth: sec.AuthSettings,
                   throttle: sec.LoginThrottle, config: KernelConfig) -> None:
    clock = view.clock

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if not auth.login_required:
            return redirect(url_for("overview"))
        error = None
        if request.method == "POST":
            addr = request.remote_addr or "?"
            if throttle.locked(addr):
                return render_template("login.html", error="too many failed logins; wait and retry"), 429
            if sec.check_password(auth, request.form.get("password", "")):
                throttle.succeeded(addr)
                csrf = sec.new_csrf_token()
                session.clear()  # a fresh session on login: no fixation
                session.update(user=request.form.get("username") or "operator", login_ns=clock.now_ns(), csrf=csrf)
                session.permanent = True
                nxt = request.args.get("next", "")
                return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else url_for("overview"))
            throttle.failed(addr)
            log.warning("dashboard: failed login from %s", addr)
            error = "wrong password"
        return render_template("login.html", error=error), (401 if error else 200)

    @app.post("/logout")
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    def overview() -> Any:
        data = view.overview()
        return render_template("overview.html", page="overview", d=data,
                               chart=embed_json({"equity": data["equity"]["points"], "daily": data["daily_pnl"]}))

    @app.get("/bots")
    def bots() -> Any:
        return render_template("bots.html", page="bots", bots=view.bots(), status=view.status())

    @app.get("/records")
    def records() -> Any:
        return render_template("records.html", page="records", d=view.records(request.args.get("bot") or None,
                                                                         request.args.get("limit", type=int)))

    @app.get("/signals")
    def signals() -> Any:
        bot = request.args.get("bot") or None
        return render_template("signals.html", page="signals", signals=view.signals(bot, 100), bot=bot)

    @app.get("/markets")
    def markets() -> Any:
        data = view.markets()
        return render_template("markets.html", page="markets", d=data, chart=embed_json(data))

    @app.get("/reports")
    def reports() -> Any:
        return render_template("reports.html", page="reports", reports=view.reports())

    @app.get("/reports/<path:name>")
    def report_file(name: str) -> Any:
        if not name.endswith((".html", ".json")):
            abort(404)
        return send_from_directory(Path(config.dashboard.reports_dir).resolve(), name)

    @app.post("/control")
    def control_form() -> Any:
        _apply(control, request.form.get("action", ""), request.form.get("bot") or None,
               request.form.get("reason", ""))
        back = request.form.get("next", "")
        return redirect(back if back.startswith("/") and not back.startswith("//") else url_for("bots"))


def _apply(control: FleetControl, action: str, bot: str | None, reason: str) -> Any:
    if action == "pause":
        return control.pause(bot, _actor(), reason)
    if action == "resume":
        return control.resume(bot, _actor())
    if action == "halt":
        return control.halt(reason, _actor())
    raise ControlError(f"unknown action {action!r}: use pause, resume or halt")


def _install_api(app: Flask, view: FleetView, control: FleetControl, config: KernelConfig) -> None:
    interval = config.dashboard.sse_interval_seconds

    def ok(obj: Any) -> Response:
        return Response(dumps(obj), mimetype="application/json")

    app.add_url_rule("/api/status", "api_status", lambda: ok(view.status()))
    app.add_url_rule("/api/overview", "api_overview", lambda: ok(view.overview()))
    app.add_url_rule("/api/bots", "api_bots", lambda: ok(view.bots()))
    app.add_url_rule("/api/records", "api_records", lambda: ok(view.records(
        request.args.get("bot") or None, request.args.get("limit", type=int))))
    app.add_url_rule("/api/signals", "api_signals", lambda: ok(view.signals(
        request.args.get("bot") or None, min(1000, request.args.get("limit", 100, type=int) or 100))))
    app.add_url_rule("/api/markets", "api_markets", lambda: ok(view.markets()))
    app.add_url_rule("/api/reports", "api_reports", lambda: ok(view.reports()))
    app.add_url_rule("/api/risk", "api_risk", lambda: ok(view.risk()))

    @app.post("/api/control")
    def api_control() -> Any:
        body = request.get_json(silent=True) or {}
        state = _apply(control, str(body.get("action", "")), body.get("bot") or None, str(body.get("reason", "")))
        return ok({"scope": state.scope, "paused": state.paused, "halted": state.halted,
                   "reason": state.reason, "actor": state.actor, "ts": iso(state.ts_ns)})

    @app.get("/api/stream")
    def api_stream() -> Response:
        once = request.args.get("once") == "1"
        stop = threading.Event()

        def frame() -> str:
            eq = view.overview_live()
            return f"event: state\ndata: {dumps(eq)}\n\n"

        def gen() -> Iterator[str]:
            yield "retry: 3000\n\n"
            while True:
                yield frame()
                if once or stop.wait(interval):
                    return

        resp = Response(gen(), mimetype="text/event-stream")
        resp.headers["X-Accel-Buffering"] = "no"
        resp.call_on_close(stop.set)
        return resp


def _install_health(app: Flask, view: FleetView, watchdog: Any) -> None:
    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(ok=True)

    @app.get("/readyz")
    def readyz() -> Any:
        problems = []
        try:
            view.store.control("fleet")
        except TradefleetError as exc:
            problems.append(f"store: {exc}")
        if watchdog is not None and watchdog.tripped:
            problems.append(f"watchdog: {watchdog.tripped}")
        if problems:
            return jsonify(ready=False, problems=problems), 503
        return jsonify(ready=True)
