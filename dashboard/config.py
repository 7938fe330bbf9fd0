"""Config sections of the operator interfaces: ``[dashboard]``, ``[telegram]``, ``[metrics]``.

Secrets (the dashboard's session key, the Telegram bot token) are references to
environment variables (``"env:NAME"``). The dashboard password is stored only as a
werkzeug hash (``werkzeug.security.generate_password_hash``), given either literally or
as an ``env:NAME`` reference.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from tradefleet.orchestrator.sections import SecretRef, Section, _check_secret_ref

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_HASH = re.compile(r"^(scrypt|pbkdf2):[^$]+\$[^$]+\$[0-9a-f]+$")


class DashboardConfig(Section):
    """The web dashboard (Flask), bound to loopback unless told otherwise."""

    enabled: bool = Field(False, description="also serve the dashboard from 'tradefleet run'")
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    password_hash: str | None = Field(
        None, description="werkzeug password hash, or 'env:NAME' naming a variable that holds one")
    secret_key: str | None = Field(
        None, description="'env:NAME' with at least 32 random characters; loopback only may omit it")
    secure_cookies: bool = Field(False, description="mark the session cookie Secure (behind TLS)")
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Host names the dashboard answers to besides loopback names and the"
        " bound address (DNS-rebinding guard), e.g. ['dash.example.com']")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed")
    max_login_failures: int = Field(5, ge=1, description="failed logins per user and address before delays start")
    login_backoff_seconds: float = Field(1.0, gt=0, description="first delay; it doubles with each further failure")
    lockout_seconds: float = Field(300.0, gt=0, description="longest login delay (the backoff's cap)")
    sse_interval_seconds: float = Field(2.0, gt=0, description="how often live updates are pushed")
    reports_dir: str = Field("var/reports", description="where backtest HTML/JSON reports are listed from")
    records_limit: int = Field(200, ge=10, le=5000, description="rows per records table (?limit= up to 10x)")

    @field_validator("secret_key")
    @classmethod
    def _secret_ref(cls, v: str | None) -> SecretRef | None:
        return _check_secret_ref(v)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {item!r} is not an address or CIDR") from None
        return v

    @field_validator("password_hash")
    @classmethod
    def _hash_or_ref(cls, v: str | None) -> str | None:
        if v is None or v.startswith("env:"):
            return _check_secret_ref(v)
        if not _HASH.match(v):
            raise ValueError("password_hash must be a werkzeug hash (scrypt:... or pbkdf2:...) or"
                             " 'env:NAME'; make one with: python -c \"from werkzeug.security import"
                             " generate_password_hash as g; print(g(input()))\"")
        return v


class TelegramConfig(Section):
    """One Telegram bot for the whole fleet; deny by default."""

    enabled: bool = False
    token: str | None = Field(None, description="'env:NAME' holding the bot token")
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    allowed_users: list[int] = Field(default_factory=list, description="user ids that may command")
    allowed_chats: list[int] = Field(default_factory=list, description="chats commands count in")
    alert_chats: list[int] | None = Field(None, description="where alerts go (default: allowed_chats)")
    alert_rejections: bool = Field(True, description="alert on gate and venue rejections")
    daily_summary_time: str | None = Field("17:00", description="HH:MM for the daily P&L summary; 'off' turns it off")
    timezone: str | None = Field(None, description="tz of daily_summary_time; default [engine].timezone")

    @field_validator("token")
    @classmethod
    def _secret_ref(cls, v: str | None) -> SecretRef | None:
        return _check_secret_ref(v)

    @field_validator("daily_summary_time")
    @classmethod
    def _hhmm(cls, v: str | None) -> str | None:
        if v is not None and v.strip().lower() in ("off", "none", "false", ""):
            return None  # TOML has no null: 'off' is how a file turns the summary off
        if v is not None and not _HHMM.match(v):
            raise ValueError("use HH:MM (24 h), e.g. '17:00'")
        return v

    @property
    def control_enabled(self) -> bool:
        """Commands are accepted only when both allowlists are non-empty."""
        return bool(self.allowed_users) and bool(self.allowed_chats)

    @property
    def alert_targets(self) -> list[int]:
        return list(self.alert_chats if self.alert_chats is not None else self.allowed_chats)


class MetricsConfig(Section):
    """Prometheus metrics, health endpoints and the watchdog."""

    enabled: bool = Field(True, description="serve /metrics on the dashboard")
    token: str | None = Field(None, description="'env:NAME' holding a bearer token for /metrics scrapes when"
                              " the dashboard has a password (a logged-in session or a read API token also works)")
    heartbeat_timeout_seconds: float = Field(60.0, gt=0, description="a loop silent this long is stuck")
    log_path: str | None = Field(None, description="log file whose age the watchdog checks")
    log_stale_seconds: float = Field(600.0, gt=0)
    watchdog_interval_seconds: float = Field(5.0, gt=0)
    exit_code: int = Field(3, ge=1, le=125, description="exit status when the watchdog trips")

    @field_validator("token")
    @classmethod
    def _secret_ref(cls, v: str | None) -> SecretRef | None:
        return _check_secret_ref(v)
