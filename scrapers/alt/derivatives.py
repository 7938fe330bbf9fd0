"""Crypto perpetual funding rates and open interest through ccxt (public endpoints, no key).

Offline, ccxt's own requests session gets a transport adapter that answers from the
recorded exchange responses in ``scrapers/fixtures/funding``, so the same ccxt parsing code
runs on them. Answers are cached for the source's TTL and counted against its budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.alt.base import AltSource
from tradefleet.scrapers.limits import Guard, TTLCache
from tradefleet.scrapers.provenance import Provenance, Sourced


@dataclass(frozen=True, slots=True)
class Derivatives:
    """Funding and open interest of one perpetual."""

    symbol: str
    funding_rate: float
    next_funding_ns: int | None
    mark_price: float | None
    open_interest: float | None
    open_interest_value: float | None


class FundingSource(AltSource):
    """Source ``funding``: perpetual funding rate and open interest via ccxt (default binance USD-M)."""

    name: ClassVar[str] = "funding"
    description: ClassVar[str] = "crypto funding rates and open interest via ccxt"

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        pol = hub.config.policy(self.name)
        self.policy = pol
        self.guard = Guard(self.name, pol, hub.clock, hub.sleep, hub.ledger)
        self.cache: TTLCache[Sourced[Derivatives]] = TTLCache(pol.ttl_seconds, hub.clock)
        self._ex: Any = None

    @property
    def exchange(self) -> Any:
        if self._ex is None:
            from tradefleet.scrapers.providers.remote import make_ccxt
            from tradefleet.scrapers.recorded import fixture_adapter

            offline = self.offline
            base = self.hub.config.base_urls.get(self.name)
            ex = make_ccxt(self.hub.config.ccxt_exchange, self.policy.timeout_seconds, base,
                           {"defaultType": "swap", "fetchMarkets": {"types": ["linear"]},
                            "fetchCurrencies": False, "fetchMargins": False})
            if offline:
                if self.hub.config.ccxt_exchange != "binance":
                    raise DataError("funding: recorded fixtures exist for binance only; set [data].ccxt_exchange")
                ex.session.mount("https://", fixture_adapter(self.name))
                ex.session.mount("http://", fixture_adapter(self.name))
            self._ex = ex
        return self._ex

    def latest(self, symbol: str = "BTC/USDT:USDT") -> Sourced[Derivatives]:
        """Funding rate, next funding time, mark price and open interest of ``symbol``."""
        hit = self.cache.get(symbol)
        if hit is not None:
            return Sourced(hit.value.value, hit.value.provenance.cached(), hit.value.meta)

        def read() -> tuple[dict[str, Any], dict[str, Any]]:
            from tradefleet.scrapers.providers.remote import ccxt_error

            try:
                return self.exchange.fetch_funding_rate(symbol), self.exchange.fetch_open_interest(symbol)
            except Exception as exc:  # ccxt's error tree: transient vs final decided by ccxt_error
                raise ccxt_error(exc, self.exchange, f"funding: {self.exchange.id} {symbol}") from None

        fr, oi = read() if self.offline else self.guard.call(read, f"funding {symbol}", requests=2)
        rate = fr.get("fundingRate")
        if rate is None:
            raise DataError(f"funding: {self.exchange.id} returned no funding rate for {symbol}")
        value = Derivatives(symbol, float(rate), _ms(fr.get("fundingTimestamp") or fr.get("nextFundingTimestamp")),
                            _f(fr.get("markPrice")), _f(oi.get("openInterestAmount")), _f(oi.get("openInterestValue")))
        now = self.hub.clock.now_ns()
        pub = _ms(fr.get("timestamp"))
        prov = Provenance(self.name, f"ccxt:{self.exchange.id}:{symbol}", now, pub, self.offline)
        self.hub.log.record(prov, symbol=symbol)
        out = Sourced(value, prov, {"exchange": self.exchange.id})
        self.cache.put(symbol, out)
        return out

    def sample(self) -> Any:
        return self.latest()


def _ms(v: Any) -> int | None:
    return None if v is None else int(v) * 1_000_000


def _f(v: Any) -> float | None:
    return None if v is None else float(v)
