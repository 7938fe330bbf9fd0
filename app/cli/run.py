"""``tradefleet run``: the fleet on the embedded default (replay of bundled history on the
paper broker) or on the configured accounts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tradefleet.app.cli.args import date_option
from tradefleet.app.cli.common import ConfigOption, JsonOption, StoreOption, emit_json, load_checked
from tradefleet.orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from tradefleet.app.replay import ReplayProgress, ReplaySummary


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        config: Path | None = ConfigOption,
        store_url: str | None = StoreOption,
        bot: list[str] = typer.Option([], "--bot", "-b", help="Run only this bot (repeatable)."),
        start: str | None = date_option("--from", "Replay from this date (YYYY-MM-DD)."),
        end: str | None = date_option("--to", "Replay up to this date (inclusive)."),
        speed: float | None = typer.Option(None, "--speed", min=0,
                                           help="Simulated seconds per wall second (86400 = a day per second); 0 = as fast as possible."),
        as_json: bool = JsonOption,
        view: bool = typer.Option(True, "--view/--no-view", help="Live terminal view while running."),
        live: bool = typer.Option(False, "--live", help="Trade the live accounts (needs live = true on the account)."),
        dashboard: bool | None = typer.Option(None, "--dashboard/--no-dashboard",
                                              help="Serve the web dashboard during the run (and after a replay, until "
                                                   "Ctrl-C). Default: [dashboard] enabled."),
    ) -> None:
        """Run the fleet. With no config: every built-in bot on the paper broker, replaying real
        history bundled with installed packages on a simulated clock, then a summary.
        mode = "paper" trades on the wall clock with live data on the paper broker (and any
        paper accounts); --live trades the accounts with live = true, validated bots only."""
        cfg, registry = load_checked(config, ("dashboard",) if dashboard else (), store_url)
        with _Dashboard(cfg, store_url, cfg.dashboard.enabled if dashboard is None else dashboard) as dash:
            if _run(cfg, store_url, bot, start, end, speed, as_json, view, live, registry):
                dash.linger()


def _run(cfg: Any, store_url: str | None, bot: list[str], start: str | None, end: str | None, speed: float | None,
         as_json: bool, view: bool, live: bool, registry: Any = None) -> bool:
    """Run replay, paper or live; return True for a replay (which ends on its own)."""
    if cfg.mode == "live" and not live:
        raise ConfigError("config mode = \"live\": live trading also needs the --live flag; nothing was started")
    if live or cfg.mode == "paper":
        from tradefleet.app.live import run_live

        runner = run_live(cfg, live=live, bots=bot or None, store_url=store_url)
        info = {"mode": "live" if live else "paper", "fires": runner.fires, "bars": runner.bars,
                "equity": float(runner.kernel.engine.ledger.equity())}
        if as_json:
            emit_json(info)
        else:
            typer.echo(f"stopped: {info}")
        return False
    from tradefleet.app.replay import run_replay

    _warn_lookahead(cfg, store_url, bot, registry)
    show = view and not as_json
    with _View(enabled=show) as v:
        summary = run_replay(cfg, bots=bot or None, start=start, end=end, store_url=store_url, speed=speed,
                             progress=v.update if show else None, registry=registry)
    if as_json:
        emit_json(summary.to_dict())
    else:
        print_summary(summary)
    return True


def _warn_lookahead(cfg: Any, store_url: str | None, bots: list[str], registry: Any) -> None:
    """Warn (stderr) about each bot about to trade whose last validation found lookahead."""
    try:
        from tradefleet.backtest.lookahead import stored_lookahead_warnings
    except ImportError:  # the backtest component is not installed: nothing to warn from
        return
    names = list(bots) or sorted(registry.ok("bots")) if registry is not None else list(bots)
    for line in stored_lookahead_warnings(store_url or cfg.engine.store_url, names):
        typer.echo(line, err=True)


class _Dashboard:
    """The web dashboard on a thread beside the run, when enabled."""

    def __init__(self, cfg: Any, store_url: str | None, enabled: bool) -> None:
        self.server: Any = None
        if enabled:
            from tradefleet.dashboard.serve import DashboardServer
            from tradefleet.orchestrator.clock import LiveClock

            self.server = DashboardServer(cfg, store_url or cfg.engine.store_url, LiveClock())

    def __enter__(self) -> _Dashboard:
        if self.server is not None:
            self.server.start()
            typer.echo(f"dashboard: {self.server.url}/", err=True)
        return self

    def linger(self) -> None:
        """Keep serving after the run until Ctrl-C (only when a dashboard is up)."""
        if self.server is None:
            return
        import threading

        typer.echo(f"run finished; dashboard still on {self.server.url}/ (Ctrl-C to stop)", err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()


class _View:
    """A rich Live panel refreshed from replay progress snapshots."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._live: Any = None

    def __enter__(self) -> _View:
        if self.enabled:
            from rich.live import Live

            self._live = Live(refresh_per_second=8, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def update(self, p: ReplayProgress) -> None:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        from tradefleet.orchestrator.clock import ns_to_dt

        t = Table.grid(padding=(0, 2))
        state = "HALTED" if p.halted else "PAUSED" if p.paused else "ACTIVE"
        t.add_row("sim time", f"{ns_to_dt(p.sim_ns):%Y-%m-%d %H:%M}Z", "state", state)
        t.add_row("equity", f"{p.equity:,.2f}", "cash", f"{p.cash:,.2f}")
        t.add_row("signals", str(p.signals), "fills", str(p.fills))
        t.add_row("open positions", str(p.open_positions), "bars", f"{p.done:,}/{p.total:,}")
        self._live.update(Group(t, ProgressBar(total=p.total, completed=p.done, width=60)))


def print_summary(s: ReplaySummary) -> None:
    """Print the end-of-run summary: totals and per-bot stats."""
    from rich.console import Console
    from rich.table import Table

    import sys

    # a pipe or a log file gets a wide table rather than rich's 80-column default
    console = Console() if sys.stdout.isatty() else Console(width=170)
    console.print(f"[bold]run #{s.run_id}[/bold] {s.start[:10]} -> {s.end[:10]}  bars {s.bars:,}  fires {s.fires:,}  "
                  f"{s.events_per_second:,.0f} events/s  ({s.wall_seconds:.2f} s)")
    console.print(f"gates: {' -> '.join(s.stages)}")
    console.print(f"equity {s.equity:,.2f} (start {s.starting_cash:,.2f}, return {s.total_return_pct:+.2f}%)  "
                  f"realised {s.realized_pnl:,.2f}  unrealised {s.unrealized_pnl:,.2f}  fees {s.fees:,.2f}")
    console.print(f"signals {s.signals}  orders {s.orders}  fills {s.fills}  rejected {s.rejected}  "
                  f"open positions {s.open_positions}" + ("  [red]HALTED[/red]" if s.halted else ""))
    table = Table(title="per bot")
    for col in ("bot", "family", "signals", "orders", "rejected", "fills", "closed", "win %", "realised", "unrealised", "status"):
        table.add_column(col, justify="right" if col not in ("bot", "family", "status") else "left",
                         no_wrap=col in ("bot", "family"))
    for b in s.bots:
        win = f"{b.win_rate * 100:.0f}" if b.win_rate is not None else "-"
        table.add_row(b.name, b.family, str(b.signals), str(b.orders), str(b.rejected), str(b.fills),
                      str(b.closed_trades), win, f"{b.realized_pnl:,.2f}", f"{b.unrealized_pnl:,.2f}",
                      b.status + (f": {b.error}" if b.error else ""))
    console.print(table)
    if s.ensemble:  # which sources counted, and why the others did not
        voted = [f"{k} {v['voted']}" for k, v in s.ensemble.items() if v["voted"]]
        console.print("ensemble votes: " + (", ".join(voted) or "none"))
        for name, v in s.ensemble.items():
            if v["abstained"] and not v["voted"]:
                from rich.markup import escape

                why = "; ".join(f"{r} (x{n})" for r, n in v["reasons"].items())
                console.print(f"[yellow]never voted[/yellow] {name} (weight {v['weight']:g}): {escape(why)}")
    for name, why in s.skipped_bots.items():
        console.print(f"[yellow]skipped[/yellow] {name}: {why}")
    for broken in s.broken_plugins:
        console.print(f"[yellow]broken plugin[/yellow] {broken['group']}/{broken['name']}: {broken['error']}")
