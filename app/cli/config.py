"""``tradefleet config check`` and ``tradefleet init``."""

from __future__ import annotations

from pathlib import Path

import typer

from tradefleet.app.cli.common import JsonOption, emit_json
from tradefleet.orchestrator.errors import ConfigError


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Validate configuration.", no_args_is_help=True)

    @config_app.command("check")
    def check(path: Path = typer.Argument(Path("tradefleet.toml"), help="Config file to validate."),
              as_json: bool = JsonOption) -> None:
        """Validate a config file (plus TRADEFLEET__* environment overrides); list every error."""
        from tradefleet.app.preflight import check_all

        cfg, errors = check_all(path)  # the same pass run, leader, worker, dashboard and telegram make
        if as_json:
            emit_json({"path": str(path), "ok": not errors, "errors": errors})
        else:
            for line in errors:
                typer.echo(line, err=True)
            if not errors:
                typer.echo(f"{path}: ok")
        if errors:
            raise typer.Exit(2)

    app.add_typer(config_app, name="config")

    @app.command("init")
    def init(path: Path = typer.Argument(Path("tradefleet.toml"), help="Where to write the starter config."),
             force: bool = typer.Option(False, "--force", help="Overwrite an existing file.")) -> None:
        """Write a commented starter config."""
        from tradefleet.app.config import starter_text

        if path.exists() and not force:
            raise ConfigError(f"{path}: already exists (use --force to overwrite)")
        path.write_text(starter_text())
        typer.echo(f"wrote {path}; check it with 'tradefleet config check {path}'")
