"""``tradefleet alerts test``: send one test alert to every configured channel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, StoreOption, emit_json, load

if TYPE_CHECKING:
    from tradefleet.app.config import AppConfig


def run_test(config: AppConfig, store_url: str | None = None) -> dict[str, str]:
    """Store one ``test`` alert and deliver it to every channel; return channel -> status."""
    import socket

    from tradefleet.orchestrator.alerts.service import build_service
    from tradefleet.orchestrator.clock import LiveClock
    from tradefleet.orchestrator.store import Store

    store = Store.open(store_url or config.engine.store_url)
    try:
        service = build_service(config, store, LiveClock())
        alert = service.publish("test", f"test alert from tradefleet on {socket.gethostname()}")
        return {d["channel"]: d["status"] + (f" ({d['error']})" if d["error"] else "")
                for d in service.alerts.deliveries(alert.id)}
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    alerts = typer.Typer(help="Alert channels: check delivery.", no_args_is_help=True)
    app.add_typer(alerts, name="alerts")

    @alerts.command("test")
    def test(config: Path | None = ConfigOption, store_url: str | None = StoreOption,
             as_json: bool = JsonOption) -> int:
        """Send one test alert to every configured channel (stored first, like every alert)."""
        cfg = load(config)
        results = run_test(cfg, store_url)
        if as_json:
            emit_json(results)
        elif not results:
            typer.echo("no alert channel is configured: add [alerts.telegram], [alerts.webhook], ... to the config")
        for name, status in sorted(results.items()):
            if not as_json:
                typer.echo(f"{name:<10} {status}")
        return 0 if results and all(s == "sent" for s in results.values()) else 1
