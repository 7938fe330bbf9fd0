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
    "orchestrator.cli.options",
    "orchestrator.cli.run",
    "orchestrator.cli.control",
    "orchestrator.cli.bots",
    "orchestrator.cli.config",
    "orchestrator.cli.newbot",
    "backtest.cli",
    "ml_models.cli",
    "risk.cli",
    "dashboard.cli",
    "scrapers.cli",
    "orchestrator.distributed.cli",
    "ai.cli",
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
        rv = app(args=argv, standalone_mode=False)
    except TradefleetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as exc:
        # typer vendors click: recognise its usage errors and exits by their interface
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):
            exc.show()
            raise SystemExit(2) from None
        if type(exc).__name__ == "Abort":
            raise SystemExit(130) from None
        raise
    if isinstance(rv, int) and rv:
        raise SystemExit(rv)


if __name__ == "__main__":
    main()
