"""Parse venue tickers into the underlying they bet on.

Two exposures on the same underlying with opposite signs cancel (fully or partly) and are
blocked by :mod:`tradefleet.risk.blockers`. Rules, first match wins:

* Kalshi market tickers ``SERIES-EVENT-MARKET`` -> the event ``SERIES-EVENT``
  (``KXHIGHCHI-26FEB09-B38.5`` -> ``KXHIGHCHI-26FEB09``: every bucket and threshold of
  one day's Chicago high is one underlying).
* OCC option symbols (``AAPL240119C00190000``, space padded or not) -> the root (``AAPL``).
* Pairs ``BASE/QUOTE[:SETTLE]`` (ccxt style) -> ``BASE/QUOTE`` with stablecoin quotes
  (USDT, USDC, BUSD, DAI) and settle suffixes folded into USD: ``BTC/USDT`` and
  ``BTC/USD:USD`` are the same bet.
* FX written without a slash (``EURUSD``, ``EUR_USD``) -> ``EUR/USD``.
* Anything else is its own underlying (upper-cased).
"""

from __future__ import annotations

import re
from functools import lru_cache

_OCC = re.compile(r"^([A-Z.]{1,6})\s*(\d{6})([CP])(\d{8})$")
_KALSHI_PART = re.compile(r"^[A-Z0-9.]+$")
_FX6 = re.compile(r"^([A-Z]{3})[_]?([A-Z]{3})$")
_STABLE = {"USDT": "USD", "USDC": "USD", "BUSD": "USD", "DAI": "USD", "TUSD": "USD"}
_FX_CCY = {"USD", "EUR", "GBP", "JPY", "CHF", "AUD", "NZD", "CAD", "SEK", "NOK", "DKK",
           "HKD", "SGD", "MXN", "ZAR", "TRY", "PLN", "CNH"}


@lru_cache(maxsize=65_536)
def underlying(symbol: str) -> str:
    """Return the underlying of ``symbol`` (see the module doc for the rules)."""
    s = symbol.strip().upper()
    occ = _OCC.match(s)
    if occ:
        return occ.group(1)
    if "/" in s:
        base, _, rest = s.partition("/")
        quote = rest.split(":", 1)[0]
        return f"{base}/{_STABLE.get(quote, quote)}"
    fx = _FX6.match(s)
    if fx and fx.group(1) in _FX_CCY and fx.group(2) in _FX_CCY:
        return f"{fx.group(1)}/{fx.group(2)}"
    parts = s.split("-")
    if len(parts) >= 3 and all(_KALSHI_PART.match(p) for p in parts):
        return "-".join(parts[:-1])
    return s
