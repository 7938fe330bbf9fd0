"""Each attack from issue #18, tried against the dashboard as an attacker would (Flask test
client speaking HTTP to the WSGI app; the served tests drive a real socket)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store

from tradefleet.dashboard.security import LoginThrottle, client_addr, safe_next
from tradefleet.dashboard.store_tables import operator_audit
from tests.dashboard.conftest import PASSWORD, csrf_of, login

ATTACKER = "rebind.attacker.example:8765"


# -- DNS rebinding: a foreign Host is refused, on pages, the API and control -------------
def test_foreign_host_is_refused_on_every_page(open_app: Any, store_url: str) -> None:
    c = open_app.test_client()
    for path in ("/", "/bots", "/api/status", "/api/bots", "/signals", "/login"):
        r = c.get(path, headers={"Host": ATTACKER})
        assert r.status_code == 421, path
        assert b"spx-rsi2" not in r.data
    token = csrf_of(c)
    r = c.post("/api/control", json={"action": "pause"},
               headers={"Host": ATTACKER, "X-CSRF-Token": token, "Origin": f"http://{ATTACKER}"})
    assert r.status_code == 421
    with Store.open(store_url) as store:
        assert not store.control("fleet").paused


def test_loopback_and_configured_hosts_are_answered(tmp_path: Any, store_url: str, clock: SimClock,
                                                    specs: Any) -> None:
    from tradefleet.dashboard.app import create_app
    from tests.dashboard.conftest import make_config

    app = create_app(make_config(tmp_path, allowed_hosts=["dash.example.com"]), store_url, clock, specs=specs)
    try:
        c = app.test_client()
        for host in ("127.0.0.1:8765", "localhost", "[::1]:8765", "dash.example.com", "DASH.example.com:443"):
            assert c.get("/api/status", headers={"Host": host}).status_code == 200, host
        assert c.get("/api/status", headers={"Host": "evil.example.com"}).status_code == 421
        assert c.get("/healthz", headers={"Host": "10.1.2.3:8765"}).status_code == 200  # probes by pod address
    finally:
        app.extensions["tradefleet"]["store"].close()


# -- Origin: a foreign Origin with a valid CSRF token is refused ------------------------
@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.example"},
    {"Referer": "http://evil.example/page"},
    {},  # neither: a browser always sends one of them on a POST
])
def test_foreign_or_missing_origin_is_refused(open_app: Any, store_url: str, headers: dict[str, str]) -> None:
    from flask.testing import FlaskClient

    c = FlaskClient(open_app)  # no default Origin
    token = csrf_of(c)
    r = c.post("/api/control", json={"action": "pause"}, headers={"X-CSRF-Token": token, **headers})
    assert r.status_code == 403 and "Origin" in r.get_json()["error"]
    form = c.post("/control", data={"action": "pause", "csrf_token": token, "next": "/"}, headers=headers)
    assert form.status_code == 403
    with Store.open(store_url) as store:
        assert not store.control("fleet").paused


def test_same_origin_referer_is_accepted(open_app: Any, store_url: str) -> None:
    from flask.testing import FlaskClient

    c = FlaskClient(open_app)
    r = c.post("/api/control", json={"action": "pause", "bot": "spx-rsi2"},
               headers={"X-CSRF-Token": csrf_of(c), "Referer": "http://localhost/bots"})
    assert r.status_code == 200


# -- /metrics behind auth ---------------------------------------------------------------
def test_metrics_need_login_or_token_when_password_set(secured: Any, tmp_path: Any, store_url: str,
                                                       clock: SimClock, specs: Any, password_hash: str) -> None:
    c = secured.test_client()
    r = c.get("/metrics")
    assert r.status_code == 401 and b"tradefleet_equity" not in r.data
    login(c)
    assert c.get("/metrics").status_code == 200
    from tradefleet.dashboard.app import create_app
    from tests.dashboard.conftest import SECRET, make_config

    cfg = make_config(tmp_path, password_hash="env:H", secret_key="env:K")
    cfg = cfg.model_copy(update={"metrics": cfg.metrics.model_copy(update={"token": "env:M"})})
    app = create_app(cfg, store_url, clock, specs=specs, environ={"H": password_hash, "K": SECRET, "M": "scrape-me-123"})
    try:
        anon = app.test_client()
        assert anon.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = anon.get("/metrics", headers={"Authorization": "Bearer scrape-me-123", "Host": "10.0.0.9:8765"})
        assert ok.status_code == 200 and b"tradefleet_equity" in ok.data
    finally:
        app.extensions["tradefleet"]["store"].close()


def test_metrics_refuse_foreign_host_without_password(open_app: Any) -> None:
    c = open_app.test_client()
    assert c.get("/metrics").status_code == 200
    assert c.get("/metrics", headers={"Host": ATTACKER}).status_code == 401


# -- next: no open redirect, no 500 on CRLF ---------------------------------------------
@pytest.mark.parametrize("nxt", ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example",
                                 "/\r\nSet-Cookie: x=1", " /bots"])
def test_safe_next_refuses_offsite_targets(nxt: str) -> None:
    assert safe_next(nxt, "/") == "/"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/signals?bot=spx-rsi2&page=2", "/") == "/signals?bot=spx-rsi2&page=2"


def test_login_next_tab_is_not_an_open_redirect(secured: Any) -> None:
    c = secured.test_client()
    token = csrf_of(c)
    r = c.post("/login?next=/%09/evil.example", data={"password": PASSWORD, "username": "alice", "csrf_token": token})
    assert r.status_code == 302
    loc = r.headers["Location"]
    assert "evil" not in loc and not loc.startswith("//")


def test_control_crlf_next_is_no_500(open_app: Any, store_url: str) -> None:
    c = open_app.test_client()
    r = c.post("/control", data={"action": "pause", "bot": "spx-rsi2", "csrf_token": csrf_of(c),
                                 "next": "/bots\r\nX-Injected: 1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/bots") and "X-Injected" not in r.headers


# -- server-side sessions ---------------------------------------------------------------
def test_cookie_copied_before_logout_is_dead_after(secured: Any) -> None:
    c = secured.test_client()
    login(c)
    assert c.get("/api/status").status_code == 200
    stolen = c.get_cookie("tradefleet_session").value
    c.post("/logout", data={"csrf_token": csrf_of(c)})
    thief = secured.test_client()
    thief.set_cookie("tradefleet_session", stolen)
    assert thief.get("/api/status").status_code == 401
    assert thief.get("/bots").status_code == 302


def test_password_change_revokes_sessions(tmp_path: Any, store_url: str, clock: SimClock, specs: Any,
                                          password_hash: str) -> None:
    from werkzeug.security import generate_password_hash

    from tradefleet.dashboard.app import create_app
    from tests.dashboard.conftest import SECRET, make_config, same_origin_client

    cfg = make_config(tmp_path, password_hash="env:H", secret_key="env:K")
    old = create_app(cfg, store_url, clock, specs=specs, environ={"H": password_hash, "K": SECRET})
    same_origin_client(old)
    c = old.test_client()
    login(c)
    cookie = c.get_cookie("tradefleet_session").value
    assert c.get("/api/status").status_code == 200
    new = create_app(cfg, store_url, clock, specs=specs,
                     environ={"H": generate_password_hash("a brand new passphrase"), "K": SECRET})
    try:
        c2 = new.test_client()
        c2.set_cookie("tradefleet_session", cookie)
        assert c2.get("/api/status").status_code == 401
    finally:
        old.extensions["tradefleet"]["store"].close()
        new.extensions["tradefleet"]["store"].close()


# -- login throttling: user name + real address, backoff, logged -------------------------
def test_throttle_is_per_user_and_address(secured: Any, clock: SimClock) -> None:
    attacker = secured.test_client()
    for _ in range(5):
        attacker.post("/login", data={"password": "guess", "username": "alice", "csrf_token": csrf_of(attacker)},
                      environ_base={"REMOTE_ADDR": "198.51.100.7"})
    blocked = attacker.post("/login", data={"password": PASSWORD, "username": "alice",
                                            "csrf_token": csrf_of(attacker)}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    operator = secured.test_client()
    ok = operator.post("/login", data={"password": PASSWORD, "username": "alice", "csrf_token": csrf_of(operator)},
                       environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert ok.status_code == 302  # the operator, elsewhere, is not locked out


def test_throttle_backs_off_exponentially() -> None:
    clock = SimClock(0)
    t = LoginThrottle(clock, free=3, base_seconds=1.0, cap_seconds=60.0)
    key = t.key("Alice", "1.2.3.4")
    waits = []
    for _ in range(10):
        t.failed(key)
        waits.append(t.retry_after(key))
    assert waits[:2] == [0.0, 0.0] and waits[2:8] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0] and waits[8:] == [60.0, 60.0]
    assert t.retry_after(t.key("alice", "5.6.7.8")) == 0.0
    clock.advance(60)
    assert t.retry_after(key) == 0.0


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    assert client_addr("10.0.0.2", "198.51.100.7", ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_addr("10.0.0.2", "198.51.100.7, 10.0.0.3", ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_addr("203.0.113.9", "198.51.100.7", ["10.0.0.0/8"]) == "203.0.113.9"  # spoofed header
    assert client_addr("10.0.0.2", "198.51.100.7", []) == "10.0.0.2"


def test_behind_proxy_throttle_keys_on_real_client(tmp_path: Any, store_url: str, clock: SimClock, specs: Any,
                                                   password_hash: str) -> None:
    from tradefleet.dashboard.app import create_app
    from tests.dashboard.conftest import SECRET, make_config, same_origin_client

    cfg = make_config(tmp_path, password_hash="env:H", secret_key="env:K", trusted_proxies=["10.0.0.0/8"])
    app = create_app(cfg, store_url, clock, specs=specs, environ={"H": password_hash, "K": SECRET})
    same_origin_client(app)
    try:
        proxy = {"REMOTE_ADDR": "10.0.0.2"}
        bad = app.test_client()
        for _ in range(7):
            bad.post("/login", data={"password": "x", "username": "alice", "csrf_token": csrf_of(bad)},
                     environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"})
        good = app.test_client()
        r = good.post("/login", data={"password": PASSWORD, "username": "alice", "csrf_token": csrf_of(good)},
                      environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"})
        assert r.status_code == 302
    finally:
        app.extensions["tradefleet"]["store"].close()


def test_login_events_are_logged_and_audited(secured: Any, store_url: str, caplog: Any) -> None:
    c = secured.test_client()
    with caplog.at_level(logging.INFO, logger="tradefleet.dashboard.app"):
        login(c, "nope")
        login(c)
    text = caplog.text
    assert "failed login for 'alice'" in text and "'alice' logged in" in text
    with Store.open(store_url) as store, store.engine.connect() as conn:
        rows = conn.execute(operator_audit.select().order_by(operator_audit.c.id)).all()
    assert [(r.kind, r.status, r.actor) for r in rows[-2:]] == [("login", 401, "dashboard:alice"),
                                                               ("login", 302, "dashboard:alice")]


# -- halt and resume of a halt need confirmation ---------------------------------------
def test_halt_form_asks_for_confirmation(open_app: Any, store_url: str) -> None:
    c = open_app.test_client()
    token = csrf_of(c)
    r = c.post("/control", data={"action": "halt", "reason": "broker outage", "csrf_token": token, "next": "/"})
    assert r.status_code == 200 and b'id="confirm-yes"' in r.data
    with Store.open(store_url) as store:
        assert not store.control("fleet").halted
    r = c.post("/control", data={"action": "halt", "reason": "broker outage", "csrf_token": token, "next": "/",
                                 "confirm": "yes"})
    assert r.status_code == 302
    with Store.open(store_url) as store:
        assert store.control("fleet").halted
    r = c.post("/control", data={"action": "resume", "csrf_token": token, "next": "/"})
    assert r.status_code == 200 and b"HALTED" in r.data and b"broker outage" in r.data
    with Store.open(store_url) as store:
        assert store.control("fleet").halted  # one click does not clear a halt
    c.post("/control", data={"action": "resume", "csrf_token": token, "next": "/", "confirm": "yes"})
    with Store.open(store_url) as store:
        assert not store.control("fleet").halted


def test_security_headers_kept_on_every_kind_of_answer(open_app: Any) -> None:
    c = open_app.test_client()
    for path in ("/", "/api/status", "/login", "/nope"):
        h = c.get(path).headers
        assert "default-src 'self'" in h["Content-Security-Policy"] and "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
