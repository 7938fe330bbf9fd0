"""Channels from configuration (secrets resolved and registered for redaction)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.alerts.channels import Channel, DiscordChannel, EmailChannel, SlackChannel, TelegramChannel, WebhookChannel
from tradefleet.orchestrator.alerts.config import ChannelConfig
from tradefleet.orchestrator.errors import ConfigError
from tradefleet.orchestrator.execution.secrets import REDACTOR, redact, resolve_secret

if TYPE_CHECKING:
    from tradefleet.orchestrator.sections import KernelConfig

_log = logging.getLogger("tradefleet.alerts")


def _value(ref: str | None, environ: Mapping[str, str] | None) -> str | None:
    """A plain value, or the secret an ``env:NAME`` reference names (registered for redaction)."""
    if ref is None or not ref.startswith("env:"):
        return ref
    secret = resolve_secret(ref, environ)
    return secret.get_secret_value() if secret is not None else None


def _url(ref: str, environ: Mapping[str, str] | None) -> str:
    url = _value(ref, environ) or ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    REDACTOR.add(tail)  # webhook URLs end in their token
    return url


def channels_from_config(config: KernelConfig, environ: Mapping[str, str] | None = None
                         ) -> dict[str, tuple[Channel, ChannelConfig]]:
    """Every configured channel that can be built; the others are logged and left out."""
    a = config.alerts
    out: dict[str, tuple[Channel, ChannelConfig]] = {}
    timeout = a.timeout_seconds

    def add(name: str, cfg: ChannelConfig | None, make: Any) -> None:
        if cfg is None or not cfg.enabled:
            return
        try:
            out[name] = (make(cfg), cfg)
        except ConfigError as exc:
            _log.warning("alerts: channel %s left out: %s", name, redact(exc))

    def telegram(cfg: Any) -> Channel:
        t = config.telegram
        if t.token is None:
            raise ConfigError("[alerts.telegram] needs [telegram].token = 'env:NAME'")
        token = _value(t.token, environ) or ""
        chats = cfg.chats or t.alert_chats or t.allowed_chats
        if not chats:
            raise ConfigError("[alerts.telegram] has no chat: set chats, or [telegram].alert_chats")
        return TelegramChannel(token, list(chats), t.base_url, t.base_file_url, timeout)

    add("telegram", a.telegram, telegram)
    add("discord", a.discord, lambda c: DiscordChannel(_url(c.url, environ), timeout))
    add("slack", a.slack, lambda c: SlackChannel(_url(c.url, environ), timeout))
    add("webhook", a.webhook, lambda c: WebhookChannel(_value(c.url, environ) or "",
                                                       (_value(c.secret, environ) or "").encode() or None, timeout))
    add("email", a.email, lambda c: EmailChannel(c.host, c.port, c.sender, list(c.to), c.username,
                                                 _value(c.password, environ), c.starttls, c.timeout_seconds))
    return out
