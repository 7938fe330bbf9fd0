"""``tradefleet data record kalshi|polymarket``: write live snapshots to a Parquet session.

Every interval the recorder builds the snapshot of the chosen markets exactly as paper and
live trading do (:class:`~tradefleet.bots.prediction.live.LiveSnapshotSource`: the venue's book and
public trades through its client, and the domain sources of each contract's variable, with
their ages) and appends it to a session folder marked ``kind = "recorded"`` with its
provenance (venue, endpoint, client library, markets, interval, start). Replay and
validation read the folder back (``[replay] snapshots = "<folder>"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.duration import Duration
from tradefleet.orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from tradefleet.orchestrator.sections import KernelConfig

CLIENTS = {"kalshi": "kalshi-python", "polymarket": "py-clob-client"}


def parse_every(text: str) -> float:
    """``30s``, ``5m``, ``1h`` -> seconds (the kernel's duration; at least one second)."""
    return float(Duration.parse(text, "--every", units=("s", "m", "h")).seconds)


def check_markets(config: KernelConfig, venue: str, markets: list[str]) -> None:
    """Refuse (before anything is created) markets that are unknown or on another venue."""
    if venue not in CLIENTS:
        raise ConfigError(f"venue {venue!r}: record kalshi or polymarket")
    if not markets:
        raise ConfigError("--markets: name at least one market of [prediction.markets]")
    known = config.prediction.markets
    for sym in markets:
        m = known.get(sym)
        if m is None:
            have = ", ".join(sorted(known)) or "none configured"
            raise ConfigError(f"--markets: {sym} is not in [prediction.markets] (have: {have})")
        if m.venue != venue:
            raise ConfigError(f"--markets: {sym} trades on {m.venue}, not {venue}")


@dataclass
class RecordStats:
    """What a recording wrote."""

    path: Path
    snapshots: int
    rows: int
    notes: dict[str, str]


def record(config: KernelConfig, venue: str, markets: list[str], every_s: float, out: Path, clock: Clock,
           sleep: Callable[[float], None], count: int | None = None,
           source: Any = None) -> RecordStats:
    """Record ``count`` snapshots (or until interrupted) every ``every_s`` seconds into ``out``."""
    from importlib.metadata import PackageNotFoundError, version

    from tradefleet.bots.prediction.live import LiveSnapshotSource
    from tradefleet.bots.prediction.session import SessionWriter

    check_markets(config, venue, markets)
    src = source or LiveSnapshotSource.from_app(config, clock)
    cfg = config.prediction
    try:
        client = f"{CLIENTS[venue]} {version(CLIENTS[venue])}"
    except PackageNotFoundError:
        client = CLIENTS[venue]
    writer = SessionWriter(out, {
        "kind": "recorded", "venue": venue, "endpoint": cfg.kalshi_url if venue == "kalshi" else cfg.polymarket_url,
        "client": client, "recorder": "tradefleet data record", "markets": markets,
        "venue_ids": {s: cfg.markets[s].venue_id or s for s in markets}, "interval_s": every_s,
        "started_ns": clock.now_ns(),
    }).open()
    n = rows = 0
    notes: dict[str, str] = {}
    next_ns = clock.now_ns()
    try:
        while count is None or n < count:
            snap = src.build(markets, clock.now_ns())
            writer.append(snap)
            rows += writer.flush()  # a part per tick: an interrupted recording keeps every tick
            notes.update(snap.notes)
            n += 1
            if count is not None and n >= count:
                break
            next_ns += int(every_s * NS)
            wait = (next_ns - clock.now_ns()) / NS
            if wait > 0:
                sleep(wait)
    except KeyboardInterrupt:
        pass
    return RecordStats(out, n, rows, notes)


def default_out(venue: str, clock: Clock) -> Path:
    """``var/recordings/<venue>-<UTC start>``."""
    from tradefleet.orchestrator.clock import ns_to_dt

    return Path("var/recordings") / f"{venue}-{ns_to_dt(clock.now_ns()):%Y%m%dT%H%M%SZ}"
