"""The DataHub: one place where bots, ensemble sources and the prediction engine get data.

Market data goes through the provider chain (primary -> fallback -> skip) with bar
checks, causal resampling and the Parquet cache for remote providers. Alternative data
sources get their :class:`~tradefleet.scrapers.http.SourceClient` (limits, cache, retries) from here,
live or offline: offline (recorded fixtures) when ``[data].offline`` says so, in replay,
or when the source's key is not set. Every answer's provenance goes to the provenance log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.duration import parse_timeframe
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.cache import ParquetBarCache
from tradefleet.scrapers.chain import BarAnswer, SourceChain
from tradefleet.scrapers.config import DataConfig
from tradefleet.scrapers.http import SourceClient
from tradefleet.scrapers.limits import BudgetLedger, Guard, Sleeper
from tradefleet.scrapers.provenance import ProvenanceLog

if TYPE_CHECKING:
    import httpx

    from tradefleet.orchestrator.services import Services
    from tradefleet.scrapers.providers import BarProvider


def builtin_providers() -> dict[str, type[Any]]:
    """The bar providers shipped with tradefleet, by name."""
    from tradefleet.scrapers.providers.local import BundledProvider, FileProvider
    from tradefleet.scrapers.providers.remote import AlpacaBarsProvider, CcxtOhlcvProvider, OandaCandlesProvider

    return {c.name: c for c in (BundledProvider, FileProvider, CcxtOhlcvProvider, AlpacaBarsProvider, OandaCandlesProvider)}


class DataHub:
    """Market and alternative data under one config, one clock and one provenance log."""

    def __init__(self, config: DataConfig, clock: Clock, *, app_mode: str = "replay",
                 providers: Mapping[str, BarProvider] | None = None, sleep: Sleeper | None = None,
                 environ: Mapping[str, str] | None = None,
                 transports: Mapping[str, httpx.BaseTransport] | None = None) -> None:
        self.config = config
        self.clock = clock
        self.app_mode = app_mode
        self.environ = os.environ if environ is None else environ
        self.sleep = sleep
        self.transports = dict(transports or {})
        root = Path(config.cache_dir)
        self.cache = ParquetBarCache(root)
        self.log = ProvenanceLog(root / "provenance.jsonl")
        self.ledger = BudgetLedger(root / "budgets.json")
        self._providers: dict[str, BarProvider] = {n: self._guarded(n, p) for n, p in (providers or {}).items()}
        self._chain: SourceChain | None = None
        self._clients: dict[str, SourceClient] = {}
        self._sources: dict[str, Any] = {}

    @classmethod
    def from_services(cls, services: Services) -> DataHub:
        """The kernel's hub (shared through ``services.extras['data_hub']``)."""
        hub = services.extras.get("data_hub")
        if hub is None:
            cfg = getattr(services.config, "data", None) or DataConfig()
            hub = services.extras["data_hub"] = cls(cfg, services.clock, app_mode=services.config.mode)
        return hub  # type: ignore[no-any-return]

    # -- market data ----------------------------------------------------------------
    def provider(self, name: str) -> BarProvider:
        """Return provider ``name`` (built-in or registered under tradefleet.providers)."""
        if name not in self._providers:
            classes = builtin_providers()
            cls = classes.get(name) or _registered_provider(name)
            if cls is None:
                raise DataError(f"unknown data provider {name!r} in [data].chain (built in: {', '.join(sorted(classes))})")
            self._providers[name] = self._guarded(name, cls.from_config(self.config, self.clock))
        return self._providers[name]

    def _guarded(self, name: str, prov: BarProvider) -> BarProvider:
        """Put a remote provider under its ``[data.policies]`` limits."""
        if not getattr(prov, "remote", False) or isinstance(prov, GuardedProvider):
            return prov
        return GuardedProvider(prov, Guard(name, self.config.policy(name), self.clock, self.sleep, self.ledger))

    @property
    def market_offline(self) -> bool:
        """Offline market data: remote providers are left out (replay must never touch a venue)."""
        return self.config.offline if self.config.offline is not None else self.app_mode == "replay"

    @property
    def chain(self) -> SourceChain:
        if self._chain is None:
            providers = [self.provider(n) for n in self.config.chain]
            if self.market_offline:
                providers = [p for p in providers if not getattr(p, "remote", False)]
                if not providers:
                    raise DataError(f"every provider in [data].chain ({', '.join(self.config.chain)}) is remote, "
                                    f"but market data is offline ({self.app_mode} mode); add 'bundled' or 'file'")
            self._chain = SourceChain(providers, self.clock, outlier_sigma=self.config.outlier_sigma,
                                      stale_bars=self.config.stale_bars)
        return self._chain

    def bars(self, symbol: str, tf: str | None = None, start_ns: int | None = None, end_ns: int | None = None,
             require_fresh: bool = True) -> BarAnswer:
        """Ask the chain for ``symbol``; a remote answer is merged into the Parquet cache.

        A skipped answer has no frame: the cache is history, never a substitute price."""
        tf = str(parse_timeframe(tf or self.config.timeframe))
        cached_last = self.cache.last_ts(symbol, tf)
        if cached_last is not None and start_ns is not None and start_ns > cached_last + 1:
            cached_last = None  # the cache ends before the range asked for: nothing to reuse
        answer = self.chain.fetch(symbol, tf, start_ns, end_ns, require_fresh=require_fresh,
                                  cached_last_ns=cached_last)
        if answer.provenance is not None and answer.frame is not None and len(answer.frame):
            self.log.record(answer.provenance, symbol=symbol, timeframe=tf, bars=len(answer.frame))
        if answer.skipped or answer.frame is None:
            return answer
        if getattr(self.provider(answer.source or ""), "remote", False):
            if len(answer.frame):
                self.cache.write(symbol, tf, answer.frame, answer.source or "")
            from dataclasses import replace

            return replace(answer, frame=self.cache.read(symbol, tf, start_ns, end_ns))
        return answer

    # -- alternative data -------------------------------------------------------------
    def is_offline(self, source: str, keyed: bool) -> bool:
        """Offline: forced by config, always in replay, or a keyed source without its key."""
        if self.config.offline is not None:
            return self.config.offline
        if self.app_mode == "replay":
            return True
        return keyed and self.secret(source) is None

    def secret(self, source: str) -> str | None:
        """The key of ``source`` from its env reference, or None when unset."""
        ref = self.config.key(source)
        if ref is None:
            return None
        return self.environ.get(ref.removeprefix("env:")) or None

    def client(self, source: str, default_base: str, *, keyed: bool = False, headers: dict[str, str] | None = None,
               key_param: str | None = None, key_header: str | None = None) -> SourceClient:
        """The (shared) HTTP client of ``source``, live or on its recorded fixtures."""
        if source in self._clients:
            return self._clients[source]
        offline = self.is_offline(source, keyed)
        hdrs = {"User-Agent": self.config.user_agent, **(headers or {})}
        params: dict[str, str] = {}
        key = None if offline else self.secret(source)
        if keyed and not offline and key is None:
            raise DataError(f"{source}: no API key; set the variable named by [data.keys].{source} or run offline")
        if key is not None and key_param:
            params[key_param] = key
        if key is not None and key_header:
            hdrs[key_header] = key
        client = SourceClient(source, self.config.base_urls.get(source, default_base), self.config.policy(source),
                              self.clock, offline=offline, sleep=self.sleep, headers=hdrs, params=params,
                              secret_params=(key_param,) if key_param else (), transport=self.transports.get(source),
                              ledger=self.ledger)
        self._clients[source] = client
        return client

    def source(self, name: str) -> Any:
        """The alternative-data source ``name`` (fred, gdpnow, openmeteo, nws, clevelandfed, odds, news, funding)."""
        if name not in self._sources:
            cls = _registered_source(name)
            if cls is None:
                raise DataError(f"unknown data source {name!r} (have {', '.join(_registered_sources())})")
            self._sources[name] = cls.from_hub(self)
        return self._sources[name]

    def close(self) -> None:
        for c in self._clients.values():
            c.close()


class GuardedProvider:
    """A remote provider under its source limits: budget, rate limit, 429 cooldown, read retries."""

    remote = True

    def __init__(self, inner: BarProvider, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard
        self.name = inner.name

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> Any:
        return self.guard.call(lambda: self.inner.bars(symbol, tf, start_ns, end_ns), f"bars {symbol} {tf}")


def _registered_provider(name: str) -> type[Any] | None:
    import importlib.metadata as md

    for ep in md.entry_points(group="tradefleet.providers"):
        if ep.name == name:
            obj = ep.load()
            return obj if hasattr(obj, "from_config") else None
    return None


def _registered_source(name: str) -> type[Any] | None:
    """The alternative-data source registered as ``name`` under tradefleet.providers.

    Sources are plugins of the hub, found the way bots are (the hub never imports them:
    they import the hub)."""
    import importlib.metadata as md

    for ep in md.entry_points(group="tradefleet.providers"):
        if ep.name == name:
            obj = ep.load()
            return obj if hasattr(obj, "from_hub") else None
    return None


def _registered_sources() -> list[str]:
    import importlib.metadata as md

    return sorted(ep.name for ep in md.entry_points(group="tradefleet.providers") if hasattr(ep.load(), "from_hub"))
