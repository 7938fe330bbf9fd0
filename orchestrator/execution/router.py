"""The router: which account (and so which broker) an order goes to, and the guards that
keep paper and live apart.

* An order names its account; if that account is not configured the router picks one by
  instrument (``[accounts.<name>.extra] instruments = ["AAPL", "KX*"]``, glob patterns),
  else the default account (``paper``).
* :func:`build_brokers` builds the adapters of a run. A paper run builds the paper broker
  and the venue accounts with ``live = false`` (sandbox endpoints); a live run (``tradefleet
  run --live``) builds only accounts with ``live = true``. Live and paper accounts may not
  share a base URL, a live account may not point at a known sandbox host (nor a paper one
  at a known live host), and :func:`check_store_mode` refuses a live start on a store a
  paper or replay run used (and the reverse).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tradefleet.orchestrator.sections import AccountConfig, KernelConfig
from tradefleet.orchestrator.domain import Order
from tradefleet.orchestrator.errors import ConfigError, PluginError
from tradefleet.orchestrator.execution.broker import Broker, VenueOrder

if TYPE_CHECKING:
    from tradefleet.orchestrator.store import Store

#: Hosts of venues' sandbox / paper endpoints, and of their live endpoints.
SANDBOX_HOSTS = {"paper-api.alpaca.markets", "api-fxpractice.oanda.com", "stream-fxpractice.oanda.com",
                 "demo-api.kalshi.co", "api-public.sandbox.exchange.coinbase.com", "testnet.binance.vision"}
LIVE_HOSTS = {"api.alpaca.markets", "api-fxtrade.oanda.com", "api.elections.kalshi.com", "clob.polymarket.com",
              "api.coinbase.com", "api.binance.com"}
PAPER = "paper"


class Router:
    """Pick the broker of an order by account, else by instrument, else the default."""

    def __init__(self, brokers: Mapping[str, Broker], routes: Mapping[str, str] | None = None,
                 default: str = PAPER) -> None:
        self.brokers = dict(brokers)
        self._patterns = [(p, a) for p, a in (routes or {}).items() if any(c in p for c in "*?[")]
        self._exact = {p: a for p, a in (routes or {}).items() if not any(c in p for c in "*?[")}
        self._cache: dict[str, str] = {}
        self.default = default

    @classmethod
    def from_config(cls, brokers: Mapping[str, Broker], config: KernelConfig) -> Router:
        """Routes from every built account's ``extra.instruments`` patterns."""
        routes: dict[str, str] = {}
        for name, acct in config.accounts.items():
            if name in brokers:
                for pattern in acct.extra.get("instruments", []):
                    routes[str(pattern)] = name
        default = PAPER if PAPER in brokers else next(iter(brokers), PAPER)
        return cls(brokers, routes, default)

    def account_for(self, instrument: str, account: str | None = None) -> str:
        """The account an order for ``instrument`` goes to."""
        if account and account in self.brokers:
            return account
        hit = self._cache.get(instrument)
        if hit is None:
            hit = self._exact.get(instrument) or next(
                (a for p, a in self._patterns if fnmatch.fnmatchcase(instrument, p)), self.default)
            self._cache[instrument] = hit
        if hit not in self.brokers:
            raise PluginError(f"router: no broker for account {hit!r} (instrument {instrument}); "
                              f"configured: {', '.join(sorted(self.brokers)) or 'none'}")
        return hit

    def route(self, order: Order) -> Order:
        """Return ``order`` with its account set to where it will be sent."""
        account = self.account_for(order.instrument, order.account)
        return order if account == order.account else replace(order, account=account)

    def broker(self, account: str) -> Broker:
        try:
            return self.brokers[account]
        except KeyError:
            raise PluginError(f"router: no broker for account {account!r}") from None

    def submit(self, order: Order) -> VenueOrder:
        """Send ``order`` to the broker of its (routed) account."""
        routed = self.route(order)
        return self.brokers[routed.account].submit(routed)


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname or "").lower() if url else ""


def check_accounts(config: KernelConfig, live: bool) -> list[str]:
    """Return the accounts a run builds; raise ConfigError on any paper/live mix-up."""
    paper_urls: dict[str, str] = {}
    live_urls: dict[str, str] = {}
    for name, acct in config.accounts.items():
        host = _host(acct.base_url)
        if acct.live and host in SANDBOX_HOSTS:
            raise ConfigError(f"[accounts.{name}] live = true but base_url {acct.base_url} is a sandbox endpoint")
        if not acct.live and host in LIVE_HOSTS:
            raise ConfigError(f"[accounts.{name}] live = false but base_url {acct.base_url} is a live endpoint; "
                              "set live = true (and run with --live) or use the sandbox URL")
        if acct.base_url:
            (live_urls if acct.live else paper_urls)[acct.base_url.rstrip("/").lower()] = name
    for url, name in live_urls.items():
        if url in paper_urls:
            raise ConfigError(f"[accounts.{name}] (live) and [accounts.{paper_urls[url]}] (paper) share base_url "
                              f"{url}; paper and live never share an endpoint")
    if live:
        chosen = [n for n, a in config.accounts.items() if a.live]
        if not chosen:
            raise ConfigError("--live needs at least one [accounts.<name>] with live = true; nothing was started")
        return chosen
    return [n for n, a in config.accounts.items() if not a.live]


def check_store_mode(store: Store, live: bool, url: str = "") -> None:
    """Refuse a live start on a store used by a paper/replay run, and the reverse."""
    last = store.last_run()
    if last is None:
        return
    if live and last.mode != "live":
        raise ConfigError(f"store {url or '(configured)'} was used by a {last.mode} run (run {last.id}); "
                          "live trading needs its own store: set engine.store_url to a new database")
    if not live and last.mode == "live":
        raise ConfigError(f"store {url or '(configured)'} holds a live run (run {last.id}); "
                          "paper and replay runs need their own store")


def build_brokers(config: KernelConfig, services: Any, live: bool, paper: Broker | None = None,
                  options: Any = None) -> dict[str, Broker]:
    """Build the brokers of a run: account name -> adapter (plus ``paper`` unless live).

    Adapters are looked up by ``venue`` among the registered ``tradefleet.brokers``;
    secrets are resolved now (a missing variable fails the start, naming it) and masked in
    every log record from here on."""
    from tradefleet.orchestrator.execution.secrets import install_redaction
    from tradefleet.orchestrator.execution.venues.base import AdapterOptions

    install_redaction()
    names = check_accounts(config, live)
    out: dict[str, Broker] = {}
    if not live and paper is not None:
        out[PAPER] = paper
    from tradefleet.orchestrator.clock import SimClock

    clock = services.clock
    # on a simulated clock, waiting (throttle, Retry-After) advances it instead of sleeping
    opts = options or (AdapterOptions(clock=clock, sleep=clock.advance) if isinstance(clock, SimClock)
                       else AdapterOptions(clock=clock))
    for name in names:
        acct: AccountConfig = config.accounts[name]
        cls = services.registry.get("brokers", acct.venue)
        out[name] = cls(name, acct, opts)
    return out
