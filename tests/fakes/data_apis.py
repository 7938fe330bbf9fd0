"""Loopback fakes of the alternative-data APIs, serving the recorded responses shipped in
``scrapers/fixtures`` over real HTTP, with each API's authentication rule:

FRED (``api_key`` query, 400 when wrong), The Odds API (``apiKey`` query, 401), NewsAPI
(``X-Api-Key`` header, 401; 429 ``rateLimited`` via faults), api.weather.gov (403 without a
User-Agent), Open-Meteo and the Cleveland Fed (open), RSS feeds, Binance USD-M futures for
ccxt (exchangeInfo, premiumIndex, openInterest). Faults (429 with Retry-After, 5xx, drops)
come from :class:`~tests.fakes.fake_http.FakeServer`.
"""

from __future__ import annotations

from collections.abc import Callable

from tradefleet.scrapers.recorded import find, recordings
from tests.fakes.fake_http import FakeServer, Reply, Request

Auth = Callable[[Request], Reply | None]


def _query(req: Request) -> dict[str, str]:
    return {k: v[0] for k, v in req.query.items() if v}


class RecordedApi:
    """Serve ``scrapers/fixtures/<source>`` on 127.0.0.1; ``auth`` may refuse a request first."""

    def __init__(self, source: str, auth: Auth | None = None) -> None:
        self.source = source
        self.recs = recordings(source)
        self.auth = auth
        self.server = FakeServer([("GET", r"/.*", self._serve)])
        self.base = self.server.base

    def _serve(self, req: Request) -> Reply:
        if self.auth is not None:
            refused = self.auth(req)
            if refused is not None:
                return refused
        rec = find(self.recs, req.method, req.path, _query(req))
        if rec is None:
            return Reply({"error": "no recorded response", "path": req.path}, 404)
        return Reply(raw=rec.body(), status=rec.status)

    def close(self) -> None:
        self.server.close()


def fred_auth(key: str) -> Auth:
    def check(req: Request) -> Reply | None:
        if req.arg("api_key") != key:
            return Reply({"error_code": 400, "error_message": "Bad Request.  The value for variable api_key is not registered."}, 400)
        return None
    return check


def odds_auth(key: str) -> Auth:
    def check(req: Request) -> Reply | None:
        if req.arg("apiKey") != key:
            return Reply({"message": "API key is not valid", "error_code": "INVALID_KEY"}, 401)
        return None
    return check


def newsapi_auth(key: str) -> Auth:
    def check(req: Request) -> Reply | None:
        if req.headers.get("X-Api-Key") != key:
            return Reply({"status": "error", "code": "apiKeyInvalid", "message": "Your API key is invalid."}, 401)
        return None
    return check


def nws_auth(req: Request) -> Reply | None:
    if not req.headers.get("User-Agent"):
        return Reply({"title": "Forbidden", "status": 403, "detail": "A User-Agent header is required"}, 403)
    return None


NEWSAPI_429 = {"status": "error", "code": "rateLimited",
               "message": "You have been rate limited. Back off for a while before trying the request again."}
