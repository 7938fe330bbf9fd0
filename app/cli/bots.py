"""``tradefleet bots list`` and ``tradefleet bots show NAME``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, emit_json, load


def bot_rows(config: Path | None) -> list[dict[str, Any]]:
    """One dict per discovered bot (healthy or broken), with its run-time status."""
    from tradefleet.orchestrator.registry import Registry

    cfg = load(config)
    registry = Registry.discover(["bots"])
    paused, health = _store_state(cfg)
    rows = []
    for name, rec in sorted(registry.records["bots"].items()):
        if rec.obj is None:
            rows.append({"name": name, "strategy": rec.target, "family": "", "asset_class": "", "instruments": [],
                         "schedule": "", "timezone": "", "timeframe": "", "status": rec.status.value,
                         "error": rec.error, "description": ""})
            continue
        spec = rec.obj
        enabled = cfg.bots[name].enabled if name in cfg.bots else True
        status = "paused" if name in paused else ("disabled" if not enabled else rec.status.value)
        error = rec.error
        stored = health.get(name)
        if stored is not None and stored[0] != "ok" and status == "ok":
            status, error = stored  # faulted in the last run: say so, with its error
        rows.append({
            "name": name, "strategy": f"{spec.bot.__module__}.{spec.bot.__qualname__}", "family": spec.family,
            "asset_class": spec.asset_class.value, "instruments": list(spec.instruments),
            "schedule": spec.schedule.describe(), "timezone": spec.schedule.timezone, "timeframe": spec.timeframe,
            "regimes": sorted(spec.regimes), "status": status, "error": error, "description": spec.summary,
        })
    return rows


def _store_state(cfg: Any) -> tuple[set[str], dict[str, tuple[str, str | None]]]:
    """Bots paused in the store, and each bot's stored health (``faulted`` with its error when
    it faulted in a run), without creating a store that does not exist yet."""
    url = cfg.engine.store_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return set(), {}  # no run yet: nothing paused, and no need to import the store
    from tradefleet.orchestrator.errors import StoreMissing
    from tradefleet.orchestrator.store import Store

    try:
        store = Store.open_existing(url)
    except StoreMissing:
        return set(), {}
    try:
        paused = {c.scope.removeprefix("bot:") for c in store.controls() if c.scope.startswith("bot:") and c.paused}
        return paused, {b.name: (b.status, b.error) for b in store.bots()}
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    bots_app = typer.Typer(help="List and inspect registered bots.", no_args_is_help=True)

    @bots_app.command("list")
    def list_(config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
        """List every registered bot with its strategy, schedule and status."""
        rows = bot_rows(config)
        if as_json:
            emit_json(rows)
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{len(rows)} bots")
        for col in ("name", "family", "asset", "instruments", "schedule", "tz", "status"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["name"], r["family"], r["asset_class"], ", ".join(r["instruments"]), r["schedule"],
                          r["timezone"], r["status"] + (f" ({r['error']})" if r["error"] else ""))
        Console().print(table)

    @bots_app.command("show")
    def show(name: str = typer.Argument(..., help="Registered bot name."), config: Path | None = ConfigOption,
             as_json: bool = JsonOption) -> None:
        """Show one bot: description, params (with their schema), instruments, schedule."""
        from tradefleet.orchestrator.registry import Registry

        cfg = load(config)
        spec = Registry.discover(["bots"]).bot(name)
        params = spec.make_params(cfg.bots[name].params if name in cfg.bots else None)
        info = {
            "name": spec.name, "description": spec.summary, "strategy": f"{spec.bot.__module__}.{spec.bot.__qualname__}",
            "family": spec.family, "asset_class": spec.asset_class.value, "instruments": list(spec.instruments),
            "timeframe": spec.timeframe, "schedule": spec.schedule.model_dump(), "regimes": sorted(spec.regimes),
            "params": params.model_dump(), "params_schema": type(params).model_json_schema(),
            "supports_backtest": spec.bot.supports_backtest, "event_driven": spec.bot.event_driven,
        }
        if as_json:
            emit_json(info)
            return
        typer.echo(f"{spec.name}: {info['description']}")
        for key in ("strategy", "family", "asset_class", "instruments", "timeframe", "regimes"):
            typer.echo(f"  {key:12} {info[key]}")
        typer.echo(f"  {'schedule':12} {spec.schedule.describe()} ({spec.schedule.timezone})")
        typer.echo("  params:")
        for k, v in info["params"].items():
            doc = info["params_schema"].get("properties", {}).get(k, {}).get("description", "")
            typer.echo(f"    {k} = {v!r}" + (f"  # {doc}" if doc else ""))

    app.add_typer(bots_app, name="bots")
