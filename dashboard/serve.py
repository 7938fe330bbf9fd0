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

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.sections import KernelConfig
from tradefleet.orchestrator.errors import ConfigError

log = logging.getLogger(__name__)


def check_port(host: str, port: int) -> None:
    """Raise a one-line ConfigError if ``port`` is out of range or ``host:port`` cannot be
    listened on (taken, no such address).

    Called before the dashboard opens its store, so a refused port leaves nothing behind.
    """
    import socket

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"dashboard port {port}: must be between 0 and 65535")
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConfigError(f"dashboard.host {host!r}: cannot resolve: {exc.strerror or exc}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
        try:
            sock.bind(addr)
        except OSError as exc:
            raise ConfigError(f"dashboard.port {port} on {host}: cannot listen: {exc.strerror or exc} "
                              "(choose another with [dashboard].port or --port)") from None


def make_wsgi_server(app: Any, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server bound to ``host:port`` (production WSGI: no dev-server banner,
    no version in the ``Server`` header)."""
    from waitress.server import create_server

    check_port(host, port)
    return create_server(app, host=host, port=port, threads=threads, ident="tradefleet",
                         clear_untrusted_proxy_headers=False, channel_timeout=60)


class DashboardServer:
    """The dashboard on a waitress server thread."""

    def __init__(self, config: KernelConfig, store_url: str | None, clock: Clock, *, bus: Any = None,
                 host: str | None = None, port: int | None = None, watchdog: Any = None,
                 specs: dict[str, Any] | None = None) -> None:
        from tradefleet.dashboard.app import create_app

        self.host = host or config.dashboard.host
        check_port(self.host, config.dashboard.port if port is None else port)
        self.app = create_app(config, store_url, clock, host=self.host, bus=bus, watchdog=watchdog, specs=specs)
        self._server = make_wsgi_server(self.app, self.host, config.dashboard.port if port is None else port)
        self._thread = threading.Thread(target=self._server.run, name="tradefleet-dashboard", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> DashboardServer:
        self._thread.start()
        log.info("dashboard on %s/", self.url)
        return self

    def stop(self) -> None:
        server = self._server

        def close_all() -> None:  # on the server's own thread: its select loop ends with an empty map
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        try:
            if self._thread.is_alive():
                server.trigger.pull_trigger(close_all)
                self._thread.join(10)
        except OSError:  # the trigger is already closed: the loop has ended or is ending
            self._thread.join(10)
        if server._map:
            close_all()
        server.task_dispatcher.shutdown()
        ext = self.app.extensions["tradefleet"]
        jobs = ext.get("api_jobs")
        if jobs is not None:
            jobs.close()
        ext["store"].close()


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
