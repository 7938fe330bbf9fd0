"""Recorded responses that ship in ``scrapers/fixtures/<source>/`` (offline mode).

Each source folder holds a ``manifest.json``: a list of entries
``{"method", "path" (regex), "params" (subset that must match), "file", "status",
"content_type"}``. :class:`FixtureTransport` answers httpx requests from it, so offline
mode runs the very same client and parsing code as live; the loopback fakes in
``tests/fakes`` serve the same files over HTTP.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tradefleet.orchestrator.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Recording:
    """One recorded response."""

    method: str
    path: str
    params: dict[str, str]
    file: Path
    status: int = 200
    content_type: str = "application/json"

    def matches(self, method: str, path: str, params: dict[str, str]) -> bool:
        if method != self.method or not re.fullmatch(self.path, path):
            return False
        return all(params.get(k) == v for k, v in self.params.items())

    def body(self) -> bytes:
        return self.file.read_bytes()


def recordings(source: str, root: Path = FIXTURES) -> list[Recording]:
    """Read the manifest of ``source``."""
    folder = root / source
    manifest = folder / "manifest.json"
    if not manifest.exists():
        raise DataError(f"{source}: no recorded fixtures ({manifest} missing)")
    raw: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))
    return [Recording(e.get("method", "GET"), e["path"], {k: str(v) for k, v in e.get("params", {}).items()},
                      folder / e["file"], int(e.get("status", 200)), e.get("content_type", "application/json"))
            for e in raw]


def find(recs: list[Recording], method: str, path: str, params: dict[str, str]) -> Recording | None:
    """Return the first recording matching the request (the most specific should come first)."""
    return next((r for r in recs if r.matches(method, path, params)), None)


class FixtureTransport(httpx.BaseTransport):
    """An httpx transport that answers from a source's recordings (404 when none matches)."""

    def __init__(self, source: str, root: Path = FIXTURES) -> None:
        self.source = source
        self.recs = recordings(source, root)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        params = {k: v for k, v in request.url.params.items()}
        rec = find(self.recs, request.method, request.url.path, params)
        if rec is None:
            body = json.dumps({"error": f"no recorded response for {request.method} {request.url.path}"}).encode()
            return httpx.Response(404, content=body, headers={"Content-Type": "application/json"})
        return httpx.Response(rec.status, content=rec.body(), headers={"Content-Type": rec.content_type})


def fixture_adapter(source: str, root: Path = FIXTURES) -> Any:
    """A ``requests`` transport adapter answering from ``source``'s recordings: ccxt (which
    speaks through a requests session) runs its real parsing code on recorded answers offline."""
    import requests
    from requests.adapters import BaseAdapter

    recs = recordings(source, root)

    class FixtureAdapter(BaseAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            url = httpx.URL(str(request.url))
            params = {k: v for k, v in url.params.items()}
            rec = find(recs, str(request.method), url.path, params)
            resp = requests.Response()
            resp.url = str(request.url)
            resp.request = request
            if rec is None:
                resp.status_code = 404
                resp._content = json.dumps({"msg": f"no recorded response for {url.path}"}).encode()
                resp.headers["Content-Type"] = "application/json"
            else:
                resp.status_code = rec.status
                resp._content = rec.body()
                resp.headers["Content-Type"] = rec.content_type
            resp.encoding = "utf-8"
            resp.reason = "OK" if resp.status_code < 400 else "Not Found"
            return resp

        def close(self) -> None:
            pass

    return FixtureAdapter()
