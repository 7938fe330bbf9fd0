"""Operator control from the shell: ``status``, ``pause``, ``resume``, ``halt``.

These write the store's control state (with who and when); a running engine picks the
change up within ``engine.control_poll_seconds``, and it survives restarts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tradefleet.dashboard.status import status_dict
from tradefleet.app.cli.common import (ConfigOption, JsonOption, StoreOption, actor, emit_json, load, open_existing_store,
                                     open_store)


def _check_bot(name: str) -> None:
    from tradefleet.orchestrator.registry import Registry

    Registry.discover(["bots"]).bot(name)


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(config: Path | None = ConfigOption, store_url: str | None = StoreOption, as_json: bool = JsonOption) -> None:
        """Show whether the fleet is paused or halted, which bots are paused, and the last run."""
        from tradefleet.orchestrator.clock import ns_to_dt

        store = open_existing_store(load(config), store_url)
        try:
            info = status_dict(store)
        finally:
            store.close()
        if as_json:
            emit_json(info)
            return
        f = info["fleet"]
        state = "HALTED" if f["halted"] else "PAUSED" if f["paused"] else "ACTIVE"
        since = f" since {ns_to_dt(f['since_ns']):%Y-%m-%d %H:%M:%S}Z by {f['actor']}" if f["since_ns"] else ""
        if info["trading_state"]:  # the one answer, shared with `risk`, `run --json` and the dashboard
            from tradefleet.risk.trading_state import describe

            for line in describe(info["trading_state"]):
                typer.echo(line)
        else:
            typer.echo(f"fleet: {state}{since}" + (f" ({f['reason']})" if f["reason"] else ""))
        typer.echo(f"paused bots: {', '.join(info['paused_bots']) or 'none'}")
        if info["halted_accounts"]:
            typer.echo(f"halted accounts: {', '.join(info['halted_accounts'])}")
        run = info["last_run"]
        if run is None:
            typer.echo("no run yet: start one with 'tradefleet run'")
        else:
            s = run["summary"] or {}
            typer.echo(f"last run #{run['id']} ({run['mode']}, {run['status']}): equity {s.get('equity', '?')} "
                       f"return {s.get('total_return_pct', '?')}% fills {s.get('fills', '?')}")

    def _set(scope: str, msg: str, config: Path | None, store_url: str | None, **flags: Any) -> None:
        from tradefleet.orchestrator.clock import LiveClock

        store = open_store(load(config), store_url)
        try:
            store.set_control(scope, actor=actor(), ts_ns=LiveClock().now_ns(), **flags)
            store.commit()
        finally:
            store.close()
        typer.echo(msg)

    @app.command("pause")
    def pause(bot: str | None = typer.Argument(None, help="Bot to pause (default: the whole fleet)."),
              reason: str = typer.Option("", "--reason", help="Why, for the audit trail."),
              config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Pause one bot, or the whole fleet: paused bots stop evaluating; positions are kept."""
        if bot:
            _check_bot(bot)
        scope = f"bot:{bot}" if bot else "fleet"
        _set(scope, f"paused {bot or 'fleet'}", config, store_url, paused=True, reason=reason or "paused by operator")

    @app.command("resume")
    def resume(bot: str | None = typer.Argument(None, help="Bot to resume (default: the fleet, which also clears a halt)."),
               fleet: str | None = typer.Option(None, "--fleet", help="Resume one fleet (lift its daily-loss hold)."),
               config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Resume one bot, one fleet (--fleet), or the whole fleet (clearing a pause and a halt).

        A running engine picks it up at its next control poll and lifts the matching
        daily-loss holds (a bot's, a fleet's; the whole fleet: every one), re-basing each
        budget at the resume: a further full budget of loss the same day holds it again."""
        if bot and fleet:
            raise typer.BadParameter("give a bot or --fleet, not both", param_hint="--fleet")
        if bot:
            _check_bot(bot)
            _set(f"bot:{bot}", f"resumed {bot}", config, store_url, paused=False, reason="resumed by operator")
        elif fleet is not None:
            if not fleet.strip() or ":" in fleet:
                raise typer.BadParameter(f"{fleet!r} is not a fleet name", param_hint="--fleet")
            _set(f"fleet:{fleet}", f"resumed fleet {fleet}", config, store_url, paused=False, halted=False,
                 reason="resumed by operator")
        else:
            _set("fleet", "resumed fleet (pause, halt and daily-loss holds cleared)", config, store_url, paused=False,
                 halted=False, reason="resumed by operator")

    @app.command("halt")
    def halt(reason: str = typer.Option(..., "--reason", help="Why the fleet is halted (required)."),
             config: Path | None = ConfigOption, store_url: str | None = StoreOption) -> None:
        """Halt the fleet: no new exposure anywhere; exits still pass. 'resume' clears it."""
        if not reason.strip():
            raise typer.BadParameter("a halt needs a reason", param_hint="--reason")
        _set("fleet", f"halted fleet: {reason}", config, store_url, halted=True, reason=reason)
