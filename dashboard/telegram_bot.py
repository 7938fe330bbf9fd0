"""One Telegram bot for the whole fleet (python-telegram-bot).

Commands: /status /bots /pause [bot] /resume [bot | fleet:NAME] /halt reason /positions /pnl /daily
/validate [bot]. Deny by default: an update counts only if its user id is in
``[telegram].allowed_users`` AND its chat id in ``allowed_chats``; anything else is
ignored (no reply) and logged; with an empty allowlist no command is accepted. Control
writes the store (actor ``telegram:<user id>``) like the CLI and the dashboard.

Alerts go to ``alert_chats``. The standalone bot (``tradefleet telegram``,
``stored_alerts=True``) follows the alerts every process stores (order rejects, halts,
breakers, conflicts...; :mod:`tradefleet.orchestrator.alerts.tail`), each sent once across
restarts of either process. Run in the engine's process with its bus instead, it relays the
bus's ``alerts``, ``fills``, ``decisions`` and ``control`` topics. A daily P&L summary goes
out at ``daily_summary_time``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.sections import KernelConfig, SecretRef
from tradefleet.orchestrator.errors import ConfigError, TradefleetError

from tradefleet.dashboard import telegram_text as tt
from tradefleet.dashboard.control import FleetControl
from tradefleet.dashboard.views import FleetView

log = logging.getLogger(__name__)
COMMANDS = ("status", "bots", "pause", "resume", "halt", "positions", "pnl", "daily", "validate")


@dataclass(frozen=True)
class Ignored:
    """An update the allowlist refused (kept for the audit log and tests)."""

    user_id: int | None
    chat_id: int | None
    text: str


class AlertRelay:
    """Bus subscriber: queues alert-worthy events for Telegram.

    Bus handlers run on the publisher's (the engine's) thread, so they only enqueue;
    formatting (which may read the store to name a fill's bot) and sending happen in
    :meth:`flush`, on the bot's event loop.
    """

    def __init__(self, targets: list[int], rejections: bool = True,
                 order_bot: Callable[[str], str | None] | None = None) -> None:
        self.targets = targets
        self.rejections = rejections
        self.order_bot = order_bot
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._signals: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def subscribe(self, bus: Any) -> None:
        for topic in (Topic.ALERTS, Topic.FILLS, Topic.CONTROL, Topic.SIGNALS, Topic.DECISIONS):
            bus.subscribe(topic, self.on_event)

    def on_event(self, topic: Topic, event: Any) -> None:
        if topic == Topic.SIGNALS:
            with self._lock:  # kept only to name the bot of a later rejection
                self._signals[event.signal_id] = event
                while len(self._signals) > 2000:
                    self._signals.popitem(last=False)
            return
        if topic == Topic.DECISIONS and not self.rejections:
            return
        self._queue.put((str(topic), event))

    def pending(self) -> int:
        return self._queue.qsize()

    def _text(self, topic: str, event: Any) -> str | None:
        with self._lock:
            signals = dict(self._signals)
        try:
            return tt.alert_text(topic, event, signals, self.order_bot)
        except Exception as exc:  # a malformed event must not stop the others
            log.warning("telegram: cannot format %s event %r: %s", topic, event, exc)
            return None

    async def flush(self, bot: Any) -> int:
        """Format and send every queued alert to every target chat; return messages sent."""
        sent = 0
        while True:
            try:
                topic, event = self._queue.get_nowait()
            except queue.Empty:
                return sent
            text = await asyncio.to_thread(self._text, topic, event)
            if not text:
                continue
            for chat in self.targets:
                try:
                    await bot.send_message(chat_id=chat, text=tt.clip(text))
                    sent += 1
                except Exception as exc:  # Telegram down must never lose the next alerts' turn
                    log.warning("telegram: alert to chat %s failed: %s", chat, exc)


class FleetTelegram:
    """The fleet's Telegram bot: commands, allowlist, alerts, daily summary."""

    def __init__(self, config: KernelConfig, store: Any, clock: Clock, known_bots: set[str], *,
                 specs: dict[str, Any] | None = None, bus: Any = None, stored_alerts: bool = False) -> None:
        self.config = config
        self.cfg = config.telegram
        self.clock = clock
        self.view = FleetView(config, store, clock, specs or {})
        self.control = FleetControl(store, clock, known_bots, bus)
        self.relay = AlertRelay(self.cfg.alert_targets, self.cfg.alert_rejections, self._order_bot)
        #: the stored alerts of every process, followed by id (the standalone bot's event source)
        self.tail = self._tail(store) if stored_alerts else None
        if bus is not None and self.tail is None:  # following the store, the bus would send them twice
            self.relay.subscribe(bus)
        self.tz = ZoneInfo(self.cfg.timezone or config.engine.timezone)
        self.ignored: list[Ignored] = []
        self._tasks: list[asyncio.Task[Any]] = []

    def _tail(self, store: Any) -> Any:
        from tradefleet.orchestrator.alerts.tail import AlertTail, channel_wants

        a = self.config.alerts
        if not a.enabled or (a.telegram is not None and not a.telegram.enabled):
            return None
        wanted = channel_wants(a.telegram)
        rejections = self.cfg.alert_rejections
        rate = a.telegram.rate_per_minute if a.telegram is not None else None
        return AlertTail(store, "telegram", a, self.clock,
                         lambda kind: wanted(kind) and (rejections or kind != "order_rejected"), rate)

    async def deliver_stored(self, bot: Any) -> int:
        """Send the stored alerts not yet delivered to Telegram (by any process) to every
        alert chat, each once; return how many alerts were sent."""
        if self.tail is None or not self.cfg.alert_targets:
            return 0
        sent = 0
        for alert in await asyncio.to_thread(self.tail.claim):
            error, retry = "", None
            try:
                for chat in self.cfg.alert_targets:
                    await bot.send_message(chat_id=chat, text=tt.clip(alert.text()))
            except Exception as exc:  # Telegram down: released for a retry, never fatal
                error = f"{type(exc).__name__}: {exc}"
                ra = getattr(exc, "retry_after", None)
                retry = float(ra.total_seconds() if hasattr(ra, "total_seconds") else ra) if ra is not None else None
            await asyncio.to_thread(self.tail.done, alert, not error, error, retry)
            sent += not error
        return sent

    def _order_bot(self, cid: str) -> str | None:
        rec = self.view.store.order(cid)
        return rec.bot if rec is not None else None

    # -- building --------------------------------------------------------------------
    def build(self, token: str) -> Any:
        """The python-telegram-bot Application with every handler registered."""
        from telegram import Update
        from telegram.ext import ApplicationBuilder, CommandHandler, TypeHandler

        app = (ApplicationBuilder().token(token).base_url(self.cfg.base_url)
               .base_file_url(self.cfg.base_file_url).post_init(self._started)
               .post_shutdown(self._stopped).build())
        app.add_handler(TypeHandler(Update, self._gate), group=-1)
        for name in COMMANDS:
            app.add_handler(CommandHandler(name, self._command(name)))
        return app

    def authorized(self, user_id: int | None, chat_id: int | None) -> bool:
        """Deny by default: both ids must be allowlisted (an empty list allows nobody)."""
        return (self.cfg.control_enabled and user_id in self.cfg.allowed_users
                and chat_id in self.cfg.allowed_chats)

    async def _gate(self, update: Any, context: Any) -> None:
        from telegram.ext import ApplicationHandlerStop

        user = update.effective_user
        chat = update.effective_chat
        uid, cid = (user.id if user else None), (chat.id if chat else None)
        if self.authorized(uid, cid):
            return
        text = (update.effective_message.text or "") if update.effective_message else ""
        self.ignored.append(Ignored(uid, cid, text[:100]))
        log.warning("telegram: ignored update from user %s in chat %s: %r%s", uid, cid, text[:100],
                    "" if self.cfg.control_enabled else " (control off: empty allowlist)")
        raise ApplicationHandlerStop

    def _command(self, name: str) -> Callable[[Any, Any], Any]:
        async def handler(update: Any, context: Any) -> None:
            args = list(context.args or [])
            actor = f"telegram:{update.effective_user.id}"
            try:
                reply = await asyncio.to_thread(self.answer, name, args, actor)
            except TradefleetError as exc:
                reply = f"error: {exc}"
            await update.effective_message.reply_text(tt.clip(reply))

        return handler

    # -- commands (sync: they read and write the store) ------------------------------
    def answer(self, name: str, args: list[str], actor: str) -> str:
        """The reply to command ``name`` with ``args`` from ``actor``."""
        v = self.view
        if name == "status":
            return tt.status_text(v)
        if name == "bots":
            return tt.bots_text(v)
        if name == "pause":
            bot = args[0] if args else None
            self.control.pause(bot, actor, "paused from Telegram")
            return f"paused {bot or 'fleet'}"
        if name == "resume":
            bot = args[0] if args else None
            if bot and bot.startswith("fleet:"):  # /resume fleet:<name> lifts that fleet's daily-loss hold
                self.control.resume_fleet(bot.split(":", 1)[1], actor)
                return f"resumed {bot}"
            self.control.resume(bot, actor)
            return f"resumed {bot}" if bot else "resumed fleet (pause, halt and daily-loss holds cleared)"
        if name == "halt":
            reason = " ".join(args)
            self.control.halt(reason, actor)
            return f"halted fleet: {reason.strip()}"
        if name == "positions":
            return tt.positions_text(v)
        if name == "pnl":
            return tt.pnl_text(v)
        if name == "daily":
            return tt.daily_text(v)
        if name == "validate":
            return tt.validate_text(v, args[0] if args else None)
        raise TradefleetError(f"unknown command /{name}")

    # -- background: alerts and the daily summary -------------------------------------
    async def send_daily_summary(self, bot: Any) -> int:
        """Send the daily P&L summary to every alert chat."""
        text = await asyncio.to_thread(tt.daily_text, self.view, "daily summary")
        for chat in self.cfg.alert_targets:
            await bot.send_message(chat_id=chat, text=text)
        return len(self.cfg.alert_targets)

    def next_summary_ns(self) -> int | None:
        if self.cfg.daily_summary_time is None:
            return None
        return tt.next_summary_ns(self.clock.now_ns(), self.cfg.daily_summary_time, self.tz)

    async def _alerts_loop(self, bot: Any) -> None:
        while True:
            await self.relay.flush(bot)
            try:
                await self.deliver_stored(bot)
            except Exception as exc:  # the store briefly unavailable: try again next second
                log.warning("telegram: stored alerts not read: %s", exc)
            await asyncio.sleep(1.0)

    async def _summary_loop(self, bot: Any) -> None:
        while (due := self.next_summary_ns()) is not None:
            await asyncio.sleep(max(0.0, (due - self.clock.now_ns()) / NS))
            try:
                await self.send_daily_summary(bot)
            except Exception as exc:
                log.warning("telegram: daily summary failed: %s", exc)
            await asyncio.sleep(1.0)  # past the minute: the next due time is tomorrow's

    async def _started(self, app: Any) -> None:
        from telegram import BotCommand

        if not self.cfg.control_enabled:
            log.warning("telegram: allowlist empty: commands are off, alerts only")
        try:
            await app.bot.set_my_commands([BotCommand(c, c) for c in COMMANDS])
        except Exception as exc:  # cosmetic: the menu only
            log.warning("telegram: setMyCommands failed: %s", exc)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._alerts_loop(app.bot)), loop.create_task(self._summary_loop(app.bot))]

    async def _stopped(self, app: Any) -> None:
        for t in self._tasks:
            t.cancel()
        await self.relay.flush(app.bot)
        try:
            await self.deliver_stored(app.bot)
        except Exception as exc:
            log.warning("telegram: stored alerts not read: %s", exc)


