"""Secrets: resolved from environment variables (or a Fernet-encrypted file), held as
``SecretStr``, and scrubbed from every log record, stored reason, alert and error message.

Every secret resolved through :func:`resolve_secret` is remembered by a process-wide
:class:`Redactor`; :func:`redact` replaces any remembered value (and its base64 forms, which
clients use for Basic auth) with ``***``. :class:`RedactingFilter` applies it to logging.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from tradefleet.orchestrator.errors import ConfigError
from tradefleet.orchestrator.redaction import MASK, REDACTOR, Redactor, redact  # noqa: F401  (re-exported)
from tradefleet.orchestrator.sections import SecretRef


def resolve_secret(ref: str | None, environ: Mapping[str, str] | None = None) -> SecretStr | None:
    """Resolve an ``env:NAME`` reference to a SecretStr and register it for redaction."""
    if ref is None:
        return None
    secret = SecretRef(ref).resolve(environ)
    REDACTOR.add(secret.get_secret_value())
    return secret


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the message, its args and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
        return True


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """Mask secrets in a record's message, arguments, traceback and stack (in place)."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed format string: keep what can be shown
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact(message), None
    if record.exc_info:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


_factory_installed = False


def install_record_factory() -> None:
    """Scrub every record of every logger when it is created: third-party loggers with
    their own handlers, and handlers added later, never see a secret."""
    global _factory_installed
    if _factory_installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return scrub(base(*args, **kwargs))  # type: ignore[arg-type]

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def install_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Scrub every log record of the process (a record factory), and attach a
    :class:`RedactingFilter` to every handler of ``logger`` (root by default)."""
    install_record_factory()
    target = logger or logging.getLogger()
    flt = next((f for f in target.filters if isinstance(f, RedactingFilter)), None) or RedactingFilter()
    for holder in (target, *target.handlers):
        if not any(isinstance(f, RedactingFilter) for f in holder.filters):
            holder.addFilter(flt)
    return flt


def load_encrypted_env(path: Path, key: SecretStr) -> dict[str, str]:
    """Decrypt a Fernet-encrypted ``NAME=value`` file into a mapping for ``SecretRef.resolve``."""
    from cryptography.fernet import Fernet, InvalidToken

    try:
        plain = Fernet(key.get_secret_value().encode()).decrypt(path.read_bytes()).decode()
    except FileNotFoundError:
        raise ConfigError(f"{path}: encrypted secrets file not found") from None
    except (InvalidToken, ValueError):
        raise ConfigError(f"{path}: cannot decrypt secrets file (wrong key or corrupt file)") from None
    out: dict[str, str] = {}
    for lineno, line in enumerate(plain.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise ConfigError(f"{path}: line {lineno}: expected NAME=value")
        out[name.strip()] = value.strip()
        REDACTOR.add(value.strip())
    return out


def encrypt_env(values: Mapping[str, str], key: SecretStr) -> bytes:
    """Encrypt a mapping as a ``NAME=value`` file for :func:`load_encrypted_env`."""
    from cryptography.fernet import Fernet

    text = "".join(f"{k}={v}\n" for k, v in values.items())
    return Fernet(key.get_secret_value().encode()).encrypt(text.encode())
