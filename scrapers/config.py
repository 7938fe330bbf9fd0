"""``[data]`` config section: provider chain, keys, budgets, TTLs and the cache folder.

Keys are references to environment variables (``"env:FRED_API_KEY"``), never values.
A keyed source whose variable is unset reads the recorded fixtures shipped in
``scrapers/fixtures`` (offline mode); so does every source while the app runs in replay.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tradefleet.orchestrator.sections import Section, SecretRef, _check_secret_ref


class SourcePolicy(Section):
    """Limits of one data source: how often, how much per day, how long answers stay fresh."""

    rate_per_minute: float = Field(30.0, gt=0, description="request rate limit (token bucket)")
    burst: int = Field(5, ge=1, description="requests allowed back to back before the rate applies")
    daily_budget: int = Field(500, ge=0, description="network requests per UTC day (0: none)")
    ttl_seconds: float = Field(900.0, ge=0, description="how long a fetched answer is served from cache")
    timeout_seconds: float = Field(10.0, gt=0)
    retries: int = Field(2, ge=0, description="read retries on timeouts, connection errors and 5xx")
    backoff_seconds: float = Field(1.0, ge=0, description="first retry wait; doubles each retry")
    cooldown_seconds: float = Field(60.0, ge=0, description="first wait after a 429; doubles on each further 429")
    max_cooldown_seconds: float = Field(3600.0, ge=0)


#: Tighter defaults for the metered APIs (free tiers: NewsAPI 100/day, The Odds API 500/month).
DEFAULT_POLICIES: dict[str, SourcePolicy] = {
    "newsapi": SourcePolicy(rate_per_minute=10, daily_budget=90, ttl_seconds=1800),
    "odds": SourcePolicy(rate_per_minute=10, daily_budget=15, ttl_seconds=3600),
    "fred": SourcePolicy(rate_per_minute=100, daily_budget=2000, ttl_seconds=3600),
    "openmeteo": SourcePolicy(rate_per_minute=60, daily_budget=5000, ttl_seconds=3600),
    "nws": SourcePolicy(rate_per_minute=30, daily_budget=2000, ttl_seconds=1800),
    "clevelandfed": SourcePolicy(rate_per_minute=6, daily_budget=50, ttl_seconds=6 * 3600),
    "rss": SourcePolicy(rate_per_minute=30, daily_budget=1000, ttl_seconds=900),
}


class DataConfig(Section):
    """Settings of the data hub (``[data]`` in ``tradefleet.toml``)."""

    cache_dir: str = Field("var/cache", description="Parquet bar cache, provenance log")
    offline: bool | None = Field(None, description="true: always fixtures; false: always live; "
                                 "unset: fixtures in replay or when a source's key is not set")
    chain: list[str] = Field(default_factory=lambda: ["bundled", "file"],
                             description="market-data providers, primary first; a symbol no provider answers is skipped")
    files: dict[str, str] = Field(default_factory=dict, description="symbol -> CSV/Parquet path (provider 'file')")
    timeframe: str = Field("1d", description="default bar timeframe")
    file_timezone: str | None = Field(None, description="zone of bar-file timestamps written without an offset "
                                      "(e.g. 'UTC'); unset: such files are refused")
    max_missing_bars: int = Field(3, ge=0, le=100_000, description="more missing bars in a row (on the "
                                  "instrument's calendar) make a bar file an error")
    stale_bars: float = Field(3.0, gt=0, description="a last bar older than this many timeframes is stale")
    outlier_sigma: float = Field(8.0, gt=0, description="robust z-score of a log return that flags an outlier")
    keys: dict[str, str] = Field(default_factory=lambda: {
        "fred": "env:FRED_API_KEY", "odds": "env:ODDS_API_KEY", "newsapi": "env:NEWSAPI_KEY",
        "alpaca_key": "env:ALPACA_API_KEY", "alpaca_secret": "env:ALPACA_API_SECRET", "oanda": "env:OANDA_TOKEN",
    }, description="source -> env:VAR reference")
    base_urls: dict[str, str] = Field(default_factory=dict, description="source -> base URL override (proxies, fakes)")
    policies: dict[str, SourcePolicy] = Field(default_factory=dict, description="source -> limits (defaults per source)")
    ccxt_exchange: str = Field("binance", description="ccxt exchange for OHLCV, funding rates and open interest")
    rss_feeds: list[str] = Field(default_factory=lambda: [
        "https://feeds.content.dowjones.io/public/rss/mw_topstories",
        "https://www.cnbc.com/id/100003114/device/rss/rss.html",
    ], description="RSS feeds used when NewsAPI is unavailable")
    user_agent: str = Field("tradefleet/0.1 (ops@example.com)", description="sent to APIs that require one (NWS)")
    nws_sigma_f: float = Field(2.5, gt=0, description="NWS forecast error (deg F) at zero lead")
    nws_sigma_growth_f: float = Field(1.0, ge=0, description="added error (deg F) per day of lead time")
    odds_method: Literal["proportional", "shin"] = "proportional"

    @field_validator("keys")
    @classmethod
    def _keys_are_refs(cls, v: dict[str, str]) -> dict[str, str]:
        return {k: SecretRef(_check_secret_ref(ref) or "") for k, ref in v.items()}

    def policy(self, source: str) -> SourcePolicy:
        """Return the limits of ``source`` (configured, else its default, else the generic one)."""
        return self.policies.get(source) or DEFAULT_POLICIES.get(source) or SourcePolicy()

    def key(self, source: str) -> SecretRef | None:
        ref = self.keys.get(source)
        return SecretRef(ref) if ref else None
