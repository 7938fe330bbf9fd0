"""Prediction-market sessions on disk: snapshots as Parquet tables with their provenance.

A session is a folder of tables, each a set of Parquet part files (one per flush):

* ``quotes/``: ts_ns, symbol, venue, yes_bid, yes_ask, bid_size, ask_size
* ``trades/``: ts_ns (snapshot), trade_ts_ns, symbol, yes_price, size, taker_side
* ``forecasts/``: ts_ns, source, variable, mean, sigma, members (list), age_s
* ``odds/``: ts_ns, symbol, book, yes, no, age_s
* ``terms/``: symbol, domain, variable, strike, above, settles_ns (latest wins)
* ``settlements/``: variable, value (the settled value of each variable, when known)

``session.json`` holds the provenance: ``kind`` is ``recorded`` (written by
``tradefleet data record`` from the live venues) or ``synthetic`` (generated; see
``fixtures/generate_synthetic.py``), with the source, venues, markets and interval. Every part
file repeats it in its Parquet metadata, so a lone file still says where it came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradefleet.bots.prediction.market import (BinaryQuote, BookOdds, ContractTerms, Forecast, PredictionSnapshot, Trade)
from tradefleet.orchestrator.errors import DataError

TABLES = ("quotes", "trades", "forecasts", "odds", "terms", "settlements")
MANIFEST = "session.json"


@dataclass
class Session:
    """A loaded session: snapshots in time order, settled values and provenance."""

    snapshots: list[PredictionSnapshot]
    settlements: dict[str, float]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return self.provenance.get("kind") != "recorded"


class SessionWriter:
    """Appends snapshots to a session folder (a part file per table per flush)."""

    def __init__(self, path: str | Path, provenance: Mapping[str, Any]) -> None:
        kind = provenance.get("kind")
        if kind not in ("recorded", "synthetic"):
            raise DataError(f"session provenance kind must be 'recorded' or 'synthetic', got {kind!r}")
        self.path = Path(path)
        self.provenance = dict(provenance)
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.parts = 0
        self._terms: dict[str, ContractTerms] = {}

    def open(self) -> SessionWriter:
        """Create the folder and its manifest (an existing session of another kind is refused)."""
        manifest = self.path / MANIFEST
        if manifest.is_file():
            old = json.loads(manifest.read_text())
            if old.get("kind") != self.provenance["kind"]:
                raise DataError(f"{self.path}: holds a {old.get('kind')} session; write {self.provenance['kind']} "
                                "data elsewhere")
            self.parts = int(old.get("parts", 0))
        self.path.mkdir(parents=True, exist_ok=True)
        self._manifest()
        return self

    def append(self, snap: PredictionSnapshot) -> None:
        ts = snap.ts_ns
        self.rows["quotes"] += [{"ts_ns": ts, "symbol": q.symbol, "venue": q.venue, "yes_bid": q.yes_bid,
                                 "yes_ask": q.yes_ask, "bid_size": q.bid_size, "ask_size": q.ask_size}
                                for q in snap.quotes.values()]
        self.rows["trades"] += [{"ts_ns": ts, "trade_ts_ns": t.ts_ns, "symbol": t.symbol, "yes_price": t.yes_price,
                                 "size": t.size, "taker_side": t.taker_side}
                                for ts_ in snap.trades.values() for t in ts_]
        self.rows["forecasts"] += [{"ts_ns": ts, "source": f.source, "variable": f.variable, "mean": f.mean,
                                    "sigma": f.sigma, "members": list(f.members),
                                    "age_s": float(snap.ages.get(f"{f.source}:{f.variable}", 0.0))}
                                   for fs in snap.forecasts.values() for f in fs]
        self.rows["odds"] += [{"ts_ns": ts, "symbol": sym, "book": o.book, "yes": o.yes, "no": o.no,
                               "age_s": float(snap.ages.get(f"odds:{sym}", 0.0))}
                              for sym, books in snap.odds.items() for o in books]
        for sym, t in snap.terms.items():
            if self._terms.get(sym) != t:
                self._terms[sym] = t
                self.rows["terms"].append({"symbol": sym, "domain": t.domain, "variable": t.variable,
                                           "strike": t.strike, "above": t.above, "settles_ns": t.settles_ns})

    def settle(self, values: Mapping[str, float]) -> None:
        """Record settled values of variables (appended; the last value of a variable wins)."""
        self.rows["settlements"] += [{"variable": k, "value": float(v)} for k, v in values.items()]

    def flush(self) -> int:
        """Write the buffered rows as one part file per table; return the rows written."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        written = 0
        meta = {b"tradefleet.provenance": json.dumps(self.provenance, sort_keys=True).encode()}
        for table, rows in self.rows.items():
            if not rows:
                continue
            tbl = pa.Table.from_pylist(rows).replace_schema_metadata(meta)
            folder = self.path / table
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(tbl, folder / f"part-{self.parts:06d}.parquet", compression="zstd")
            written += len(rows)
            self.rows[table] = []
        self.parts += 1
        self._manifest()
        return written

    def _manifest(self) -> None:
        (self.path / MANIFEST).write_text(json.dumps({**self.provenance, "parts": self.parts}, indent=1,
                                                     sort_keys=True) + "\n")


