"""The option chain model and its CSV loader.

A chain is the set of quotes on one underlying at one instant (``asof_ns``, UTC int ns):
contracts (kind, strike, expiry, style, multiplier, OCC symbol) with bid/ask, implied
volatility and open interest, any of which may be missing. Contracts expire at the US
equity close (16:00 America/New_York) of their expiry date; year fractions are ACT/365.

CSV layout (header names are case-insensitive; extra columns are ignored)::

    symbol,underlying,type,strike,expiry,bid,ask,iv,open_interest,last,style
    SPY240119C00450000,SPY,call,450,2024-01-19,12.1,12.3,0.142,10234,12.2,american

Required: ``type`` (call/put/C/P), ``strike``, ``expiry`` (YYYY-MM-DD) *or* an OCC
``symbol`` that encodes them. ``underlying`` defaults to the loader argument.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.risk.options.errors import ChainDataError

if TYPE_CHECKING:
    import pandas as pd

OptionKind = Literal["call", "put"]
Style = Literal["european", "american"]
YEAR_NS = 365 * 86_400 * 1_000_000_000
EXPIRY_TIME = time(16, 0)
NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True, slots=True)
class OptionContract:
    """One listed option."""

    underlying: str
    kind: OptionKind
    strike: float
    expiry: date
    style: Style = "american"
    multiplier: int = 100

    def __post_init__(self) -> None:
        if self.kind not in ("call", "put"):
            raise ChainDataError(f"contract on {self.underlying}: kind {self.kind!r} is not call/put")
        if not (self.strike > 0 and math.isfinite(self.strike)):
            raise ChainDataError(f"contract on {self.underlying}: strike {self.strike!r} must be > 0")

    @property
    def symbol(self) -> str:
        """Return the OCC symbol, e.g. ``SPY240119C00450000``."""
        return _occ_symbol(self)

    def expiry_ns(self) -> int:
        """Return the expiry instant (16:00 New York on the expiry date) in UTC ns."""
        return _expiry_ns(self.expiry)

    def years_to_expiry(self, asof_ns: int) -> float:
        """Return ACT/365 years from ``asof_ns`` to expiry (negative once expired)."""
        return (self.expiry_ns() - asof_ns) / YEAR_NS


@lru_cache(maxsize=16384)
def _occ_symbol(c: OptionContract) -> str:
    """The OCC symbol of ``c`` (model chains share their contracts from bar to bar and each
    chain indexes its quotes by symbol: one formatting per contract)."""
    return f"{c.underlying}{c.expiry:%y%m%d}{'C' if c.kind == 'call' else 'P'}{round(c.strike * 1000):08d}"


@lru_cache(maxsize=4096)
def _expiry_ns(expiry: date) -> int:
    """16:00 New York on ``expiry`` in UTC ns (a chain asks for each of its contracts)."""
    return dt_to_ns(datetime.combine(expiry, EXPIRY_TIME, NEW_YORK))


def parse_occ(symbol: str, style: Style = "american", multiplier: int = 100) -> OptionContract:
    """Parse an OCC option symbol (``ROOT YYMMDD C|P STRIKE*1000``) into a contract: the
    kernel's reader (:func:`tradefleet.orchestrator.occ.parse_occ`), as a chain contract."""
    from tradefleet.orchestrator.occ import OccSymbolError
    from tradefleet.orchestrator.occ import parse_occ as parse_spec

    try:
        spec = parse_spec(symbol)
    except OccSymbolError as exc:
        raise ChainDataError(str(exc)) from None
    return OptionContract(spec.underlying, spec.right, float(spec.strike), spec.expiry, style, multiplier)


