"""``tradefleet worker``, ``tradefleet leader`` and ``tradefleet lease status|take``.

Heavy imports (redis, pandas, the bots) happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tradefleet.app.cli.args import date_option
from tradefleet.app.cli.common import ConfigOption, JsonOption, StoreOption, emit_json, load, load_checked, open_existing_store, open_store

if TYPE_CHECKING:
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus


def register(app: typer.Typer) -> None:
    """Add the multi-process commands to ``app``."""

    @app.command("worker")
    def worker(config: Path | None = ConfigOption,
               bots: list[str] = typer.Option(None, "--bot", help="Only these bots (default: every enabled bot)."),
               name: str = typer.Option("", "--name", help="Consumer name (default: [scale.bus].consumer or host:pid)."),
               ) -> None:
        """Compute bot signals for the leader: read tick tasks from Redis, publish evaluations."""
        import signal
        import threading

        from tradefleet.orchestrator.distributed.health import HealthServer
        from tradefleet.app.distributed.runtime import run_worker

        cfg, _ = load_checked(config)
        beat = {"n": 0, "seen": -1}

        def live() -> bool:  # the serve loop went round since the previous probe
            alive = beat["n"] != beat["seen"]
            beat["seen"] = beat["n"]
            return alive

        health: list[HealthServer] = []

        def ready(bus: RedisStreamsBus) -> None:
            health.append(HealthServer(cfg.scale.health.host, cfg.scale.health.port, bus, "worker", live=live))
            typer.echo(f"worker {bus.consumer} on {cfg.scale.bus.url} (prefix {bus.prefix}); "
                       f"health on :{health[0].port}")

        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_a: stop.set())
        try:  # alerts (broken bots, a lasting Redis outage, a crash) are stored, then delivered from here
            run_worker(cfg, stop, bots=bots or None, name=name or None, on_ready=ready,
                       on_idle=lambda: beat.__setitem__("n", beat["n"] + 1))
        finally:
            for h in health:
                h.close()

    @app.command("leader")
    def leader(config: Path | None = ConfigOption, store: str | None = StoreOption,
               bots: list[str] = typer.Option(None, "--bot", help="Only these bots (default: every enabled bot)."),
               start: str | None = date_option("--from", "First day (YYYY-MM-DD)."),
               force: bool = typer.Option(False, "--force", help="Take the lease even if another leader holds it."),
               paper: bool = typer.Option(False, "--paper", help="Paper-trade on the wall clock instead of replaying."),
               json_out: bool = JsonOption) -> None:
        """Lead the fleet with bot compute on the workers: replay history, or --paper trade."""
        from dataclasses import asdict

        cfg, registry = load_checked(config, (), store)
        if paper:
            _lead_paper(cfg, store, bots or None)
            return

        from tradefleet.app.distributed.driver import DistributedReplay, replay_inputs
        from tradefleet.app.distributed.runtime import redis_bus
        from tradefleet.app.replay import _day_ns, select_bots

        # event bots replay their tick source's session here, on the leader
        specs, frames, instruments, tick_sources = replay_inputs(cfg, registry, select_bots(registry, cfg, bots or None))
        from tradefleet.orchestrator.distributed.health import HealthServer

        st = open_store(cfg, store)
        bus = redis_bus(cfg, "leader")
        health = None
        try:
            drv = DistributedReplay(cfg, store=st, registry=registry, specs=specs, frames=frames,
                                    instruments=instruments, bus=bus, tick_sources=tick_sources)
            health = HealthServer(cfg.scale.health.host, cfg.scale.health.port, bus, "leader", live=lambda: True,
                                  ready=lambda: drv.lease.held)
            first = start or cfg.replay.start
            result = drv.run(_day_ns(first) if first else None, force=force)
        finally:
            if health is not None:
                health.close()
            bus.close()
            st.close()
        if json_out:
            emit_json({k: v for k, v in asdict(result).items() if k != "processed"})
        else:
            typer.echo(f"steps {result.steps}, ticks {result.dispatched}, signals {result.signals}, "
                       f"orders {result.orders}{' (deposed: lease lost)' if result.deposed else ''}")

    lease_app = typer.Typer(help="The leader lease in the store.", no_args_is_help=True)
    app.add_typer(lease_app, name="lease")

    @lease_app.command("status")
    def lease_status_cmd(config: Path | None = ConfigOption, store: str | None = StoreOption,
                         json_out: bool = JsonOption) -> None:
        """Show every lease: holder, fencing token, expiry."""
        from dataclasses import asdict

        from tradefleet.orchestrator.clock import LiveClock, ns_to_dt
        from tradefleet.orchestrator.distributed.lease import lease_status

        st = open_existing_store(load(config), store)
        try:
            rows = lease_status(st.engine)
        finally:
            st.close()
        now = LiveClock().now_ns()
        if json_out:
            emit_json([{**asdict(r), "live": r.live(now)} for r in rows])
            return
        if not rows:
            typer.echo("no lease has been taken")
        for r in rows:
            typer.echo(f"{r.name}: {r.holder} token {r.token} "
                       f"{'live until' if r.live(now) else 'expired at'} {ns_to_dt(r.expires_ns):%Y-%m-%d %H:%M:%S} UTC")

    @lease_app.command("take")
    def lease_take(config: Path | None = ConfigOption, store: str | None = StoreOption,
                   holder: str = typer.Option("operator", "--holder", help="Who holds it after."),
                   ) -> None:
        """Depose the current leader: take the lease (its token grows, its sends are refused)."""
        from tradefleet.orchestrator.clock import LiveClock
        from tradefleet.orchestrator.distributed.lease import LeaderLease

        cfg = load(config)
        st = open_store(cfg, store)
        try:
            lease = LeaderLease(st.engine, cfg.scale.lease.name, holder, LiveClock(), cfg.scale.lease.ttl_seconds)
            lease.acquire(force=True)
        finally:
            st.close()
        typer.echo(f"{cfg.scale.lease.name}: now held by {holder} with token {lease.token}")


def _lead_paper(cfg: AppConfig, store: str | None, bots: list[str] | None) -> None:
    """``tradefleet leader --paper``: wall-clock paper trading, health served until stopped."""
    from tradefleet.orchestrator.distributed.health import HealthServer
    from tradefleet.app.distributed.live import DistributedLiveRunner, run_distributed_paper
    from tradefleet.app.distributed.runtime import redis_bus

    bus = redis_bus(cfg, "leader")
    current: list[DistributedLiveRunner] = []
    health = HealthServer(cfg.scale.health.host, cfg.scale.health.port, bus, "leader", live=lambda: True,
                          ready=lambda: bool(current) and current[0].lease.held)
    try:
        runner = run_distributed_paper(cfg, bus, bots=bots, store_url=store, started=current.append)
    finally:
        health.close()
        bus.close()
    typer.echo(f"fires {runner.fires}, bars {runner.bars}{' (deposed: lease lost)' if runner.deposed else ''}")
