"""``tradefleet tca``: transaction-cost analysis of every worked parent order."""

from __future__ import annotations

from pathlib import Path

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, StoreOption, emit_json, load, open_existing_store
from tradefleet.orchestrator.execution.tca import GROUPS


def register(app: typer.Typer) -> None:
    @app.command("tca")
    def tca(by: str = typer.Option("bot", "--by", help=f"group by: {', '.join(GROUPS)}"),
            config: Path | None = ConfigOption, store_url: str | None = StoreOption,
            as_json: bool = JsonOption) -> None:
        """Implementation shortfall of every parent order the execution layer worked, split
        into delay, spread, impact and fees (they add up to the total), grouped."""
        from tradefleet.app.cli.args import bad_arg
        from tradefleet.orchestrator.execution.tca import outcomes_from_store, report

        if by not in GROUPS:
            bad_arg("--by", by, f"use one of {', '.join(GROUPS)}")
        store = open_existing_store(load(config), store_url)
        try:
            rep = report(outcomes_from_store(store), by)
        finally:
            store.close()
        if as_json:
            emit_json(rep)
            return
        _print(rep)


    @app.command("tca-calibrate")
    def tca_calibrate(account: list[str] = typer.Option(..., "--account", help="a LIVE venue account whose "
                                                        "child fills may calibrate (repeat for several)"),
                      min_samples: int = typer.Option(20, "--min-samples", min=1, max=1_000_000),
                      config: Path | None = ConfigOption, store_url: str | None = StoreOption,
                      as_json: bool = JsonOption) -> None:
        """Refit the impact model's temporary-impact scale and the paper slippage per venue and
        instrument from live child fills; each result is stored as a new version."""
        from tradefleet.app.cli.args import bad_arg
        from tradefleet.orchestrator.execution.calibrate import calibrate

        cfg = load(config)
        for name in account:
            acct = cfg.accounts.get(name)
            if acct is None or not acct.live:
                bad_arg("--account", name, "not a live account in [accounts] (paper fills only measure the "
                        "paper broker's own assumptions and never calibrate)")
        store = open_existing_store(cfg, store_url)
        try:
            from tradefleet.orchestrator.clock import LiveClock

            done = calibrate(store, set(account), LiveClock().now_ns(), min_samples=min_samples)
            store.commit()
        finally:
            store.close()
        from dataclasses import asdict

        rows = [asdict(c) for c in done]
        if as_json:
            emit_json(rows)
            return
        if not rows:
            typer.echo(f"no account/instrument has {min_samples} live child fills yet; nothing calibrated")
            raise typer.Exit(1)
        for r in rows:
            typer.echo(f"{r['version']}: eta scale {r['eta_scale']:.3f}, paper slippage {r['slippage_bps']:.2f} bps "
                       f"({r['samples']} fills)")


def _print(rep: dict) -> None:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 120))
    if not rep["parents"]:
        console.print("no worked parent orders in this store (orders below the execution layer's "
                      "thresholds go as single orders and have no TCA)")
        return
    table = Table(title=f"implementation shortfall by {rep['by']} ({rep['parents']} parents; {rep['decomposition']})")
    for col in (rep["by"], "parents", "filled", "delay", "spread", "impact", "fees", "total", "total bps"):
        table.add_column(col, justify="left" if col == rep["by"] else "right")
    for r in [*rep["groups"], {"key": "all", "parents": rep["parents"], **rep["total"]}]:
        table.add_row(str(r["key"]), str(r["parents"]), f"{r['quantity']:,.4g}",
                      *(f"{r[c]:,.2f}" for c in ("delay", "spread", "impact", "fees", "total")),
                      f"{r['bps']['total']:.2f}")
    console.print(table)
