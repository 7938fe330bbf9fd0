"""The tradefleet error tree.

Every error says what was wrong and where; the CLI prints ``str(err)`` on one line and
exits with the error's ``exit_code``: 2 for bad input (the default), 1 for a command that
ran but could not do anything useful (:class:`CommandFailed`, :class:`BotFailed`).
"""

from __future__ import annotations

from typing import ClassVar


class TradefleetError(Exception):
    """Base of every error tradefleet raises on purpose."""

    exit_code: ClassVar[int] = 2


class UsageError(TradefleetError):
    """A command-line argument is invalid (message names the flag and the value)."""


class CommandFailed(TradefleetError):
    """The command ran but did nothing useful (no source answered, every run failed)."""

    exit_code: ClassVar[int] = 1


class ConfigError(TradefleetError):
    """A config file, key or value is invalid (message names file, key and reason)."""


class ConfigErrors(ConfigError):
    """Several config errors found in one pass; the CLI prints each on its own line."""

    def __init__(self, lines: list[str]) -> None:
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        super().__init__(f"{lines[0]}{more}" if lines else "invalid config")
        self.lines = list(lines)


class PluginError(TradefleetError):
    """A plugin failed to import, failed registration checks, or is unknown."""


class BotFailed(PluginError):
    """A bot's own code raised while a command ran it (message names the bot)."""

    exit_code: ClassVar[int] = 1


class DataError(TradefleetError):
    """Market or alternative data is missing, malformed, stale or out of order."""


class StoreError(TradefleetError):
    """The store cannot be opened, migrated, or is held by another run."""


class StoreMissing(StoreError):
    """A read-only command found no store at the URL (it never creates one)."""

    exit_code: ClassVar[int] = 1


class StoreLockedError(StoreError):
    """Another ``tradefleet run`` holds this store."""


class BrokerError(TradefleetError):
    """A broker or venue call failed."""


class TransientBrokerError(BrokerError):
    """A read failed in a way that may succeed on retry (timeout, 5xx, 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OrderRejected(BrokerError):
    """The venue definitively rejected an order; never retry it."""


class OrderStateUnknown(BrokerError):
    """A write may or may not have reached the venue; resolve by query, never resend."""


class AuthError(BrokerError):
    """Credentials were refused (401, bad signature, clock skew); halt the venue."""
