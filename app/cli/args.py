"""Bad arguments and one-line errors: the one mechanism every command uses.

* **Declared checks.** Put ranges on the option (typer ``min=`` / ``max=``) and take dates
  through :func:`date_option`; click reports a bad value as a usage error, which
  :func:`usage_line` reduces to one line ``error: tradefleet CMD: Invalid value for '--fee': ...``
  (exit 2).
* **Checks inside a command** raise :class:`~tradefleet.orchestrator.errors.UsageError` through
  :func:`bad_arg` (``--param 'fast=a:b:c': 'a' is not a number``; exit 2).
* **A plugin's code** (a bot's ``compute``, a sweep's runs) runs inside :func:`bot_errors`,
  which turns whatever it raises into one :class:`~tradefleet.orchestrator.errors.BotFailed` line naming
  the bot (exit 1), never a traceback.
* **A command that did nothing useful** (no source answered, every combination failed)
  raises :class:`~tradefleet.orchestrator.errors.CommandFailed` (exit 1).

:func:`report` prints any of these as one line on stderr and returns the exit code; the
entry point (``tradefleet.app.cli.main``) calls it for every command.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NoReturn, TextIO

import typer

from tradefleet.orchestrator.errors import BotFailed, TradefleetError, UsageError


def one_line(text: object) -> str:
    """Join multi-line text (pydantic or click messages) into one line; spaces within a line are kept."""
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip()


def bad_arg(flag: str, value: object, reason: str) -> NoReturn:
    """Raise the usage error for ``flag`` given ``value``: ``--fee -1.0: must be >= 0``."""
    shown = value if isinstance(value, int | float) and not isinstance(value, bool) else repr(value)
    raise UsageError(f"{flag} {shown}: {reason}")


def parse_date(raw: str) -> date:
    """Parse ``YYYY-MM-DD`` (or an ISO date-time); raise ValueError saying why not."""
    text = raw.strip()
    try:
        return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD): {one_line(exc)}") from None


def _date_callback(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value.strip()


def date_option(flag: str, help: str, *aliases: str) -> Any:
    """An optional ``YYYY-MM-DD`` option checked before the command runs."""
    return typer.Option(None, flag, *aliases, help=help, callback=_date_callback)


@contextmanager
def bot_errors(name: str, doing: str = "") -> Iterator[None]:
    """Report anything a bot's code raises as that bot's one-line error (:class:`BotFailed`)."""
    try:
        yield
    except TradefleetError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin may raise anything; it is reported, never a traceback
        what = f" while {doing}" if doing else ""
        raise BotFailed(f"bot {name}{what}: {type(exc).__name__}: {one_line(exc)}") from exc


def usage_line(exc: Any) -> str:
    """One line for a click usage error: ``tradefleet CMD: message``."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "tradefleet"
    return f"{where}: {one_line(exc.format_message())}"


def command_path(root: Any, argv: list[str]) -> str:
    """``tradefleet data fetch`` for ``argv = ['data', 'fetch', 'X']`` (the commands named, not the args)."""
    words = ["tradefleet"]
    cmd = root
    for token in argv:
        sub = getattr(cmd, "commands", {}).get(token)
        if sub is None:
            break
        words.append(token)
        cmd = sub
    return " ".join(words)


def report(exc: BaseException, out: TextIO | None = None, where: str = "") -> int | None:
    """Print ``exc`` as one ``error: ...`` line and return its exit code (None: not ours).

    ``where`` (the command path) prefixes usage errors raised inside a command, as click
    prefixes its own.
    """
    stream = out or sys.stderr
    if isinstance(exc, TradefleetError):
        prefix = f"{where}: " if where and isinstance(exc, UsageError) else ""
        for line in getattr(exc, "lines", None) or [str(exc)]:  # ConfigErrors: one line per error
            print(f"error: {prefix}{one_line(line)}", file=stream)
        return exc.exit_code
    # typer vendors click: recognise its usage errors by their interface
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()  # type: ignore[attr-defined]  # the help text, as asked for
        return 2
    if callable(getattr(exc, "format_message", None)) and hasattr(exc, "exit_code"):
        print(f"error: {usage_line(exc)}", file=stream)
        return 2
    if type(exc).__name__ == "Abort":
        return 130
    return None


def model_from_flags(model: type[Any], flags: dict[str, str], **values: Any) -> Any:
    """Build a pydantic ``model`` from option values; a refused value is a usage error naming its flag."""
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            flag = flags.get(field, f"--{field.replace('_', '-')}")
            value = values.get(field, err.get("input"))
            parts.append(f"{flag} {value!r}: {err['msg']}")
        raise UsageError("; ".join(parts)) from None
