"""The ``tradefleet`` command line.

Each command group lives in its own module exposing ``register(app)``; modules import
heavy libraries only inside their commands so ``tradefleet --help`` stays fast. Any
:class:`~orchestrator.errors.TradefleetError` prints one line and exits with code 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from orchestrator.errors import TradefleetError

COMMAND_MODULES = (
    "orchestrator.cli.run",
    "orchestrator.cli.control",
    "orchestrator.cli.bots",
    "orchestrator.cli.config",
)


def build_app() -> typer.Typer:
    """Create the Typer app with every command group registered."""
    app = typer.Typer(
        name="tradefleet",
        help="Run a fleet of trading bots through one chain of gates: regime, ensemble, veto, risk.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    app = build_app()
    try:
        app(args=argv, standalone_mode=False)
    except TradefleetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except typer.Abort:
        raise SystemExit(130) from None
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            raise SystemExit(2) from None
        if isinstance(exc, click.exceptions.Exit):
            raise SystemExit(exc.exit_code) from None
        raise


if __name__ == "__main__":
    main()
