"""Run the operator interfaces next to the engine in one process (``tradefleet run`` with
``[dashboard].enabled`` / ``[telegram].enabled``).

Both run on daemon threads and share the engine's bus, so a pause from the browser or
Telegram is published on the ``control`` topic and applies at once, and alerts reach
Telegram as they are published. ``stop()`` ends each cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from orchestrator.clock import Clock
from orchestrator.sections import KernelConfig
from orchestrator.errors import ConfigError

log = logging.getLogger(__name__)


def check_port(host: str, port: int) -> None:
    """Raise a one-line ConfigError if ``host:port`` cannot be listened on (taken, no such address).

    Called before the dashboard opens its store, so a taken port leaves nothing behind.
    """
    import socket

    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConfigError(f"dashboard.host {host!r}: cannot resolve: {exc.strerror or exc}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug and waitress bind
        try:
            sock.bind(addr)
        except OSError as exc:
            raise ConfigError(f"dashboard.port {port} on {host}: cannot listen: {exc.strerror or exc} "
                              "(choose another with [dashboard].port or --port)") from None


class DashboardServer:
    """The dashboard on a werkzeug server thread."""

    def __init__(self, config: KernelConfig, store_url: str | None, clock: Clock, *, bus: Any = None,
                 host: str | None = None, port: int | None = None, watchdog: Any = None,
                 specs: dict[str, Any] | None = None) -> None:
        from werkzeug.serving import make_server

        from dashboard.app import create_app

        self.host = host or config.dashboard.host
        check_port(self.host, config.dashboard.port if port is None else port)
        self.app = create_app(config, store_url, clock, host=self.host, bus=bus, watchdog=watchdog, specs=specs)
        self._server = make_server(self.host, config.dashboard.port if port is None else port, self.app,
                                   threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="tradefleet-dashboard", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> DashboardServer:
        self._thread.start()
        log.info("dashboard on %s/", self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(10)
        self.app.extensions["tradefleet"]["store"].close()


class TelegramRunner:
    """The fleet's Telegram bot polling on its own event loop thread."""

    def __init__(self, bot: Any, token: str) -> None:
        self.bot = bot
        self.app = bot.build(token)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tradefleet-telegram", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        async with self.app:
            await self.bot._started(self.app)
            await self.app.start()
            await self.app.updater.start_polling(allowed_updates=["message"])
            self._ready.set()
            await self._stopping.wait()
            await self.app.updater.stop()
            await self.app.stop()
            await self.bot._stopped(self.app)

    def start(self, timeout: float = 30.0) -> TelegramRunner:
        """Start polling; raise what went wrong (bad token, unreachable API) if it could not."""
        self._thread.start()
        self._ready.wait(timeout)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(30)