def resolve_token(config: KernelConfig, environ: dict[str, str] | None = None) -> str:
    """The bot token from ``[telegram].token`` (an env reference), or a ConfigError."""
    ref = config.telegram.token
    if ref is None:
        raise ConfigError("telegram: set [telegram].token = 'env:TELEGRAM_BOT_TOKEN' (the token from @BotFather)")
    return SecretRef(ref).resolve(environ).get_secret_value()


def check_token(config: KernelConfig, token: str, timeout: float = 10.0) -> dict[str, Any]:
    """Ask the Bot API who the token belongs to (``getMe``) before anything else is opened.

    A refused token is a ConfigError naming ``[telegram].token`` (never the token itself);
    an API that cannot be reached is a CommandFailed naming the URL.
    """
    from telegram import Bot
    from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
    from telegram.request import HTTPXRequest

    from tradefleet.orchestrator.errors import CommandFailed

    cfg = config.telegram
    req = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout)

    async def me() -> Any:
        async with Bot(token, base_url=cfg.base_url, base_file_url=cfg.base_file_url, request=req) as bot:
            return bot.bot

    try:
        user = asyncio.run(me())
    except (InvalidToken, Forbidden):
        raise ConfigError(f"telegram.token ({cfg.token}): the Telegram Bot API at {cfg.base_url} refused this token "
                          "(check it with @BotFather)") from None
    except NetworkError as exc:  # includes TimedOut
        raise CommandFailed(f"telegram: cannot reach the Telegram Bot API at {cfg.base_url}: "
                            f"{' '.join(str(exc).split())}") from None
    except TelegramError as exc:
        raise CommandFailed(f"telegram: the Telegram Bot API at {cfg.base_url} answered getMe with an error: "
                            f"{' '.join(str(exc).split())}") from None
    return {"id": user.id, "username": user.username}
