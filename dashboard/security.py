"""Dashboard security: start-up checks, password login, CSRF tokens, login throttling.

* The dashboard binds 127.0.0.1 unless told otherwise. It refuses to start (ConfigError,
  so the CLI exits 2) on a non-loopback address without a password hash, and on any
  address with a default or short secret key. On loopback without a key it makes a
  random one per process (sessions end with the process).
* Passwords are checked against a werkzeug hash; the plain password is never stored.
* Every state-changing request carries the session's CSRF token (form field
  ``csrf_token`` or header ``X-CSRF-Token``), compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.clock import NS, Clock
from orchestrator.errors import ConfigError

from dashboard.config import DashboardConfig

MIN_SECRET_LEN = 32
DEFAULT_SECRETS = frozenset({"dev", "secret", "changeme", "change-me", "change_me", "default", "tradefleet",
                             "password", "secret-key", "secret_key", "your-secret-key", "flask-secret"})
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class DashboardSecurityError(ConfigError):
    """The dashboard's security settings do not allow it to start."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname may resolve anywhere: treat it as exposed


@dataclass(frozen=True)
class AuthSettings:
    """Resolved login settings: the password hash (None: no login) and the session key."""

    password_hash: str | None
    secret_key: str = field(repr=False)
    generated_key: bool = False

    @property
    def login_required(self) -> bool:
        return self.password_hash is not None


def resolve_auth(cfg: DashboardConfig, host: str, environ: Mapping[str, str] | None = None) -> AuthSettings:
    """Resolve the password hash and secret key for binding ``host``, or refuse to start."""
    from orchestrator.sections import SecretRef

    where = f"dashboard on {host}"
    pw = cfg.password_hash
    if pw is not None and pw.startswith("env:"):
        pw = SecretRef(pw).resolve(environ).get_secret_value().strip() or None
        if pw is not None and not pw.startswith(("scrypt:", "pbkdf2:")):
            raise DashboardSecurityError(f"{where}: {cfg.password_hash} does not hold a werkzeug password hash"
                                         " (scrypt:... or pbkdf2:...)")
    if not is_loopback(host) and pw is None:
        raise DashboardSecurityError(
            f"{where}: refusing to bind a non-loopback address without a password; set"
            " [dashboard].password_hash (or TRADEFLEET__DASHBOARD__PASSWORD_HASH) to a werkzeug hash")
    if cfg.secret_key is None:
        if not is_loopback(host):
            raise DashboardSecurityError(f"{where}: refusing to bind a non-loopback address without"
                                         " [dashboard].secret_key = 'env:NAME' (32+ random characters)")
        return AuthSettings(pw, secrets.token_urlsafe(48), generated_key=True)
    key = SecretRef(cfg.secret_key).resolve(environ).get_secret_value()
    if key.strip().lower() in DEFAULT_SECRETS or len(key) < MIN_SECRET_LEN or len(set(key)) < 8:
        raise DashboardSecurityError(
            f"{where}: secret key {cfg.secret_key} is a default or shorter than {MIN_SECRET_LEN}"
            " characters; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    return AuthSettings(pw, key)


def check_password(settings: AuthSettings, password: str) -> bool:
    """True if ``password`` matches the configured hash."""
    from werkzeug.security import check_password_hash

    return settings.password_hash is not None and check_password_hash(settings.password_hash, password)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


class LoginThrottle:
    """Lock an address out after ``max_failures`` failed logins, for ``lockout_seconds`` of clock time."""

    def __init__(self, clock: Clock, max_failures: int, lockout_seconds: float) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.lockout_ns = int(lockout_seconds * NS)
        self._failures: dict[str, list[int]] = {}

    def locked(self, addr: str) -> bool:
        now = self.clock.now_ns()
        recent = [t for t in self._failures.get(addr, []) if now - t < self.lockout_ns]
        self._failures[addr] = recent
        return len(recent) >= self.max_failures

    def failed(self, addr: str) -> None:
        now = self.clock.now_ns()
        if len(self._failures) > 10_000:  # many addresses: forget those with no recent failure
            self._failures = {a: ts for a, ts in self._failures.items() if ts and now - ts[-1] < self.lockout_ns}
        self._failures.setdefault(addr, []).append(now)

    def succeeded(self, addr: str) -> None:
        self._failures.pop(addr, None)


def session_config(cfg: DashboardConfig, settings: AuthSettings) -> dict[str, Any]:
    """Flask settings for the session cookie: HttpOnly, SameSite=Strict, Secure behind TLS."""
    from datetime import timedelta

    return {
        "SECRET_KEY": settings.secret_key,
        "SESSION_COOKIE_NAME": "tradefleet_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_SECURE": cfg.secure_cookies,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=cfg.session_hours),
    }
