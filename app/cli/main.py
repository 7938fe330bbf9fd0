"""The ``tradefleet`` command line.

Each command group lives in its own module exposing ``register(app)``; modules import
heavy libraries only inside their commands so ``tradefleet --help`` stays fast. Any
:class:`~tradefleet.orchestrator.errors.TradefleetError` or click usage error prints one line and
exits with its code (2 for bad input); see :mod:`tradefleet.app.cli.args`.
"""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = (
    "tradefleet.app.cli.options",
    "tradefleet.app.cli.run",
    "tradefleet.app.cli.control",
    "tradefleet.app.cli.bots",
    "tradefleet.app.cli.config",
    "tradefleet.app.cli.newbot",
    "tradefleet.app.cli.alerts",
    "tradefleet.app.cli.tca",
    "tradefleet.app.cli.backtest",
    "tradefleet.app.cli.ml",
    "tradefleet.app.cli.risk",
    "tradefleet.app.cli.dashboard",
    "tradefleet.app.cli.data",
    "tradefleet.app.cli.markets",
    "tradefleet.app.distributed.cli",
    "tradefleet.app.cli.ai",
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
    _register_plugin_commands(app)
    return app


def _register_plugin_commands(app: typer.Typer) -> None:
    """Sub-commands other installed packages register under ``tradefleet.commands``."""
    import sys

    from tradefleet.orchestrator.extensions import COMMANDS, discover

    for ext in discover(COMMANDS):
        try:
            if ext.error:
                raise RuntimeError(ext.error)
            ext.obj(app)
        except Exception as exc:  # one broken plugin never takes the command line down
            print(f"warning: command plugin {ext.name} ({ext.target}) left out: {exc}", file=sys.stderr)


def _wide_when_piped() -> bool:
    """Piped output is not cut at 80 columns: rich sizes tables to ``COLUMNS`` when stdout is
    not a terminal, so give it room for every table's natural width (a terminal keeps its own).
    Return True if ``COLUMNS`` was set here (and is to be removed when the command ends)."""
    import os
    import sys

    if not sys.stdout.isatty() and not os.environ.get("COLUMNS"):
        os.environ["COLUMNS"] = "1000"
        return True
    return False


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: every error ours or click's is one line (see ``cli.args``)."""
    import sys

    from tradefleet.app.cli.args import command_path, report
    from tradefleet.orchestrator.execution.secrets import install_redaction

    widened = _wide_when_piped()
    install_redaction()  # every process: no configured secret or URL token in any log record
    app = build_app()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = app(args=args, prog_name="tradefleet", standalone_mode=False)
    except Exception as exc:
        code = report(exc, where=command_path(typer.main.get_command(app), args))
        if code is None:
            raise
        raise SystemExit(code) from None
    finally:
        if widened:
            import os

            os.environ.pop("COLUMNS", None)
    if isinstance(rv, int) and rv:
        raise SystemExit(rv)

if __name__ == "__main__":
    main()
