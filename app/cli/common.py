"""Helpers shared by the CLI modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from tradefleet.app.config import AppConfig, load_config

ConfigOption = typer.Option(None, "--config", "-c", help="Config file (default: ./tradefleet.toml if present, else built-in defaults).",
                            exists=False, dir_okay=False)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")
def _store_url(value: str | None) -> str | None:
    """Check a ``--store`` URL before the command runs (form and dialect; nothing is opened)."""
    if value is None:
        return None
    from tradefleet.app.preflight import store_url_problem

    why = "empty; give a URL like sqlite:///var/tradefleet.db" if not value.strip() else store_url_problem(value)
    if why:
        raise typer.BadParameter(why)
    return value


StoreOption = typer.Option(None, "--store", help="SQLAlchemy URL of the store (default: engine.store_url).",
                           callback=_store_url)


def load(config: Path | None) -> AppConfig:
    """Load the config named on the command line (or the default one)."""
    return load_config(config)


def load_checked(config: Path | None, needs: tuple[str, ...] = (), store_url: str | None = None) -> tuple[AppConfig, Any]:
    """The config after the one validation pass (:mod:`tradefleet.app.preflight`), and the plugin
    registry it was checked against. Commands that create, open or contact anything call this
    first: every problem is listed, one line each, exit 2, and nothing is touched."""
    from tradefleet.app.preflight import preflight, store_url_problem
    from tradefleet.orchestrator.registry import Registry

    if store_url is not None:
        why = store_url_problem(store_url)
        if why:
            from tradefleet.app.cli.args import bad_arg

            bad_arg("--store", store_url, why)
    registry = Registry.discover()
    return preflight(config, registry=registry, needs=needs), registry


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON to stdout."""
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def open_store(cfg: AppConfig, url: str | None) -> Any:
    """Open the configured store (migrating it if needed)."""
    from tradefleet.orchestrator.store import Store

    return Store.open(url or cfg.engine.store_url)


def open_existing_store(cfg: AppConfig, url: str | None) -> Any:
    """Open the store for a command that only reads: a missing store is named, never created."""
    from tradefleet.orchestrator.store import Store

    return Store.open_existing(url or cfg.engine.store_url)


def actor() -> str:
    """Who is acting, for the audit trail."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user database entry (containers)
        return "cli"
