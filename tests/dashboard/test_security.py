"""Start-up refusals, login (401), CSRF, session cookies and expiry, login lockout."""

from __future__ import annotations

from typing import Any

import pytest

from tradefleet.dashboard.config import DashboardConfig
from tradefleet.dashboard.security import DashboardSecurityError, is_loopback, resolve_auth
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store

from tests.dashboard.conftest import PASSWORD, SECRET, csrf_of, login


def test_is_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("dash.example.com")


def test_resolve_auth_refuses_public_bind_without_password() -> None:
    with pytest.raises(DashboardSecurityError, match="non-loopback address without a password"):
        resolve_auth(DashboardConfig(), "0.0.0.0", {})


def test_resolve_auth_refuses_public_bind_without_secret_key(password_hash: str) -> None:
    cfg = DashboardConfig(password_hash=password_hash)
    with pytest.raises(DashboardSecurityError, match="secret_key"):
        resolve_auth(cfg, "10.0.0.1", {})


@pytest.mark.parametrize("key", ["changeme", "short-key-123", "a" * 40, "secret"])
def test_resolve_auth_refuses_default_or_short_key_even_on_loopback(key: str) -> None:
    cfg = DashboardConfig(secret_key="env:K")
    with pytest.raises(DashboardSecurityError, match="default or shorter"):
        resolve_auth(cfg, "127.0.0.1", {"K": key})


def test_resolve_auth_loopback_without_key_generates_one() -> None:
    a, b = resolve_auth(DashboardConfig(), "127.0.0.1", {}), resolve_auth(DashboardConfig(), "127.0.0.1", {})
    assert a.generated_key and len(a.secret_key) >= 32 and a.secret_key != b.secret_key
    assert not a.login_required


def test_resolve_auth_reads_hash_from_env(password_hash: str) -> None:
    cfg = DashboardConfig(password_hash="env:H", secret_key="env:K")
    auth = resolve_auth(cfg, "0.0.0.0", {"H": password_hash, "K": SECRET})
    assert auth.login_required and auth.password_hash == password_hash
    with pytest.raises(DashboardSecurityError, match="does not hold a werkzeug password hash"):
        resolve_auth(cfg, "0.0.0.0", {"H": "plain-password", "K": SECRET})


def test_config_rejects_plain_password_and_literal_secret() -> None:
    with pytest.raises(ValueError, match="werkzeug hash"):
        DashboardConfig(password_hash="hunter2")
    with pytest.raises(ValueError, match="env:"):
        DashboardConfig(secret_key="literal-secret-key-literal-secret-key")


def test_api_needs_login_401_and_pages_redirect(secured: Any) -> None:
    c = secured.test_client()
    assert c.get("/api/bots").status_code == 401
    assert c.get("/api/overview").get_json() == {"error": "login required"}
    page = c.get("/bots")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert c.get("/healthz").status_code == 200 and c.get("/metrics").status_code == 401


def test_login_wrong_password_is_401(secured: Any) -> None:
    c = secured.test_client()
    r = login(c, "wrong")
    assert r.status_code == 401 and b"wrong password" in r.data
    assert c.get("/api/bots").status_code == 401


def test_login_without_csrf_token_is_refused(secured: Any) -> None:
    c = secured.test_client()
    r = c.post("/login", data={"password": PASSWORD})
    assert r.status_code == 403
    assert c.get("/api/bots").status_code == 401


def test_login_sets_strict_httponly_session_and_rotates_csrf(secured: Any) -> None:
    c = secured.test_client()
    before = csrf_of(c)
    r = login(c)
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "tradefleet_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert c.get("/api/bots").status_code == 200
    with c.session_transaction() as sess:
        assert sess["sid"] and "user" not in sess and sess["csrf"] != before  # the user lives server-side


def test_state_change_needs_csrf_token(secured: Any, store_url: str) -> None:
    c = secured.test_client()
    login(c)
    no_token = c.post("/api/control", json={"action": "pause", "bot": "spx-rsi2"})
    assert no_token.status_code == 403
    bad = c.post("/api/control", json={"action": "pause", "bot": "spx-rsi2"}, headers={"X-CSRF-Token": "forged"})
    assert bad.status_code == 403
    form_no_token = c.post("/control", data={"action": "pause", "bot": "spx-rsi2"})
    assert form_no_token.status_code == 403
    with Store.open(store_url) as store:
        assert not store.control("bot:spx-rsi2").paused
    good = c.post("/api/control", json={"action": "pause", "bot": "spx-rsi2"}, headers={"X-CSRF-Token": csrf_of(c)})
    assert good.status_code == 200 and good.get_json()["paused"] is True
    with Store.open(store_url) as store:
        st = store.control("bot:spx-rsi2")
        assert st.paused and st.actor == "dashboard:alice"


def test_session_expires_on_the_clock(secured: Any, clock: SimClock) -> None:
    c = secured.test_client()
    login(c)
    assert c.get("/api/status").status_code == 200
    clock.advance(12 * 3600 + 1)
    assert c.get("/api/status").status_code == 401


def test_logout_ends_session(secured: Any) -> None:
    c = secured.test_client()
    login(c)
    assert c.post("/logout", data={"csrf_token": csrf_of(c)}).status_code == 302
    assert c.get("/api/status").status_code == 401


def test_repeated_failures_back_off(secured: Any, clock: SimClock) -> None:
    c = secured.test_client()
    for _ in range(5):
        assert login(c, "nope").status_code == 401
    assert login(c).status_code == 429  # even the right password, while it must wait
    clock.advance(1)  # the first delay is one second, not a lockout
    assert login(c).status_code == 302


def test_probes_set_no_session_cookie(secured: Any) -> None:
    c = secured.test_client()
    for path in ("/healthz", "/readyz", "/metrics", "/static/app.css"):
        assert "Set-Cookie" not in c.get(path).headers


def test_security_headers(secured: Any) -> None:
    r = secured.test_client().get("/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
