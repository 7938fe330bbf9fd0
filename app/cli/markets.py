"""``tradefleet markets``: live prediction markets with edge, sources and ages."""

from __future__ import annotations

from pathlib import Path

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, emit_json, load


def register(app: typer.Typer) -> None:
    @app.command("markets")
    def markets_cmd(config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
        """List the configured prediction markets: touch, fair value, best edge after fees, source ages."""
        from tradefleet.bots.prediction.markets import markets_view
        from tradefleet.orchestrator.clock import LiveClock

        view = markets_view(load(config), LiveClock())
        if as_json:
            return emit_json(view)
        from rich.console import Console
        from rich.table import Table

        out = Console(highlight=False)
        if not view["markets"]:
            out.print(view.get("hint", "no markets"))
            return None
        t = Table("market", "venue", "bid", "ask", "fair", "edge", "side", "sources (age s)", title="prediction markets")
        for r in view["markets"]:
            fmt = (lambda x: "-" if x is None else f"{x:.2f}")
            ages = ", ".join(f"{k} {v:.0f}" for k, v in r["ages_s"].items())
            t.add_row(r["market"], r["venue"], fmt(r["bid"]), fmt(r["ask"]), fmt(r["fair"]),
                      "-" if r["edge"] is None else f"{r['edge']:+.3f}", r["side"] or "-", ages or r["note"] or "-")
        out.print(t)
        for k, v in view["notes"].items():
            out.print(f"  {k}: {v}")
        return None
