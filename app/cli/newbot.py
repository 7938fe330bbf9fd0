"""``tradefleet new-bot NAME``: scaffold a separate, installable bot package."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer


class Kind(StrEnum):
    """What the scaffolded bot returns (Strategy API v2 kinds besides today's bar bot)."""

    bar = "bar"
    portfolio = "portfolio"
    orders = "orders"
    quotes = "quotes"


def register(app: typer.Typer) -> None:
    @app.command("new-bot")
    def new_bot(name: str = typer.Argument(..., help="Registered name of the new bot, e.g. my-trend."),
                directory: Path = typer.Option(Path("."), "--dir", help="Where to create the package folder."),
                instrument: str = typer.Option("SPX", "--instrument", help="Bundled instrument it trades."),
                kind: Kind = typer.Option(Kind.bar, "--kind", help="bar: compute(frame) signals; portfolio: target "
                                          "weights over a universe; orders: limit entry with a bracket; quotes: "
                                          "two-sided quotes.")) -> None:
        """Create a pip-installable package with one bot, its params and tests (see docs/bot-authoring.md)."""
        from tradefleet.app.scaffold import scaffold

        root = scaffold(name, directory, instrument, kind.value)
        typer.echo(f"created {root}\nnext: pip install -e {root} && tradefleet bots show {name} && pytest {root}/tests")
