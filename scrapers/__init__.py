"""Data providers: bundled market data, files, venues and alternative data.

Map: :mod:`scrapers.hub` (DataHub: the one entry point), :mod:`scrapers.chain` (primary ->
fallback -> skip), :mod:`scrapers.providers` (bundled, file, ccxt, alpaca, oanda),
:mod:`scrapers.resample`, :mod:`scrapers.cache` (Parquet), :mod:`scrapers.checks`,
:mod:`scrapers.feed` (HubBarFeed for the live runner), :mod:`scrapers.alt` (FRED, GDPNow,
Open-Meteo, NWS, Cleveland Fed, odds, news, funding), :mod:`scrapers.http` and
:mod:`scrapers.limits` (rate limit, budget, cooldown, TTL, retries), :mod:`scrapers.recorded`
(offline fixtures), :mod:`scrapers.provenance`, :mod:`scrapers.cli` (``tradefleet data``).
"""
