"""``tradefleet tca``: transaction-cost analysis of every worked parent order."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator.cli.common import ConfigOption, JsonOption, StoreOption, emit_json, load, open_existing_store

GROUPS = ("bot", "venue", "instrument", "algorithm", "size")


def register(app: typer.Typer) -> None:
    @app.command("tca")
    def tca(by: str = typer.Option("bot", "--by", help=f"group by: {', '.join(GROUPS)}"),
            config: Path | None = ConfigOption, store_url: str | None = StoreOption,
            as_json: bool = JsonOption) -> None:
        """Implementation shortfall of every parent order the execution layer worked, split
        into delay, spread, impact and fees (they add up to the total), grouped."""
        from orchestrator.cli.args import bad_arg
        from orchestrator.execution.tca import outcomes_from_store, report

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