@dataclass(frozen=True, slots=True)
class OptionQuote:
    """A contract with its market: bid/ask, implied volatility, open interest, last trade."""

    contract: OptionContract
    bid: float | None = None
    ask: float | None = None
    iv: float | None = None
    open_interest: int | None = None
    last: float | None = None

    @property
    def mid(self) -> float | None:
        """Return the bid/ask midpoint, or the one side quoted, or the last trade."""
        if self.bid is not None and self.ask is not None:
            return 0.5 * (self.bid + self.ask)
        return self.ask if self.ask is not None else self.bid if self.bid is not None else self.last

    @property
    def spread(self) -> float | None:
        return None if self.bid is None or self.ask is None else self.ask - self.bid


@dataclass(frozen=True)
class OptionChain:
    """All quotes on one underlying at ``asof_ns``, sorted by expiry, kind, strike."""

    underlying: str
    asof_ns: int
    quotes: tuple[OptionQuote, ...]
    spot: float | None = None
    provenance: str = ""
    """Where the quotes come from; a model-priced chain says so (never "recorded")."""
    _index: dict[tuple[str, float, date], OptionQuote] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.quotes, key=lambda q: (q.contract.expiry, q.contract.kind, q.contract.strike)))
        object.__setattr__(self, "quotes", ordered)
        index: dict[tuple[str, float, date], OptionQuote] = {}
        for q in ordered:
            c = q.contract
            if c.underlying != self.underlying:
                raise ChainDataError(f"chain {self.underlying}: quote {c.symbol} is on {c.underlying}")
            key = (c.kind, c.strike, c.expiry)
            if key in index:
                raise ChainDataError(f"chain {self.underlying}: {c.symbol} is quoted twice")
            index[key] = q
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.quotes)

    def __iter__(self) -> Iterator[OptionQuote]:
        return iter(self.quotes)

    def expiries(self) -> list[date]:
        """Return the distinct expiry dates, soonest first."""
        return sorted({q.contract.expiry for q in self.quotes})

    def strikes(self, expiry: date | None = None) -> list[float]:
        """Return the distinct strikes (of one expiry if given), ascending."""
        return sorted({q.contract.strike for q in self.quotes if expiry is None or q.contract.expiry == expiry})

    def select(self, kind: OptionKind | None = None, expiry: date | None = None,
               min_strike: float | None = None, max_strike: float | None = None) -> OptionChain:
        """Return the sub-chain matching every filter given."""
        def keep(q: OptionQuote) -> bool:
            c = q.contract
            return ((kind is None or c.kind == kind) and (expiry is None or c.expiry == expiry)
                    and (min_strike is None or c.strike >= min_strike)
                    and (max_strike is None or c.strike <= max_strike))

        return replace(self, quotes=tuple(q for q in self.quotes if keep(q)))

    def quote(self, kind: OptionKind, strike: float, expiry: date) -> OptionQuote:
        """Return one quote or raise ChainDataError naming the missing contract."""
        try:
            return self._index[(kind, float(strike), expiry)]
        except KeyError:
            raise ChainDataError(f"chain {self.underlying}: no {kind} {strike:g} expiring {expiry}") from None

    def find(self, contract: OptionContract) -> OptionQuote | None:
        """Return the quote of ``contract`` if the chain has it."""
        return self._index.get((contract.kind, contract.strike, contract.expiry))

    def by_symbol(self, symbol: str) -> OptionQuote | None:
        """Return the quote whose contract's OCC symbol is ``symbol`` (the first in chain
        order if two strikes round to one symbol), or None."""
        return self._by_symbol.get(symbol)

    @cached_property
    def _by_symbol(self) -> dict[str, OptionQuote]:
        out: dict[str, OptionQuote] = {}
        for q in self.quotes:
            out.setdefault(q.contract.symbol, q)
        return out

    def nearest_expiry(self, years: float) -> date:
        """Return the listed expiry closest to ``years`` from ``asof_ns``."""
        live = [e for e in self.expiries() if self._years(e) > 0]
        if not live:
            raise ChainDataError(f"chain {self.underlying}: no unexpired contracts")
        return min(live, key=lambda e: abs(self._years(e) - years))

    def _years(self, expiry: date) -> float:
        return OptionContract(self.underlying, "call", 1.0, expiry).years_to_expiry(self.asof_ns)

    def with_implied_vols(self, rate: float, dividend: float = 0.0, overwrite: bool = False,
                          steps: int = 200) -> OptionChain:
        """Return a chain whose missing IVs are solved from the mids (needs ``spot``).

        European contracts are solved together (vectorised BSM); American ones one by one
        on a ``steps``-step binomial tree. Quotes without a solution keep ``iv=None``.
        """
        import numpy as np

        from tradefleet.risk.options.errors import ImpliedVolError
        from tradefleet.risk.options.implied import implied_vol, implied_vol_array

        if self.spot is None:
            raise ChainDataError(f"chain {self.underlying}: implied vols need the underlying spot")
        todo = [i for i, q in enumerate(self.quotes) if (overwrite or q.iv is None) and q.mid is not None
                and q.contract.years_to_expiry(self.asof_ns) > 0]
        if not todo:
            return self
        new = list(self.quotes)
        euro = [i for i in todo if self.quotes[i].contract.style == "european"]
        if euro:
            qs = [self.quotes[i] for i in euro]
            iv = implied_vol_array([q.mid for q in qs], [q.contract.kind for q in qs], self.spot,
                                   [q.contract.strike for q in qs],
                                   [q.contract.years_to_expiry(self.asof_ns) for q in qs], rate, dividend)
            for i, q, v in zip(euro, qs, iv, strict=True):
                new[i] = replace(q, iv=float(v) if np.isfinite(v) else None)
        for i in (i for i in todo if self.quotes[i].contract.style == "american"):
            q = self.quotes[i]
            c = q.contract
            try:
                v = implied_vol(float(q.mid), c.kind, self.spot, c.strike,  # type: ignore[arg-type]
                                c.years_to_expiry(self.asof_ns), rate, dividend, "american", steps)
            except ImpliedVolError:
                v = None
            new[i] = replace(q, iv=v)
        return replace(self, quotes=tuple(new))

    def to_frame(self) -> pd.DataFrame:
        """Return one row per quote with the CSV columns plus ``mid`` and ``years``."""
        import pandas as pd

        rows = [{"symbol": q.contract.symbol, "underlying": q.contract.underlying, "type": q.contract.kind,
                 "strike": q.contract.strike, "expiry": q.contract.expiry.isoformat(), "bid": q.bid,
                 "ask": q.ask, "iv": q.iv, "open_interest": q.open_interest, "last": q.last,
                 "style": q.contract.style, "multiplier": q.contract.multiplier, "mid": q.mid,
                 "years": q.contract.years_to_expiry(self.asof_ns)} for q in self.quotes]
        return pd.DataFrame(rows, columns=[*CSV_COLUMNS, "multiplier", "mid", "years"])


