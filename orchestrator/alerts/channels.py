"""Delivery channels. Each ``send`` delivers one alert or raises :class:`DeliveryError`
(``retry_after`` set when the receiver asked to wait)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Protocol

from tradefleet.orchestrator.alerts.store import StoredAlert


class DeliveryError(Exception):
    """A delivery attempt failed."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Channel(Protocol):
    name: str

    def send(self, alert: StoredAlert) -> None: ...


def _post(url: str, timeout: float, *, json_body: Any = None, content: bytes | None = None,
          headers: dict[str, str] | None = None) -> None:
    import httpx

    try:
        resp = httpx.post(url, json=json_body, content=content, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: connection failed") from None
    if resp.status_code >= 300:
        retry = resp.headers.get("Retry-After")
        raise DeliveryError(f"HTTP {resp.status_code}", float(retry) if retry and retry.replace(".", "").isdigit()
                            else None)


@dataclass
class DiscordChannel:
    url: str
    timeout: float = 10.0
    name: str = "discord"

    def send(self, alert: StoredAlert) -> None:
        _post(self.url, self.timeout, json_body={"content": alert.text()[:2000]})


@dataclass
class SlackChannel:
    url: str
    timeout: float = 10.0
    name: str = "slack"

    def send(self, alert: StoredAlert) -> None:
        _post(self.url, self.timeout, json_body={"text": alert.text()})


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Tradefleet-Signature`` header value of ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass
class WebhookChannel:
    """A generic webhook: the alert as JSON, signed with HMAC-SHA256 over the exact body."""

    url: str
    secret: bytes | None = None
    timeout: float = 10.0
    name: str = "webhook"

    def send(self, alert: StoredAlert) -> None:
        body = json.dumps({"id": alert.id, "ts_ns": alert.ts_ns, "kind": alert.kind, "severity": alert.severity,
                           "account": alert.account, "message": alert.message, "data": alert.data},
                          sort_keys=True, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Tradefleet-Alert-Id": str(alert.id)}
        if self.secret is not None:
            headers["X-Tradefleet-Signature"] = sign(self.secret, body)
        _post(self.url, self.timeout, content=body, headers=headers)


@dataclass
class TelegramChannel:
    """The fleet's bot (python-telegram-bot) to every alert chat."""

    token: str
    chats: list[int]
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    timeout: float = 10.0
    name: str = "telegram"

    def send(self, alert: StoredAlert) -> None:
        import asyncio

        try:
            asyncio.run(self._send(alert.text()[:4000]))
        except DeliveryError:
            raise
        except Exception as exc:  # telegram.error.* and transport errors: retried by the service
            retry = getattr(exc, "retry_after", None)
            raise DeliveryError(f"{type(exc).__name__}: {exc}",
                                float(retry.total_seconds() if hasattr(retry, "total_seconds") else retry)
                                if retry is not None else None) from None

    async def _send(self, text: str) -> None:
        from telegram import Bot
        from telegram.request import HTTPXRequest

        request = HTTPXRequest(connect_timeout=self.timeout, read_timeout=self.timeout)
        async with Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url, request=request) as bot:
            for chat in self.chats:
                await bot.send_message(chat_id=chat, text=text)


@dataclass
class EmailChannel:
    host: str
    port: int
    sender: str
    to: list[str]
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 10.0
    name: str = "email"

    def send(self, alert: StoredAlert) -> None:
        import smtplib
        from email.message import EmailMessage

        msg = EmailMessage()
        msg["Subject"] = f"[tradefleet] {alert.severity.upper()} {alert.kind}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg.set_content(alert.text() + ("\n\n" + json.dumps(alert.data, indent=2, sort_keys=True)
                                        if alert.data else ""))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
