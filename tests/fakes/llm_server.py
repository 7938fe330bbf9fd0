"""A loopback HTTP server for the LLM fakes: scripted replies, a request log, and a
``hang`` reply that holds the connection until the test releases it (to drive timeouts)."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """One scripted reply: a JSON body and status, or ``hang`` (no answer until released)."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class LLMFakeServer:
    """Serve POSTs on ``path``; each request takes the next scripted reply (or ``default``)."""

    def __init__(self, path: str, default: Callable[[dict[str, Any]], Scripted]) -> None:
        self.path = path
        self.default = default
        self.script: deque[Scripted] = deque()
        self.requests: list[Seen] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                server.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if self.path.split("?")[0] != server.path:
                    return self._send(Scripted({"error": {"message": "no route"}}, 404))
                reply = server.script.popleft() if server.script else server.default(body)
                if reply.hang:
                    server.release.wait(30)
                    return
                self._send(reply)

            def _send(self, reply: Scripted) -> None:
                data = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> LLMFakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
