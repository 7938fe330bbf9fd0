"""Option chains from files of real quotes: the replay's chain source for an underlying
mapped under ``[options.chain_files]`` (instead of the model-priced chain).

One CSV or Parquet file per underlying, one row per contract per quote date (header
names are case-insensitive, extra columns are ignored)::

    date,underlying,expiry,strike,right,bid,ask,last,volume,open_interest,iv
    2015-01-23,GOOG,2015-02-20,500,put,6.10,6.40,6.25,120,3400,0.27

- ``date`` (or ``ts``/``quote_date``/``timestamp``): the session the quote closes;
  ``YYYY-MM-DD``, or a timestamp with an offset (its New York date is used). The chain of
  a session is the one a bot sees at that session's close, and the one its legs fill on.
- ``expiry`` (``YYYY-MM-DD``), ``strike``, ``right`` (call/put/C/P; also ``type``), or an
  OCC ``symbol`` that encodes them; ``underlying`` defaults to the configured one.
- ``bid`` and ``ask`` are required (the paper broker fills at them); ``last``, ``volume``,
  ``open_interest``, ``iv`` are optional and checked when present.
- Style, settlement and multiplier follow the underlying's listing
  (:func:`tradefleet.risk.options.model_chain.model_for`: SPX European and cash-settled,
  anything else American and physically settled); a ``style`` column must agree.

Every refusal is one line naming the file, the line (the header is line 1; a Parquet file
says ``row``) and the value: a missing column, a bad date/number/right, bid above ask, a
quote dated after its expiry, a contract quoted twice on one date, a row on another
underlying. Nothing is returned from a file that fails, so a replay stores nothing.

A chain built here carries ``provenance = "quotes from <file>"``, never "model-priced".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from tradefleet.risk.options.chain import _ALIASES, NEW_YORK, OptionChain, OptionQuote, _opt, _row_quote
from tradefleet.risk.options.errors import ChainDataError
from tradefleet.risk.options.model_chain import model_for

_DATE_COLUMNS = ("date", "ts", "quote_date", "timestamp", "datetime")
_RIGHT_COLUMNS = ("right", "put_call", "call_put")


@dataclass(frozen=True)
class QuoteFile:
    """The quotes of one underlying, by session date."""

    path: Path
    underlying: str
    days: Mapping[date, tuple[OptionQuote, ...]]
    _index: dict[date, dict[str, OptionQuote]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {d: {q.contract.symbol: q for q in qs} for d, qs in self.days.items()})

    @property
    def provenance(self) -> str:
        return f"quotes from {self.path}"

    def chain(self, day: date, asof_ns: int, spot: float | None) -> OptionChain | None:
        """The chain quoted on ``day`` (None if the file has no quote that day)."""
        quotes = self.days.get(day)
        if not quotes:
            return None
        return OptionChain(self.underlying, asof_ns, quotes, spot=spot, provenance=self.provenance)

    def quote(self, day: date, symbol: str) -> OptionQuote | None:
        """The quote of the OCC ``symbol`` on ``day``, if the file has one."""
        return self._index.get(day, {}).get(symbol)


def load_quote_file(path: str | Path, underlying: str) -> QuoteFile:
    """Read and validate the quote file of ``underlying`` (see the module doc)."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise ChainDataError(f"{p}: option quote file not found")
    if p.is_dir():
        raise ChainDataError(f"{p}: is a directory, not an option quote file")
    parquet = p.suffix.lower() in (".parquet", ".pq")
    try:
        raw = pd.read_parquet(p) if parquet else pd.read_csv(p, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises many types for malformed files
        msg = " ".join(str(exc).split())
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        if m:
            raise ChainDataError(f"{p}: line {m.group(2)}: {m.group(3)} fields where the header has {m.group(1)} "
                                 "(a decimal comma? write 1.5, not 1,5)") from None
        raise ChainDataError(f"{p}: cannot read: {msg}") from None
    cols = [str(c).strip().lower() for c in raw.columns]
    cols = ["type" if c in _RIGHT_COLUMNS else _ALIASES.get(c, c) for c in cols]
    raw.columns = cols
    when = next((c for c in _DATE_COLUMNS if c in cols), None)
    if when is None:
        raise ChainDataError(f"{p}: needs a date column (date or ts): has {', '.join(cols) or 'no columns'}")
    if "symbol" not in cols and not {"type", "strike", "expiry"} <= set(cols):
        raise ChainDataError(f"{p}: needs columns expiry, strike, right (or an OCC symbol column)")
    for need in ("bid", "ask"):
        if need not in cols:
            raise ChainDataError(f"{p}: needs a {need} column (legs fill at the bid and ask)")
    model = model_for(underlying)
    days: dict[date, dict[str, OptionQuote]] = {}
    for i, row in enumerate(raw.to_dict("records")):
        where = f"{p}: row {i + 1}" if parquet else f"{p}: line {i + 2}"
        text = {k: "" if v is None or (isinstance(v, float) and v != v) else str(v).strip() for k, v in row.items()}
        day = _day(where, when, text[when])
        style = text.pop("style", "").lower()
        if style and style != model.style:
            raise ChainDataError(f"{where}: style: {style!r} but {underlying} options are listed {model.style}")
        if text.get("underlying") and text["underlying"] != underlying:
            raise ChainDataError(f"{where}: underlying: {text['underlying']!r} in the quote file of {underlying}")
        try:
            q = _row_quote(p, i + 2, {**text, "underlying": underlying}, underlying)
        except ChainDataError as exc:
            raise ChainDataError(str(exc).replace(f"{p}: line {i + 2}", where, 1)) from None
        q = replace(q, contract=replace(q.contract, style=model.style, multiplier=model.multiplier))
        for side in ("bid", "ask"):
            if getattr(q, side) is None:
                raise ChainDataError(f"{where}: {side}: empty (legs fill at the bid and ask)")
        _opt(where, "volume", text.get("volume"))
        if q.contract.expiry < day:
            raise ChainDataError(f"{where}: expiry {q.contract.expiry} is before the quote date {day}")
        on_day = days.setdefault(day, {})
        if q.contract.symbol in on_day:
            raise ChainDataError(f"{where}: {q.contract.symbol} is quoted twice on {day}")
        on_day[q.contract.symbol] = q
    if not days:
        raise ChainDataError(f"{p}: no quotes")
    return QuoteFile(p, underlying, {d: tuple(qs.values()) for d, qs in sorted(days.items())})


def _day(where: str, column: str, raw: str) -> date:
    import pandas as pd

    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        ts = pd.Timestamp(raw)
    except ValueError:
        raise ChainDataError(f"{where}: {column}: {raw!r} is not a date (YYYY-MM-DD) or timestamp") from None
    if ts is pd.NaT:
        raise ChainDataError(f"{where}: {column}: empty")
    if ts.tzinfo is None:
        if ts == ts.normalize():  # a date stored as midnight (Parquet date columns)
            return ts.date()
        raise ChainDataError(f"{where}: {column}: {raw!r} has a time but no offset (write Z or +00:00)")
    return ts.tz_convert(NEW_YORK).date()


def load_chain_files(files: Mapping[str, str]) -> dict[str, QuoteFile]:
    """Load every ``underlying -> file`` of ``[options.chain_files]`` (all or none)."""
    return {u: load_quote_file(f, u) for u, f in sorted(files.items())}


def chain_sources(listing: Any) -> dict[str, str]:
    """Where each underlying's chain comes from in a run (for the summary)."""
    from tradefleet.risk.options.model_chain import PROVENANCE

    out = {u: (listing.files[u].provenance if u in listing.files else PROVENANCE) for u in listing.underlyings}
    for u in getattr(listing, "sources", {}):  # paper/live: the last live chain's label (with its time)
        got = listing._fetched.get(u)
        out[u] = got[1].provenance if got is not None else "live source, not fetched yet"
    return out
