"""Every secret this process resolved, masked wherever text leaves it (logs, alerts, errors).

:class:`tradefleet.orchestrator.sections.SecretRef` feeds it as it resolves a secret; the log-record
factory and filters in :mod:`tradefleet.orchestrator.execution.secrets` apply it.
"""

from __future__ import annotations

import base64
import re
import threading

__all__ = ["MASK", "REDACTOR", "Redactor", "redact"]

MASK = "***"
_MIN_LEN = 4  # shorter values would mask ordinary words
_URL_HINTS = ("/bot", "@", "=", "webhooks/", "hooks.slack.com")
_URL_TOKENS = [
    (re.compile(r"(/bot)\d{3,}:[A-Za-z0-9_-]{8,}"), r"\1***"),                      # Telegram Bot API URLs
    (re.compile(r"\b(bot)?\d{6,}:[A-Za-z0-9_-]{30,}\b"), "***"),                      # a bare Telegram token
    (re.compile(r"(://[^/\s:@]+):[^@\s/]+@"), r"\1:***@"),                            # user:password@host
    (re.compile(r"(?i)([?&;\s](?:access_token|token|api[_-]?key|apikey|secret|password|passwd|signature|sig|key)"
                r"=)[^&\s\"']+"), r"\1***"),                                           # query parameters
    (re.compile(r"(webhooks/\d+/)[A-Za-z0-9_.-]+"), r"\1***"),                       # Discord webhooks
    (re.compile(r"(hooks\.slack\.com/services/)[A-Za-z0-9_/-]+"), r"\1***"),        # Slack webhooks
]


class Redactor:
    """The set of secret values this process has resolved."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        """Remember ``value`` (and its base64 spellings) so it is masked from now on."""
        if len(value) < _MIN_LEN:
            return
        forms = {value, base64.b64encode(value.encode()).decode(),
                 base64.urlsafe_b64encode(value.encode()).decode()}
        with self._lock:
            self._values |= {f for f in forms if len(f) >= _MIN_LEN}

    def pair(self, key: str, secret: str) -> None:
        """Remember a ``key:secret`` pair as clients send it in Basic auth."""
        self.add(base64.b64encode(f"{key}:{secret}".encode()).decode())

    def redact(self, text: str) -> str:
        """Return ``text`` with every remembered value, and every token a URL carries
        (Telegram ``/bot<token>/``, ``user:password@``, ``?token=``-style parameters,
        Discord and Slack webhook paths), replaced by ``***``."""
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        if any(hint in text for hint in _URL_HINTS):
            for pattern, repl in _URL_TOKENS:
                text = pattern.sub(repl, text)
        return text


REDACTOR = Redactor()


def redact(text: object) -> str:
    """Return ``str(text)`` with every known secret masked."""
    return REDACTOR.redact(str(text))