def _table(path: Path, name: str) -> Any:
    import pyarrow.parquet as pq

    folder = path / name
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    import pyarrow as pa

    try:
        return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default").to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"{folder}: unreadable Parquet: {exc}") from None


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The session's manifest (DataError when there is none)."""
    manifest = Path(path) / MANIFEST
    if not manifest.is_file():
        raise DataError(f"{path}: not a prediction session (no {MANIFEST})")
    try:
        out: dict[str, Any] = json.loads(manifest.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{manifest}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    return out


def load_session(path: str | Path) -> Session:
    """Read a session folder back into snapshots (one per distinct ``ts_ns`` of the quotes)."""
    with system_arrow_pool():
        return _load_session(Path(path))


@contextmanager
def system_arrow_pool() -> Iterator[None]:
    """Arrow allocates through the system allocator inside the block.

    Arrow's default pool (mimalloc) keeps the pages it touched while decoding Parquet and
    converting to pandas after the tables are freed: about 30 MB of a replay's peak RSS for
    the bundled session. What is read is the same either way. ``read_table`` takes no pool,
    so the process's default pool is swapped for the block and put back after it."""
    import pyarrow as pa

    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def _load_session(path: Path) -> Session:
    prov = read_provenance(path)
    quotes = _table(path, "quotes")
    if quotes is None or quotes.empty:
        raise DataError(f"{path}: the session has no quotes")
    terms = _terms(_table(path, "terms"))
    import numpy as np

    bid, ask = quotes["yes_bid"].to_numpy(float), quotes["yes_ask"].to_numpy(float)
    bad = np.flatnonzero(~((bid >= 0) & (bid <= ask) & (ask <= 1)))
    if bad.size:  # checked on the columns at once: one line naming the first bad row
        r = quotes.iloc[int(bad[0])]
        raise DataError(f"{path}/quotes: row {int(bad[0])} ({r.symbol} at {r.ts_ns}): need 0 <= bid ({r.yes_bid}) "
                        f"<= ask ({r.yes_ask}) <= 1")
    # per snapshot time: quotes, then the other tables only where they have rows (the columns
    # are walked once each; objects are built without re-validating what was checked above)
    by_ts: dict[int, dict[str, BinaryQuote]] = {}
    extra: dict[int, dict[str, dict[str, Any]]] = {}
    new, setattr_ = object.__new__, object.__setattr__
    cols = zip(quotes["ts_ns"].tolist(), quotes["symbol"].tolist(), quotes["venue"].tolist(), bid.tolist(),
               ask.tolist(), quotes["bid_size"].tolist(), quotes["ask_size"].tolist(), strict=True)
    get = by_ts.get
    for ts, sym, venue, b, a, bs, az in cols:
        q = new(BinaryQuote)  # validated above, column-wise
        setattr_(q, "__dict__", {"symbol": sym, "venue": venue, "yes_bid": b, "yes_ask": a, "ts_ns": ts,
                                 "bid_size": bs, "ask_size": az})
        slot = get(ts)
        if slot is None:
            slot = by_ts[ts] = {}
        slot[sym] = q

    def part(ts: int, name: str) -> dict[str, Any] | None:
        if ts not in by_ts:
            return None
        e = extra.get(ts)
        if e is None:
            e = extra[ts] = {}
        d = e.get(name)
        if d is None:
            d = e[name] = {}
        return d

    for r in _rows(_table(path, "forecasts")):
        ts = int(r.ts_ns)
        fcs = part(ts, "forecasts")
        if fcs is None:
            continue
        fc = Forecast(r.source, r.variable, float(r.mean), float(r.sigma), tuple(float(x) for x in r.members))
        fcs[r.variable] = (*fcs.get(r.variable, ()), fc)
        part(ts, "ages")[f"{r.source}:{r.variable}"] = float(r.age_s)  # type: ignore[index]
    for r in _rows(_table(path, "odds")):
        ts = int(r.ts_ns)
        odds = part(ts, "odds")
        if odds is not None:
            odds[r.symbol] = (*odds.get(r.symbol, ()), BookOdds(r.book, float(r.yes), float(r.no)))
            part(ts, "ages")[f"odds:{r.symbol}"] = float(r.age_s)  # type: ignore[index]
    for r in _rows(_table(path, "trades")):
        trades = part(int(r.ts_ns), "trades")
        if trades is not None:
            t = Trade(r.symbol, int(r.trade_ts_ns), float(r.yes_price), float(r.size), r.taker_side)
            trades[r.symbol] = (*trades.get(r.symbol, ()), t)
    from tradefleet.bots.prediction.whale import WhaleTracker

    whales = WhaleTracker()
    snaps = []
    empty: dict[str, Any] = {}  # shared by snapshots without such rows (read-only mappings)
    terms_of: dict[tuple[str, ...], dict[str, ContractTerms]] = {}
    for ts in sorted(by_ts):
        qs = by_ts[ts]
        e = extra.get(ts, empty)
        trades = e.get("trades", empty)
        for sym_trades in trades.values():
            whales.observe_all(sym_trades)
        flow = {sym: round(whales.at(sym, ts), 6) for sym in qs} if whales.estimate else empty
        key = tuple(qs)
        tm = terms_of.get(key)
        if tm is None:
            tm = terms_of[key] = {k: v for k, v in terms.items() if k in qs}
        snap = new(PredictionSnapshot)
        setattr_(snap, "__dict__", {"ts_ns": ts, "quotes": qs, "terms": tm, "forecasts": e.get("forecasts", empty),
                                    "odds": e.get("odds", empty), "trades": trades, "ages": e.get("ages", empty),
                                    "notes": empty, "flow": flow})
        snaps.append(snap)
    settled = {str(r.variable): float(r.value) for r in _rows(_table(path, "settlements"))}
    return Session(snaps, settled, prov)


def _rows(frame: Any) -> Iterable[Any]:
    return () if frame is None else frame.itertuples(index=False)


def _terms(frame: Any) -> dict[str, ContractTerms]:
    out: dict[str, ContractTerms] = {}
    for r in _rows(frame):
        out[r.symbol] = ContractTerms(r.symbol, r.domain, r.variable, float(r.strike), bool(r.above), int(r.settles_ns))
    return out
