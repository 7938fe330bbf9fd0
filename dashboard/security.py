"""Dashboard security: start-up checks, password login, CSRF tokens, login throttling.

* The dashboard binds 127.0.0.1 unless told otherwise. It refuses to start (ConfigError,
  so the CLI exits 2) on a non-loopback address without a password hash, and on any
  address with a default or short secret key. On loopback without a key it makes a
  random one per process (sessions end with the process).
* Passwords are checked against a werkzeug hash; the plain password is never stored.
* Every state-changing request carries the session's CSRF token (form field
  ``csrf_token`` or header ``X-CSRF-Token``), compared in constant time, and an Origin
  (or Referer) naming the dashboard's own host.
* Every request's Host must be a loopback name, the bound address or a configured name
  (a DNS-rebinding page cannot talk to a loopback dashboard).
* ``next`` targets are local paths only; login throttling backs off per user and address.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.errors import ConfigError

from tradefleet.dashboard.config import DashboardConfig

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
    from tradefleet.orchestrator.sections import SecretRef

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
    """Exponential backoff of failed logins, keyed on (user name, client address).

    The first ``free`` failures of a key cost nothing; each further failure makes the key
    wait ``base * 2**(n - free)`` seconds (capped at ``cap``) before its next attempt. A
    login from another address, or for another user, is not slowed: nobody can lock the
    operator out from elsewhere. A success clears the key.
    """

    def __init__(self, clock: Clock, free: int, base_seconds: float, cap_seconds: float) -> None:
        self.clock = clock
        self.free = free
        self.base_ns = int(base_seconds * NS)
        self.cap_ns = int(cap_seconds * NS)
        self._state: dict[tuple[str, str], tuple[int, int]] = {}  # key -> (failures, last failure ns)

    @staticmethod
    def key(user: str, addr: str) -> tuple[str, str]:
        return (user.strip().lower()[:128], addr)

    def delay_ns(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.cap_ns, self.base_ns << min(failures - self.free, 40))

    def retry_after(self, key: tuple[str, str]) -> float:
        """Seconds ``key`` must still wait before another attempt (0: go ahead)."""
        n, last = self._state.get(key, (0, 0))
        wait = last + self.delay_ns(n) - self.clock.now_ns()
        return max(0.0, wait / NS) if n else 0.0

    def failed(self, key: tuple[str, str]) -> int:
        """Record a failure; return the key's failure count."""
        now = self.clock.now_ns()
        if len(self._state) > 10_000:  # many keys: forget those whose delay has passed
            self._state = {k: v for k, v in self._state.items() if now - v[1] < self.cap_ns}
        n = self._state.get(key, (0, 0))[0] + 1
        self._state[key] = (n, now)
        return n

    def succeeded(self, key: tuple[str, str]) -> None:
        self._state.pop(key, None)


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def allowed_hosts(cfg: DashboardConfig, bind: str) -> frozenset[str]:
    """Host names the dashboard answers to: loopback names, the bound address, configured names."""
    names = set(LOOPBACK_NAMES) | {h.strip().lower().strip("[]") for h in cfg.allowed_hosts}
    b = bind.strip().lower().strip("[]")
    if b and b not in ("0.0.0.0", "::"):
        names.add(b)
    return frozenset(names)


def host_name(host_header: str) -> str:
    """The name part of a Host header (port and IPv6 brackets removed, lower case)."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def host_ok(host_header: str | None, allowed: frozenset[str]) -> bool:
    """True if the request's Host names this dashboard (not a rebound attacker domain)."""
    return bool(host_header) and host_name(host_header or "") in allowed


def same_origin(source: str | None, host_header: str | None) -> bool:
    """True if an Origin or Referer URL points at the host the request was sent to."""
    from urllib.parse import urlsplit

    if not source or not host_header or source == "null":
        return False
    try:
        parts = urlsplit(source)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.strip().lower()


def origin_ok(origin: str | None, referer: str | None, host_header: str | None) -> bool:
    """A state-changing browser request must come from a page of this dashboard: its Origin
    (or, when a browser sends none, its Referer) must name the request's own host."""
    if origin is not None:
        return same_origin(origin, host_header)
    return same_origin(referer, host_header)


def safe_next(value: str | None, default: str) -> str:
    """A local path to go to after login or a control action, else ``default``.

    Refuses anything a browser could read as another site: ``//host``, ``/\\host``,
    schemes, and any control or whitespace character (browsers drop tabs and newlines,
    so ``/%09/evil.example`` would become ``//evil.example``; CR/LF would split the header).
    """
    from urllib.parse import urlsplit

    if not value or not value.startswith("/") or value.startswith("//"):
        return default
    if any(ord(ch) < 0x21 or ch in "\\\x7f" for ch in value):
        return default
    try:
        parts = urlsplit(value)
    except ValueError:
        return default
    if parts.scheme or parts.netloc:
        return default
    return value


def client_addr(remote_addr: str | None, forwarded_for: str | None, trusted: list[str]) -> str:
    """The real client address: X-Forwarded-For is believed only hop by hop from trusted proxies."""
    addr = remote_addr or "?"
    if not trusted or not forwarded_for:
        return addr
    nets = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def is_trusted(a: str) -> bool:
        try:
            ip = ipaddress.ip_address(a)
        except ValueError:
            return False
        return any(ip in n for n in nets)

    if not is_trusted(addr):
        return addr
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not is_trusted(hop):
            return hop
        addr = hop
    return addr


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
