"""``/healthz``, ``/readyz`` and ``/metrics`` for worker and leader processes.

Liveness is "the serve loop ran recently"; readiness is "Redis answers" (and, for a
leader, "the lease is held"). Metrics are Prometheus text: bus counters and backlog.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradefleet.orchestrator.distributed.redis_bus import RedisStreamsBus


class HealthServer:
    """A tiny HTTP server on ``host:port`` (port 0 picks one) in a daemon thread."""

    def __init__(self, host: str, port: int, bus: RedisStreamsBus, role: str,
                 live: Callable[[], bool], ready: Callable[[], bool] | None = None) -> None:
        self.bus = bus
        self.role = role
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                if self.path == "/healthz":
                    ok = live()
                    self._send(200 if ok else 503, "ok\n" if ok else "stalled\n")
                elif self.path == "/readyz":
                    ok = bus.ping() and (ready() if ready is not None else True)
                    self._send(200 if ok else 503, "ready\n" if ok else "not ready\n")
                elif self.path == "/metrics":
                    self._send(200, outer.metrics(), "text/plain; version=0.0.4")
                else:
                    self._send(404, "not found\n")

            def _send(self, code: int, body: str, ctype: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:  # quiet: probes hit this every few seconds
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def metrics(self) -> str:
        """Bus counters in the Prometheus text format."""
        s = self.bus.stats
        lines = []
        for name, value, help_ in (
            ("published", s.published, "entries added"), ("handled", s.handled, "entries handled"),
            ("acked", s.acked, "entries acknowledged"), ("claimed", s.claimed, "entries claimed from dead consumers"),
            ("redelivered", s.redelivered, "own pending entries re-read"), ("dead", s.dead, "dead-lettered entries"),
            ("outages", s.outages, "lost Redis connections"),
        ):
            lines += [f"# HELP tradefleet_bus_{name}_total {help_}", f"# TYPE tradefleet_bus_{name}_total counter",
                      f'tradefleet_bus_{name}_total{{role="{self.role}"}} {value}']
        lines += ["# HELP tradefleet_bus_backlog events waiting for Redis", "# TYPE tradefleet_bus_backlog gauge",
                  f'tradefleet_bus_backlog{{role="{self.role}"}} {self.bus.backlog}',
                  "# HELP tradefleet_bus_connected 1 if Redis answered the last call", "# TYPE tradefleet_bus_connected gauge",
                  f'tradefleet_bus_connected{{role="{self.role}"}} {int(self.bus.connected)}']
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
