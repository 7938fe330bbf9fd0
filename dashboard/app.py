"""The Flask dashboard: ``create_app(config, store_url, clock)``.

Pages (overview, bots, records, signals, markets, reports) render server-side from
:class:`~tradefleet.dashboard.views.FleetView`; every page has a JSON twin under ``/api/``; live
updates arrive by server-sent events on ``/api/stream``. Control (pause/resume/halt)
writes the store through :class:`~tradefleet.dashboard.control.FleetControl`. Chart.js is served
from ``static/vendor`` (no CDN). ``/healthz`` and ``/readyz`` need no login; ``/metrics`` needs one (or a bearer token)
when a password is set. The REST API for programs lives in :mod:`tradefleet.dashboard.api_v1`.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.sections import KernelConfig
from tradefleet.orchestrator.errors import TradefleetError

from tradefleet.dashboard import security as sec
from tradefleet.dashboard.jsontext import dumps, embed_json
from tradefleet.dashboard.control import ControlError, FleetControl
from tradefleet.dashboard.views import FleetView, iso

log = logging.getLogger(__name__)


def discover_bots() -> tuple[dict[str, Any], dict[str, str]]:
    """Registered bot specs by name, and broken bot plugins with their error."""
    from tradefleet.orchestrator.registry import Registry

    reg = Registry.discover(["bots"])
    broken = {r.name: r.error or "broken" for r in reg.broken("bots")}
    return reg.ok("bots"), broken


def create_app(config: KernelConfig, store_url: str | None, clock: Clock, *, host: str | None = None,
               bus: Any = None, specs: dict[str, Any] | None = None, broken: dict[str, str] | None = None,
               environ: dict[str, str] | None = None, watchdog: Any = None) -> Flask:
    """Build the dashboard app on the store at ``store_url`` (default ``engine.store_url``).

    Raises :class:`~tradefleet.dashboard.security.DashboardSecurityError` when the security settings do
    not allow binding ``host`` (default ``[dashboard].host``). ``specs``/``broken`` skip
    registry discovery (tests, benchmarks); ``bus`` is given when sharing the engine's process.
    """
    from tradefleet.orchestrator.store import Store

    from tradefleet.dashboard.sessions import SessionStore
    from tradefleet.dashboard.tokens import TokenStore

    dcfg = config.dashboard
    bind = host or dcfg.host
    auth = sec.resolve_auth(dcfg, bind, environ)
    metrics_token = None
    if config.metrics.token is not None:
        from tradefleet.orchestrator.sections import SecretRef

        metrics_token = SecretRef(config.metrics.token).resolve(environ).get_secret_value() or None
    if specs is None:
        specs, found_broken = discover_bots()
        broken = {**found_broken, **(broken or {})}
    store = Store.open(store_url or config.engine.store_url, clock=clock)
    view = FleetView(config, store, clock, specs, broken)
    control = FleetControl(store, clock, set(specs) | set(broken or {}), bus)
    throttle = sec.LoginThrottle(clock, dcfg.max_login_failures, dcfg.login_backoff_seconds, dcfg.lockout_seconds)
    sessions = SessionStore(store, clock, auth.secret_key, auth.password_hash, int(dcfg.session_hours * 3600 * NS))
    tokens = TokenStore(store, clock)

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(sec.session_config(dcfg, auth))
    app.extensions["tradefleet"] = {"store": store, "view": view, "control": control, "auth": auth,
                                    "clock": clock, "watchdog": watchdog, "sessions": sessions, "tokens": tokens,
                                    "hosts": sec.allowed_hosts(dcfg, bind)}
    from tradefleet.dashboard.prediction_view import register as register_prediction

    register_prediction(app, config, clock)  # /prediction: live prediction markets (its own module)
    from tradefleet.dashboard.options_view import register as register_options

    register_options(app, config, store, clock)  # /options: option legs, Greeks, collateral by structure
    from tradefleet.dashboard.metrics import install_metrics

    if config.metrics.enabled:
        install_metrics(app, view)

    _install_guards(app, auth, sessions, tokens, config, metrics_token)
    _install_pages(app, view, control, auth, throttle, sessions, config)
    _install_api(app, view, control, config)
    _install_health(app, view, watchdog)
    from tradefleet.dashboard.api_v1 import install_api_v1

    install_api_v1(app, view, control, tokens, config)
    return app


def _actor() -> str:
    return f"dashboard:{g.get('user') or 'local'}"


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _refuse(status: int, message: str) -> Any:
    if _wants_json():
        return jsonify(error=message), status
    return Response(message + "\n", status=status, mimetype="text/plain")


def _bearer() -> str | None:
    head = request.headers.get("Authorization", "")
    return head[7:].strip() if head[:7].lower() == "bearer " else None


def _metrics_allowed(auth: sec.AuthSettings, sessions: Any, tokens: Any, metrics_token: str | None) -> bool:
    """/metrics: open without a password (loopback, Host-checked); else a session, the
    metrics token or a read API token."""
    given = _bearer()
    if given:
        if metrics_token and hmac.compare_digest(given, metrics_token):
            return True
        return tokens.check(given) is not None
    if not auth.login_required:
        return sec.host_ok(request.host, current_app_hosts())
    return sessions.user_of(session.get("sid")) is not None


def current_app_hosts() -> frozenset[str]:
    from flask import current_app

    return frozenset(current_app.extensions["tradefleet"]["hosts"])


def _install_guards(app: Flask, auth: sec.AuthSettings, sessions: Any, tokens: Any, config: KernelConfig,
                    metrics_token: str | None) -> None:
    dcfg = config.dashboard
    hosts = frozenset(app.extensions["tradefleet"]["hosts"])

    @app.before_request
    def _guard() -> Any:
        g.t0 = time.perf_counter()
        g.addr = sec.client_addr(request.remote_addr, request.headers.get("X-Forwarded-For"), dcfg.trusted_proxies)
        if request.endpoint in ("healthz", "readyz"):
            return None  # probes reveal nothing and come with the pod's address as Host
        if request.endpoint == "metrics":
            if _metrics_allowed(auth, sessions, tokens, metrics_token):
                return None
            return Response("metrics need a login or a bearer token\n", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
        if request.path.startswith("/api/v1/"):
            return None  # token authentication (no cookies, so no rebinding or CSRF exposure): api_v1
        if not sec.host_ok(request.host, hosts):
            log.warning("dashboard: refused Host %r from %s (not in allowed hosts)", request.host[:100], g.addr)
            return _refuse(421, f"unknown host {request.host[:100]!r}: add it to [dashboard].allowed_hosts")
        if request.endpoint == "static":
            return None  # no session cookie for static files
        if "csrf" not in session:
            session["csrf"] = sec.new_csrf_token()
        g.user = sessions.user_of(session.get("sid")) if auth.login_required else None
        if request.endpoint != "login" and auth.login_required and g.user is None:
            session.pop("sid", None)
            if _wants_json():
                return jsonify(error="login required"), 401
            return redirect(url_for("login", next=sec.safe_next(request.full_path.rstrip("?"), "/")))
        if request.method in sec.UNSAFE:
            if not sec.origin_ok(request.headers.get("Origin"), request.headers.get("Referer"), request.host):
                log.warning("dashboard: refused %s %s from %s: Origin %r / Referer %r is not this dashboard",
                            request.method, request.path, g.addr, request.headers.get("Origin"),
                            request.headers.get("Referer"))
                return _refuse(403, "cross-site request refused: Origin (or Referer) must be this dashboard")
            given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
            if not sec.csrf_ok(session.get("csrf"), given):
                return _refuse(403, "missing or invalid CSRF token")
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        if "Content-Security-Policy" not in resp.headers:
            resp.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                       "frame-ancestors 'none'; form-action 'self'")
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        resp.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if request.endpoint not in ("static",):
            resp.headers["Cache-Control"] = "no-store"
        if "t0" in g:
            resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.t0) * 1000:.1f}"
        return resp

    @app.context_processor
    def _ctx() -> dict[str, Any]:
        return {"csrf_token": session.get("csrf", ""), "user": g.get("user"),
                "login_required": auth.login_required, "iso": iso}

    @app.errorhandler(TradefleetError)
    def _tf_error(exc: TradefleetError) -> Any:
        status = 400 if isinstance(exc, ControlError) else 500
        if _wants_json():
            return jsonify(error=str(exc)), status
        return render_template("error.html", message=str(exc)), status


def _install_pages(app: Flask, view: FleetView, control: FleetControl, auth: sec.AuthSettings,
                   throttle: sec.LoginThrottle, sessions: Any, config: KernelConfig) -> None:
    clock = view.clock
    store = view.store

    def audit(kind: str, status: int, detail: str, actor: str) -> None:
        from tradefleet.dashboard.tokens import audit as write

        write(store, clock.now_ns(), actor, kind, request.method, request.path, status, g.addr, detail)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if not auth.login_required:
            return redirect(url_for("overview"))
        error = None
        if request.method == "POST":
            user = (request.form.get("username") or "operator").strip()[:128] or "operator"
            key = throttle.key(user, g.addr)
            wait = throttle.retry_after(key)
            if wait > 0:
                log.warning("dashboard: login for %r from %s throttled (%.0f s to wait)", user, g.addr, wait)
                audit("login", 429, f"throttled, retry in {wait:.0f} s", f"dashboard:{user}")
                resp = app.make_response((render_template(
                    "login.html", error=f"too many failed logins; retry in {max(1, round(wait))} s"), 429))
                resp.headers["Retry-After"] = str(max(1, round(wait)))
                return resp
            if sec.check_password(auth, request.form.get("password", "")):
                throttle.succeeded(key)
                session.clear()  # a fresh session on login: no fixation
                session.update(sid=sessions.open(user), csrf=sec.new_csrf_token())
                session.permanent = True
                log.info("dashboard: %r logged in from %s", user, g.addr)
                audit("login", 302, "logged in", f"dashboard:{user}")
                return redirect(sec.safe_next(request.args.get("next"), url_for("overview")))
            n = throttle.failed(key)
            log.warning("dashboard: failed login for %r from %s (%d in a row)", user, g.addr, n)
            audit("login", 401, f"wrong password ({n} in a row)", f"dashboard:{user}")
            error = "wrong password"
        return render_template("login.html", error=error), (401 if error else 200)

    @app.post("/logout")
    def logout() -> Any:
        sessions.revoke(session.get("sid"))
        if g.get("user"):
            log.info("dashboard: %r logged out", g.user)
        session.clear()
        return redirect(url_for("login") if auth.login_required else url_for("overview"))

    @app.get("/")
    def overview() -> Any:
        data = view.overview()
        data["holds"] = view.trading_state()
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
        from tradefleet.dashboard import queries as q

        per_page = 50
        f = {k: (request.args.get(k) or None) for k in ("bot", "instrument", "gate", "outcome", "since", "until")}
        page_no = max(1, request.args.get("page", 1, type=int) or 1)
        items, total = view.signal_page(bot=f["bot"], instrument=f["instrument"], gate=f["gate"],
                                        outcome=f["outcome"], since_ns=_day_ns(f["since"], "from"),
                                        until_ns=_day_ns(f["until"], "to", 1), limit=per_page,
                                        offset=(page_no - 1) * per_page)
        pages = max(1, -(-total // per_page))
        return render_template("signals.html", page="signals", signals=items, total=total, page_no=page_no,
                               pages=pages, f=f, q={k: v for k, v in f.items() if v}, facets=view.signal_facets())

    @app.get("/regimes")
    def regimes() -> Any:
        data = view.regimes()
        return render_template("regimes.html", page="regimes", d=data,
                               chart=embed_json({"regimes": {m["market"]: m["series"] for m in data["markets"]}}))

    @app.get("/markets")
    def markets() -> Any:
        data = view.markets()
        return render_template("markets.html", page="markets", d=data, chart=embed_json(data))

    @app.get("/reports")
    def reports() -> Any:
        return render_template("reports.html", page="reports", reports=view.reports())

    @app.get("/tca")
    def tca() -> Any:
        by = request.args.get("by", "bot")
        try:
            data = view.tca(by)
        except ValueError as exc:
            return _refuse(400, str(exc))
        from tradefleet.orchestrator.execution.tca import GROUPS

        return render_template("tca.html", page="tca", d=data, groups=GROUPS, chart=embed_json({"tca": data}))

    @app.get("/reports/<path:name>")
    def report_file(name: str) -> Any:
        from tradefleet.dashboard.reports import serve_report

        return serve_report(Path(config.dashboard.reports_dir), name)

    @app.post("/control")
    def control_form() -> Any:
        action = request.form.get("action", "")
        bot = request.form.get("bot") or None
        reason = request.form.get("reason", "")
        back = sec.safe_next(request.form.get("next"), url_for("bots"))  # checked before anything is applied
        if _needs_confirm(control, action, bot, reason) and request.form.get("confirm") != "yes":
            return render_template("confirm.html", page="confirm", action=action, bot=bot, reason=reason,
                                   next=back, status=view.status())
        _apply(control, action, bot, reason)
        audit("control", 302, f"{action} {bot or 'fleet'} {reason}".strip(), _actor())
        return redirect(back)


def _day_ns(value: str | None, label: str, plus_days: int = 0) -> int | None:
    """A YYYY-MM-DD filter as UTC nanoseconds (``plus_days`` later: an inclusive end date)."""
    from datetime import date, datetime, timezone

    if not value:
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise ControlError(f"{label} date {value!r}: use YYYY-MM-DD") from None
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() + plus_days * 86400) * NS


def _needs_confirm(control: FleetControl, action: str, bot: str | None, reason: str = "") -> bool:
    """A halt, and a fleet resume that would clear a halt, are confirmed first."""
    if bot:
        return False
    if action == "halt":
        if not reason.strip():
            raise ControlError("a halt needs a reason, e.g. 'halt broker outage'")
        return True
    return action == "resume" and bool(control.store.control("fleet").halted)


def _apply(control: FleetControl, action: str, bot: str | None, reason: str) -> Any:
    if action == "pause":
        return control.pause(bot, _actor(), reason)
    if action == "resume":
        if bot and bot.startswith("fleet:"):  # one fleet: a running engine lifts its daily-loss hold
            return control.resume_fleet(bot.split(":", 1)[1], _actor())
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
    app.add_url_rule("/api/regimes", "api_regimes", lambda: ok(view.regimes()))

    @app.get("/api/tca")
    def api_tca() -> Any:
        try:
            return ok(view.tca(request.args.get("by", "bot")))
        except ValueError as exc:
            return _refuse(400, str(exc))

    @app.post("/api/control")
    def api_control() -> Any:
        body = request.get_json(silent=True) or {}
        action, bot = str(body.get("action", "")), body.get("bot") or None
        if _needs_confirm(control, action, bot, str(body.get("reason", ""))) and body.get("confirm") is not True:
            what = "halting the fleet" if action == "halt" else "resuming clears the fleet's halt"
            return jsonify(error=f"{what}: send again with \"confirm\": true", confirm=True), 409
        state = _apply(control, action, bot, str(body.get("reason", "")))
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
