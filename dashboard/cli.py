"""``tradefleet dashboard [--host --port]`` and ``tradefleet telegram``.

Both refuse to start with a one-line error (exit 2) when their security settings do not
allow it: a non-loopback bind without a password or with a default/short secret key;
a Telegram bot without a token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from orchestrator.cli.common import ConfigOption, StoreOption, load_checked


def _alerts(cfg: Any, store: Any, bus: Any) -> Any:
    from orchestrator.alerts.service import install
    from orchestrator.clock import LiveClock

    return install(cfg, store, LiveClock(), bus)


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard(host: str | None = typer.Option(None, "--host", help="Address to bind (default [dashboard].host, 127.0.0.1)."),
                  port: int | None = typer.Option(None, "--port", help="Port (default [dashboard].port)."),
                  config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Serve the web dashboard (login, bots, records, signals, live updates, /metrics)."""
        import logging

        from werkzeug.serving import run_simple

        from dashboard.app import create_app
        from orchestrator.clock import LiveClock

        from dashboard.serve import check_port

        cfg, _ = load_checked(config, ("dashboard",), store_url)
        bind = host or cfg.dashboard.host
        check_port(bind, port if port is not None else cfg.dashboard.port)
        from orchestrator.bus import InProcessBus

        bus = InProcessBus()  # operator actions here (halt, resume) are alerted from this process
        app = create_app(cfg, store_url, LiveClock(), host=bind, bus=bus)
        _alerts(cfg, app.extensions["tradefleet"]["store"], bus)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        typer.echo(f"dashboard on http://{bind}:{port or cfg.dashboard.port}/ (store {app.extensions['tradefleet']['store'].where})")
        run_simple(bind, port if port is not None else cfg.dashboard.port, app, threaded=True, use_reloader=False)

    @app.command("telegram")
    def telegram(config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Run the fleet's Telegram bot (commands from allowlisted users and chats, alerts, daily summary)."""
        import logging

        from dashboard.app import discover_bots
        from dashboard.telegram_bot import FleetTelegram, check_token, resolve_token
        from orchestrator.clock import LiveClock
        from orchestrator.store import Store

        cfg, _ = load_checked(config, ("telegram",), store_url)
        token = resolve_token(cfg)
        check_token(cfg, token)  # a refused token or an unreachable API: one line, before the store is opened
        specs, broken = discover_bots()
        clock = LiveClock()
        store = Store.open(store_url or cfg.engine.store_url, clock=clock)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        from orchestrator.bus import InProcessBus

        bus = InProcessBus()
        _alerts(cfg, store, bus)  # halts and resumes from Telegram are alerted on every channel
        bot = FleetTelegram(cfg, store, clock, set(specs) | set(broken), specs=specs, bus=bus)
        try:
            bot.build(token).run_polling(allowed_updates=["message"])
        finally:
            store.close()
