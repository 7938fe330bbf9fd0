"""``tradefleet data list|fetch|check``: what data is configured, fetch it, check bar files.

* ``data list``: the provider chain, the alternative sources (live or offline, key set or
  not, budget and TTL) and the bundled datasets.
* ``data fetch SYMBOL|SOURCE``: bars through the chain (which source answered, and why
  earlier ones failed), or one sample answer of an alternative source with its provenance.
* ``data check PATH|SYMBOL``: every finding (gaps, duplicates, order, outliers, zero or
  negative prices, stale last bar); exits 1 when there is an error.
* ``data record kalshi|polymarket --markets ... --every 30s``: prediction-market snapshots
  to a Parquet session (see :mod:`tradefleet.bots.prediction.recorder`).
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import typer

from tradefleet.app.cli.args import date_option
from tradefleet.app.cli.common import ConfigOption, JsonOption, emit_json, load


def _clock(at: str | None) -> Any:
    from tradefleet.orchestrator.clock import LiveClock, SimClock

    if at is None:
        return LiveClock()
    import pandas as pd

    ts = pd.Timestamp(at)
    return SimClock(int((ts if ts.tzinfo else ts.tz_localize("UTC")).as_unit("ns").value))


def _when(ns: int | None) -> str:
    from tradefleet.orchestrator.clock import ns_to_dt

    return "-" if ns is None else f"{ns_to_dt(ns):%Y-%m-%d %H:%M:%S}Z"


def _symbol(target: str) -> str:
    """Accept a bundled dataset name (``sp500``) for its symbol (``SPX``)."""
    from tradefleet.scrapers.bundled import DATASETS

    ds = DATASETS.get(target)
    return ds.symbol if ds is not None else target


def _hub(config: Path | None, at: str | None) -> Any:
    from tradefleet.scrapers.hub import DataHub

    cfg = load(config)
    return DataHub(cfg.data, _clock(at), app_mode=cfg.mode)


def list_view(hub: Any) -> dict[str, Any]:
    """Providers, alternative sources and bundled datasets as plain data."""
    from tradefleet.scrapers.alt import alt_sources
    from tradefleet.scrapers.bundled import DATASETS
    from tradefleet.scrapers.hub import builtin_providers

    cfg = hub.config
    providers = [{"name": n, "in_chain": n in cfg.chain, "position": cfg.chain.index(n) + 1 if n in cfg.chain else None,
                  "remote": bool(getattr(c, "remote", False))} for n, c in sorted(builtin_providers().items())]
    sources = []
    for name, cls in sorted(alt_sources().items()):
        key_name = {"news": "newsapi", "gdpnow": "fred"}.get(name, name)
        pol = cfg.policy(key_name)
        ref = cfg.key(key_name) if cls.keyed else None
        sources.append({"name": name, "description": cls.description, "keyed": cls.keyed,
                        "key": str(ref) if ref else None, "key_set": bool(ref and hub.secret(key_name)),
                        "mode": "offline" if hub.is_offline(key_name, cls.keyed) else "live",
                        "daily_budget": pol.daily_budget, "ttl_seconds": pol.ttl_seconds,
                        "rate_per_minute": pol.rate_per_minute})
    datasets = [{"name": d.name, "symbol": d.symbol, "timeframe": d.timeframe, "description": d.description}
                for d in DATASETS.values()]
    return {"chain": list(cfg.chain), "providers": providers, "sources": sources, "datasets": datasets,
            "cache_dir": cfg.cache_dir}


def _plain(obj: Any) -> Any:
    """Dataclasses, frames and series to JSON-friendly data."""
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return {"rows": len(obj), "columns": [str(c) for c in obj.columns],
                "tail": [{"ts": str(i), **{str(k): float(v) for k, v in r.items()}} for i, r in obj.tail(5).iterrows()]}
    if isinstance(obj, pd.Series):
        return {"rows": len(obj), "tail": {str(i): (None if pd.isna(v) else float(v)) for i, v in obj.tail(5).items()}}
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in asdict(obj).items()} if not hasattr(obj, "value") else \
            {"value": _plain(obj.value), "provenance": asdict(obj.provenance), "meta": _plain(obj.meta)}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def fetch_view(hub: Any, target: str, tf: str | None, start: str | None, fresh: bool) -> dict[str, Any]:
    """Bars of a symbol through the chain, or a sample answer of an alternative source."""
    from tradefleet.scrapers.alt import alt_sources

    if target in alt_sources():
        ans = hub.source(target).sample()
        return {"kind": "source", "source": target, **_plain(ans)}
    start_ns = None
    if start:
        import pandas as pd

        ts = pd.Timestamp(start)
        start_ns = int((ts if ts.tzinfo else ts.tz_localize("UTC")).as_unit("ns").value)
    target = _symbol(target)
    ans = hub.bars(target, tf, start_ns, require_fresh=fresh)
    return {"kind": "bars", "symbol": target, "timeframe": ans.timeframe, "source": ans.source,
            "skipped": ans.skipped, "reason": ans.reason(),
            "attempts": [asdict(a) for a in ans.attempts], "warnings": [w.to_dict() for w in ans.warnings],
            "provenance": asdict(ans.provenance) if ans.provenance else None,
            "bars": _plain(ans.frame) if ans.frame is not None else None}


def read_unvalidated(path: Path, tz: str | None = None) -> Any:
    """Read a CSV/Parquet bar file without stopping at ordering, price or gap problems (for
    ``data check``); unreadable timestamps or numbers still stop it, naming the line and value."""
    import pandas as pd

    from tradefleet.orchestrator.errors import DataError
    from tradefleet.scrapers.files import _localize, _numbers, _rows, _separator, _timestamps
    from tradefleet.scrapers.frames import normalize_columns

    if not path.exists():
        raise DataError(f"{path}: data file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a bar file")
    parquet = path.suffix.lower() in (".parquet", ".pq")
    try:
        raw = pd.read_parquet(path) if parquet else pd.read_csv(path, dtype=str, skip_blank_lines=False,
                                                                    keep_default_na=False, sep=_separator(path))
    except Exception as exc:  # pandas raises many types for malformed files
        raise DataError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None
    where = _rows(parquet)
    if not isinstance(raw.index, pd.DatetimeIndex):
        lower = {str(c).strip().lower(): c for c in raw.columns}
        col = next((lower[c] for c in ("ts", "time", "timestamp", "date", "datetime") if c in lower), raw.columns[0])
        stamps = _timestamps(raw[col], str(path), where, tz)
        raw = raw.drop(columns=[col]).set_axis(stamps, axis=0)
    if raw.index.tz is None:
        raw.index = _localize(raw.index, str(path), tz)
    return normalize_columns(_numbers(raw, str(path), where), str(path))


def check_view(hub: Any, target: str, tf: str | None, at_ns: int | None) -> dict[str, Any]:
    """Findings on a bar file (path) or on a symbol's bars from the chain."""
    from tradefleet.scrapers.checks import check_bars
    from tradefleet.scrapers.files import infer_timeframe as _infer_tf

    cfg = hub.config
    p = Path(target)
    hole = None
    if p.suffix.lower() in (".csv", ".parquet", ".pq", ".gz") or p.exists():
        from tradefleet.scrapers.gaps import find_hole

        frame = read_unvalidated(p, cfg.file_timezone)
        tf = tf or _infer_tf(frame) or cfg.timeframe
        what = str(p)
        ordered = frame.index.is_monotonic_increasing and frame.index.is_unique
        hole = find_hole(frame.index, tf, None, cfg.max_missing_bars) if ordered else None
    else:
        target = _symbol(target)
        ans = hub.bars(target, tf, require_fresh=False)
        if ans.frame is None:
            return {"target": target, "timeframe": ans.timeframe, "ok": False, "bars": 0, "source": None,
                    "findings": [{"kind": "empty", "severity": "error", "row": None, "ts": None, "detail": ans.reason()}]}
        frame, tf, what = ans.frame, ans.timeframe, f"{target} via {ans.source}"
    found = check_bars(frame, tf, now_ns=at_ns, outlier_sigma=cfg.outlier_sigma, stale_bars=cfg.stale_bars,
                       max_gap_ns=None if what != str(p) else 2**62)  # files: holes judged on the calendar below
    if hole is not None:
        from tradefleet.scrapers.checks import Finding

        found.insert(0, Finding("gap", "error", hole.row + 1, str(frame.index[hole.row]),
                                hole.describe(tf, frame.index[hole.row - 1], cfg.max_missing_bars)))
    return {"target": what, "timeframe": tf, "bars": len(frame), "ok": not any(f.severity == "error" for f in found),
            "findings": [f.to_dict() for f in found]}


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Market and alternative data: list sources, fetch, check bar files.",
                       no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(data, name="data")
    _register_record(data)  # data record kalshi|polymarket: prediction-market sessions to Parquet

    @data.command("list")
    def list_cmd(config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
        """List the provider chain, alternative sources (live/offline, budgets) and bundled datasets."""
        view = list_view(_hub(config, None))
        if as_json:
            return emit_json(view)
        from rich.console import Console
        from rich.table import Table

        out = Console(highlight=False)
        out.print("chain: " + " -> ".join(view["chain"]) + " -> skip")
        t = Table("source", "mode", "key", "budget/day", "ttl s", "what", title="alternative data")
        for s in view["sources"]:
            key = "-" if not s["keyed"] else f"{s['key']} ({'set' if s['key_set'] else 'unset'})"
            t.add_row(s["name"], s["mode"], key, str(s["daily_budget"]), f"{s['ttl_seconds']:.0f}", s["description"])
        out.print(t)
        d = Table("dataset", "symbol", "timeframe", "description", title="bundled market data")
        for ds in view["datasets"]:
            d.add_row(ds["name"], ds["symbol"], ds["timeframe"], ds["description"])
        out.print(d)

    @data.command("fetch")
    def fetch_cmd(target: str = typer.Argument(..., help="A symbol (SPX, EUR/USD ...) or a source (fred, nws, odds ...)."),
                  timeframe: str | None = typer.Option(None, "--timeframe", "-t", help="Bar timeframe, e.g. 1h, 4h, 1d, 1w."),
                  start: str | None = date_option("--start", "First bar close to fetch (ISO time)."),
                  at: str | None = date_option("--at", "Act as if now were this time (UTC ISO)."),
                  fresh: bool = typer.Option(True, "--fresh/--any-age", help="Require a recent last bar."),
                  config: Path | None = ConfigOption, as_json: bool = JsonOption) -> int | None:
        """Fetch bars of a symbol through the chain, or a sample answer of an alternative source (exit 1 if none answered)."""
        from rich.console import Console

        hub = _hub(config, at)
        with Console(stderr=True).status(f"fetching {target} ..."):
            view = fetch_view(hub, target, timeframe, start, fresh)
        hub.close()
        answered = view["kind"] == "source" or view["bars"] is not None
        if as_json:
            emit_json(view)
            return 0 if answered else 1
        if not answered:  # nothing came back: say why on one line, exit 1
            from tradefleet.orchestrator.errors import CommandFailed

            raise CommandFailed(view["reason"])
        out = Console(markup=False, highlight=False)
        if view["kind"] == "source":
            prov = view["provenance"]
            out.print(f"{target}: from {prov['source']} ({'offline fixtures' if prov['offline'] else prov['url']}), "
                      f"fetched_at {_when(prov['fetched_at'])}, published_at {_when(prov['published_at'])}")
            out.print(view["value"])
            if view.get("meta"):
                out.print(view["meta"])
            return None
        out.print(view["reason"])
        if view["bars"]:
            out.print(f"{view['bars']['rows']} bars; last:")
            for row in view["bars"]["tail"]:
                out.print(f"  {row['ts']}  o {row['open']:g}  h {row['high']:g}  l {row['low']:g}  c {row['close']:g}  v {row['volume']:g}")
        for w in view["warnings"]:
            out.print(f"  warning: {w['kind']} at row {w['row']} ({w['ts']}): {w['detail']}")
        return None

    @data.command("check")
    def check_cmd(target: str = typer.Argument(..., help="A CSV/Parquet bar file, or a symbol to check through the chain."),
                  timeframe: str | None = typer.Option(None, "--timeframe", "-t", help="Bar timeframe (default: inferred)."),
                  at: str | None = date_option("--at", "Check staleness against this time (UTC ISO)."),
                  config: Path | None = ConfigOption, as_json: bool = JsonOption) -> int:
        """Report gaps, duplicates, order, outliers, bad prices and a stale last bar; exit 1 on errors."""
        hub = _hub(config, at)
        at_ns = hub.clock.now_ns() if at else None
        view = check_view(hub, target, timeframe, at_ns)
        if as_json:
            emit_json(view)
        else:
            from rich.console import Console

            out = Console(markup=False, highlight=False)
            out.print(f"{view['target']}: {view['bars']} {view['timeframe']} bars, "
                      f"{'OK' if view['ok'] else 'ERRORS'} ({len(view['findings'])} finding(s))")
            for f in view["findings"]:
                where = f" row {f['row']} ({f['ts']})" if f["row"] is not None else ""
                out.print(f"  {f['severity']}: {f['kind']}{where}: {f['detail']}")
        return 0 if view["ok"] else 1


def _register_record(data: Any) -> None:
    """Add ``record`` to the ``data`` command group (the recorder lives in bots.prediction.recorder)."""
    from tradefleet.bots.prediction.recorder import check_markets, default_out, parse_every, record

    @data.command("record")
    def record_cmd(venue: str = typer.Argument(..., help="kalshi or polymarket"),
                   markets: str = typer.Option(..., "--markets", help="Comma-separated [prediction.markets] names."),
                   every: str = typer.Option("30s", "--every", help="Interval between snapshots (30s, 5m ...)."),
                   out: Path | None = typer.Option(None, "--out", help="Session folder (default var/recordings/...)."),
                   count: int | None = typer.Option(None, "--count", min=1, help="Stop after this many snapshots."),
                   config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
        """Record books, public trades and source values of prediction markets to Parquet (Ctrl-C stops)."""
        import time

        from tradefleet.orchestrator.clock import LiveClock

        cfg = load(config)
        names = [m.strip() for m in markets.split(",") if m.strip()]
        seconds = parse_every(every)
        check_markets(cfg, venue, names)
        clock = LiveClock()
        stats = record(cfg, venue, names, seconds, out or default_out(venue, clock), clock, time.sleep, count)
        view = {"path": str(stats.path), "snapshots": stats.snapshots, "rows": stats.rows, "notes": stats.notes}
        if as_json:
            return emit_json(view)
        print(f"recorded {stats.snapshots} snapshot(s), {stats.rows} row(s) -> {stats.path}")
        for k, v in stats.notes.items():
            print(f"  {k}: {v}")
        return None
