"""``[alerts]``: channels, which kinds each channel gets, retries, rate limit, de-dup.

::

    [alerts]
    retries = 5                 # attempts per delivery
    backoff_seconds = 1.0       # doubled after each failed attempt
    rate_per_minute = 20        # per channel
    dedup_seconds = 300         # the same kind+account+message within this window is sent once
    fills = false               # also alert every fill
    [alerts.telegram]           # the fleet's bot ([telegram].token and alert chats)
    [alerts.discord]  url = "env:DISCORD_WEBHOOK_URL"
    [alerts.slack]    url = "env:SLACK_WEBHOOK_URL"
    [alerts.webhook]  url = "https://ops.example/hook"  secret = "env:ALERT_HMAC_SECRET"
    [alerts.email]    host = "smtp.example"  port = 587  sender = "tf@example"  to = ["ops@example"]
                      username = "tf"  password = "env:SMTP_PASSWORD"  starttls = true

Each channel takes ``kinds`` (default ``["*"]``: every kind except the optional ``fill``
and ``daily_summary``) and ``exclude``.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from tradefleet.orchestrator.sections import SecretRef, Section, check_secret_ref


class ChannelConfig(Section):
    enabled: bool = True
    kinds: list[str] = Field(default_factory=lambda: ["*"], description="alert kinds sent ('*': all but optional)")
    exclude: list[str] = Field(default_factory=list)
    rate_per_minute: int | None = Field(None, ge=1, description="override [alerts].rate_per_minute")


class TelegramChannelConfig(ChannelConfig):
    chats: list[int] | None = Field(None, description="default: [telegram].alert_chats or allowed_chats")


class UrlChannelConfig(ChannelConfig):
    url: str = Field(description="the webhook URL, or 'env:NAME' holding it (it embeds a token)")


class WebhookChannelConfig(UrlChannelConfig):
    secret: str | None = Field(None, description="'env:NAME' of the HMAC-SHA256 key signing the body")

    @field_validator("secret")
    @classmethod
    def _ref(cls, v: str | None) -> SecretRef | None:
        return check_secret_ref(v)


class EmailChannelConfig(ChannelConfig):
    host: str
    port: int = Field(587, ge=1, le=65535)
    sender: str
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password: str | None = Field(None, description="'env:NAME'")
    starttls: bool = True
    timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("password")
    @classmethod
    def _ref(cls, v: str | None) -> SecretRef | None:
        return check_secret_ref(v)


class AlertsConfig(Section):
    enabled: bool = True
    retries: int = Field(5, ge=1, le=20)
    backoff_seconds: float = Field(1.0, ge=0)
    rate_per_minute: int = Field(20, ge=1)
    dedup_seconds: float = Field(300.0, ge=0)
    fills: bool = Field(False, description="alert every fill")
    timeout_seconds: float = Field(10.0, gt=0)
    claim_seconds: float = Field(300.0, gt=0, description="a delivery claimed by a process that stopped before "
                                 "finishing it is taken over after this long")
    backlog_minutes: float = Field(60.0, ge=0, description="a process following the stored alerts (the Telegram "
                                   "bot) delivers, when it starts, the unsent alerts stored this recently")
    telegram: TelegramChannelConfig | None = None
    discord: UrlChannelConfig | None = None
    slack: UrlChannelConfig | None = None
    webhook: WebhookChannelConfig | None = None
    email: EmailChannelConfig | None = None
