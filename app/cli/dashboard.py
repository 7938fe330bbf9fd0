"""``tradefleet dashboard [--host --port]``, ``tradefleet api-token create|list|revoke`` and
``tradefleet telegram``.

Both refuse to start with a one-line error (exit 2) when their security settings do not
allow it: a non-loopback bind without a password or with a default/short secret key;
a Telegram bot without a token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, StoreOption, actor, emit_json, load, load_checked, open_store


def _token_commands() -> typer.Typer:
    tokens = typer.Typer(help="REST API tokens (scopes: read, control, trade); stored hashed.", no_args_is_help=True)

    def _store(config: Path | None, store_url: str | None) -> tuple[object, object]:
        from tradefleet.dashboard.tokens import TokenStore
        from tradefleet.orchestrator.clock import LiveClock

        store = open_store(load(config), store_url)
        return store, TokenStore(store, LiveClock())

    @tokens.command("create")
    def create(name: str = typer.Argument(..., help="A name for the token (shown in the audit trail)."),
               scope: list[str] = typer.Option(["read"], "--scope", "-s", help="read, control, trade (repeatable; read is always included)."),
               config: Path | None = ConfigOption, store_url: str | None = StoreOption, as_json: bool = JsonOption) -> None:
        """Create a token and print it once (only its hash is stored)."""
        from tradefleet.dashboard.tokens import parse_scopes

        scopes = parse_scopes(scope)  # a bad scope is refused before the store is opened
        store, ts = _store(config, store_url)
        try:
            secret = ts.create(name, scopes, actor())  # type: ignore[attr-defined]
        finally:
            store.close()  # type: ignore[attr-defined]
        if as_json:
            emit_json({"name": name, "scopes": list(scopes), "token": secret})
            return
        typer.echo(f"token {name} ({', '.join(scopes)}): {secret}")
        typer.echo("store it now: it is not shown again. Use it as 'Authorization: Bearer <token>'.")

    @tokens.command("list")
    def list_(config: Path | None = ConfigOption, store_url: str | None = StoreOption, as_json: bool = JsonOption) -> None:
        """List tokens: name, scopes, created, last used, revoked (never the secret)."""
        from tradefleet.orchestrator.clock import ns_to_dt

        store, ts = _store(config, store_url)
        try:
            infos = ts.list()  # type: ignore[attr-defined]
        finally:
            store.close()  # type: ignore[attr-defined]

        def when(ns: int | None) -> str:
            return "-" if ns is None else f"{ns_to_dt(ns):%Y-%m-%d %H:%M:%S}Z"

        rows = [{"name": i.name, "scopes": ",".join(i.scopes), "created": when(i.created_ns), "by": i.created_by,
                 "last_used": when(i.last_used_ns), "revoked": when(i.revoked_ns)} for i in infos]
        if as_json:
            emit_json(rows)
            return
        if not rows:
            typer.echo("no API tokens (create one: tradefleet api-token create NAME --scope read)")
            return
        widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]}
        typer.echo("  ".join(k.ljust(w) for k, w in widths.items()).rstrip())
        for r in rows:
            typer.echo("  ".join(r[k].ljust(w) for k, w in widths.items()).rstrip())

    @tokens.command("revoke")
    def revoke(name: str = typer.Argument(..., help="The token's name."),
               config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Revoke a token at once (its next call gets 401)."""
        store, ts = _store(config, store_url)
        try:
            ts.revoke(name)  # type: ignore[attr-defined]
        finally:
            store.close()  # type: ignore[attr-defined]
        typer.echo(f"revoked {name}")

    return tokens


def _alerts(cfg: Any, store: Any, bus: Any) -> Any:
    from tradefleet.orchestrator.alerts.service import install
    from tradefleet.orchestrator.clock import LiveClock

    return install(cfg, store, LiveClock(), bus)


def register(app: typer.Typer) -> None:
    app.add_typer(_token_commands(), name="api-token")

    @app.command("dashboard")
    def dashboard(host: str | None = typer.Option(None, "--host", help="Address to bind (default [dashboard].host, 127.0.0.1)."),
                  port: int | None = typer.Option(None, "--port", help="Port (default [dashboard].port)."),
                  config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Serve the web dashboard (login, bots, records, signals, live updates, /metrics)."""
        import logging

        from tradefleet.dashboard.app import create_app
        from tradefleet.dashboard.serve import check_port, make_wsgi_server
        from tradefleet.orchestrator.clock import LiveClock

        cfg, _ = load_checked(config, ("dashboard",), store_url)
        bind = host or cfg.dashboard.host
        want = port if port is not None else cfg.dashboard.port
        check_port(bind, want)  # before anything is opened
        from tradefleet.orchestrator.bus import InProcessBus

        bus = InProcessBus()  # operator actions here (halt, resume) are alerted from this process
        app = create_app(cfg, store_url, LiveClock(), host=bind, bus=bus)
        _alerts(cfg, app.extensions["tradefleet"]["store"], bus)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        server = make_wsgi_server(app, bind, want)
        shown = f"[{bind}]" if ":" in bind else bind
        typer.echo(f"dashboard on http://{shown}:{server.effective_port}/ (store {app.extensions['tradefleet']['store'].where})")
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            app.extensions["tradefleet"]["store"].close()

    @app.command("telegram")
    def telegram(config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Run the fleet's Telegram bot (commands from allowlisted users and chats, alerts, daily summary)."""
        import logging

        from tradefleet.dashboard.app import discover_bots
        from tradefleet.dashboard.telegram_bot import FleetTelegram, check_token, resolve_token
        from tradefleet.orchestrator.clock import LiveClock
        from tradefleet.orchestrator.store import Store

        cfg, _ = load_checked(config, ("telegram",), store_url)
        token = resolve_token(cfg)
        check_token(cfg, token)  # a refused token or an unreachable API: one line, before the store is opened
        specs, broken = discover_bots()
        clock = LiveClock()
        store = Store.open(store_url or cfg.engine.store_url, clock=clock)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        from tradefleet.orchestrator.bus import InProcessBus

        bus = InProcessBus()
        _alerts(cfg, store, bus)  # halts and resumes from Telegram are alerted on every channel
        bot = FleetTelegram(cfg, store, clock, set(specs) | set(broken), specs=specs, bus=bus,
                            stored_alerts=True)  # every process's alerts, from the store, each sent once
        try:
            bot.build(token).run_polling(allowed_updates=["message"])
        finally:
            store.close()
