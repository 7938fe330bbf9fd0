"""Data providers: bundled market data, files, venues and alternative data.

Map: :mod:`tradefleet.scrapers.hub` (DataHub: the one entry point), :mod:`tradefleet.scrapers.chain` (primary ->
fallback -> skip), :mod:`tradefleet.scrapers.providers` (bundled, file, ccxt, alpaca, oanda),
:mod:`tradefleet.scrapers.resample`, :mod:`tradefleet.scrapers.cache` (Parquet), :mod:`tradefleet.scrapers.checks`,
:mod:`tradefleet.scrapers.feed` (HubBarFeed for the live runner), :mod:`tradefleet.scrapers.alt` (FRED, GDPNow,
Open-Meteo, NWS, Cleveland Fed, odds, news, funding), :mod:`tradefleet.scrapers.http` and
:mod:`tradefleet.scrapers.limits` (rate limit, budget, cooldown, TTL, retries), :mod:`tradefleet.scrapers.recorded`
(offline fixtures), :mod:`tradefleet.scrapers.provenance`, :mod:`tradefleet.app.cli.data` (``tradefleet data``).
"""