CSV_COLUMNS = ("symbol", "underlying", "type", "strike", "expiry", "bid", "ask", "iv",
               "open_interest", "last", "style")
_ALIASES = {"kind": "type", "option_type": "type", "cp": "type", "strike_price": "strike",
            "expiration": "expiry", "expiration_date": "expiry", "implied_volatility": "iv",
            "oi": "open_interest", "openinterest": "open_interest", "last_price": "last"}


def write_chain_csv(chain: OptionChain, path: Path) -> None:
    """Write ``chain`` in the CSV layout :func:`load_chain_csv` reads."""
    chain.to_frame()[list(CSV_COLUMNS)].to_csv(path, index=False)


def load_chain_csv(path: Path | str, asof_ns: int, underlying: str | None = None,
                   spot: float | None = None) -> OptionChain:
    """Read a chain from CSV; every bad value raises ChainDataError naming file, line and column."""
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ChainDataError(f"{path}: option chain file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ChainDataError(f"{path}: not a readable CSV: {' '.join(str(exc).split())}") from None
    frame.columns = [_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in frame.columns]
    if "symbol" not in frame.columns and not {"type", "strike", "expiry"} <= set(frame.columns):
        raise ChainDataError(f"{path}: needs columns type, strike, expiry (or an OCC symbol column)")
    quotes = [_row_quote(path, i + 2, row, underlying) for i, row in enumerate(frame.to_dict("records"))]
    names = {q.contract.underlying for q in quotes}
    if underlying is None:
        if len(names) != 1:
            raise ChainDataError(f"{path}: {len(names)} underlyings {sorted(names)}; pass underlying=")
        underlying = names.pop()
    return OptionChain(underlying, asof_ns, tuple(quotes), spot)


def _row_quote(path: Path, line: int, row: dict[str, Any], underlying: str | None) -> OptionQuote:
    where = f"{path}: line {line}"
    text = {k: str(v).strip() for k, v in row.items()}
    style = text.get("style", "").lower() or "american"
    if style not in ("american", "european"):
        raise ChainDataError(f"{where}: style: {style!r} is not american/european")
    if text.get("type") and text.get("strike") and text.get("expiry"):
        kind = {"c": "call", "call": "call", "p": "put", "put": "put"}.get(text["type"].lower())
        if kind is None:
            raise ChainDataError(f"{where}: type: {text['type']!r} is not call/put")
        strike = _num(where, "strike", text["strike"])
        try:
            expiry = date.fromisoformat(text["expiry"][:10])
        except ValueError:
            raise ChainDataError(f"{where}: expiry: {text['expiry']!r} is not YYYY-MM-DD") from None
        root = text.get("underlying") or underlying
        if not root and text.get("symbol"):
            root = parse_occ(text["symbol"]).underlying
        if not root:
            raise ChainDataError(f"{where}: underlying: empty (add the column or pass underlying=)")
        try:
            contract = OptionContract(root, kind, strike, expiry, style)  # type: ignore[arg-type]
        except ChainDataError as exc:
            raise ChainDataError(f"{where}: {exc}") from None
    elif text.get("symbol"):
        try:
            contract = parse_occ(text["symbol"], style)  # type: ignore[arg-type]
        except ChainDataError as exc:
            raise ChainDataError(f"{where}: {exc}") from None
        if text.get("underlying"):
            contract = replace(contract, underlying=text["underlying"])
    else:
        raise ChainDataError(f"{where}: needs type, strike and expiry, or an OCC symbol")
    bid, ask = _opt(where, "bid", text.get("bid")), _opt(where, "ask", text.get("ask"))
    if bid is not None and ask is not None and bid > ask:
        raise ChainDataError(f"{where}: bid {bid:g} is above ask {ask:g}")
    iv = _opt(where, "iv", text.get("iv"))
    if iv is not None and iv <= 0:
        raise ChainDataError(f"{where}: iv: {iv:g} must be > 0")
    oi = _opt(where, "open_interest", text.get("open_interest"))
    if oi is not None and oi != int(oi):
        raise ChainDataError(f"{where}: open_interest: {oi:g} is not a whole number")
    return OptionQuote(contract, bid, ask, iv, None if oi is None else int(oi),
                       _opt(where, "last", text.get("last")))


def _num(where: str, name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ChainDataError(f"{where}: {name}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ChainDataError(f"{where}: {name}: {raw!r} is not finite")
    return value


def _opt(where: str, name: str, raw: str | None) -> float | None:
    if raw is None or raw == "" or raw.lower() in ("nan", "null", "none"):
        return None
    value = _num(where, name, raw)
    if value < 0:
        raise ChainDataError(f"{where}: {name}: {value:g} is negative")
    return value


def chain_from_quotes(underlying: str, asof_ns: int, quotes: Iterable[OptionQuote],
                      spot: float | None = None) -> OptionChain:
    """Build a chain from any iterable of quotes (validates like the loaders)."""
    return OptionChain(underlying, asof_ns, tuple(quotes), spot)
