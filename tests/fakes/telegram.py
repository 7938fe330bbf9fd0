"""A loopback fake of the Telegram Bot API, for the real python-telegram-bot client.

Every method is ``POST /bot<token>/<method>`` (form or JSON body) answering
``{"ok": true, "result": ...}``; a wrong token gets 401 like the real API. Tests queue
updates with :meth:`FakeTelegram.push` (served by ``getUpdates`` from ``offset``) or
build them with :func:`command_update` and feed them to ``Application.process_update``;
messages the bot sends are recorded in :attr:`FakeTelegram.sent`.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from tests.fakes.fake_http import FakeServer, Reply, Request

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "tradefleet", "username": "tradefleet_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
_ids = itertools.count(1)


def command_update(text: str, user_id: int, chat_id: int, chat_type: str = "private",
                   update_id: int | None = None) -> dict[str, Any]:
    """A Bot API update carrying ``text`` (a /command) from ``user_id`` in ``chat_id``."""
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = f"user{user_id}"
    else:
        chat["title"] = f"group{chat_id}"
    cmd_len = len(text.split()[0]) if text.startswith("/") else 0
    msg: dict[str, Any] = {"message_id": next(_ids), "date": 1_700_000_000, "chat": chat,
                           "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
                           "text": text}
    if cmd_len:
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": cmd_len}]
    return {"update_id": update_id if update_id is not None else next(_ids), "message": msg}


#: the longest a getUpdates with no update is held (the Bot API holds up to its ``timeout``)
LONG_POLL_S = 0.5


class FakeTelegram:
    """The fake Bot API server and what it saw."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.sent_event = threading.Event()
        self.fail_next = 0  # sendMessage calls to refuse (400 chat not found)
        self.calls: dict[str, int] = {}  # Bot API method -> authorised calls
        self.server = FakeServer([("POST", r"/bot([^/]+)/(\w+)", self._method),
                                  ("GET", r"/bot([^/]+)/(\w+)", self._method)])
        # getUpdates long-polls as the Bot API does: with no update it holds the request (up to
        # its ``timeout``, capped here at LONG_POLL_S) instead of answering at once, so a polling
        # bot does not spin; the wait releases the server lock and a push wakes it
        self._arrived = threading.Condition(self.server.lock)

    @property
    def base_url(self) -> str:
        return f"{self.server.base}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.server.base}/file/bot"

    def close(self) -> None:
        self.server.close()

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for the next getUpdates."""
        with self.server.lock:
            self.updates.append(update)
            self._arrived.notify_all()

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts the bot sent (to ``chat_id`` if given), in order."""
        return [m["text"] for m in self.sent if chat_id is None or m["chat_id"] == chat_id]

    @staticmethod
    def _params(req: Request) -> dict[str, Any]:
        ctype = req.headers.get("Content-Type", req.headers.get("content-type", ""))
        if "json" in ctype and req.body:
            return dict(req.json())
        return req.form()

    def _method(self, req: Request, token: str, method: str) -> Reply:
        if token != self.token:
            return Reply({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        p = self._params(req)
        self.calls[method] = self.calls.get(method, 0) + 1
        handler = getattr(self, f"_m_{method}", None)
        if method == "sendMessage" and self.fail_next > 0:  # injected fault: the Bot API refuses a send
            self.fail_next -= 1
            return Reply({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400)
        if handler is None:
            return Reply({"ok": True, "result": True})
        return Reply({"ok": True, "result": handler(p)})

    def _m_getMe(self, p: dict[str, Any]) -> Any:
        return BOT_USER

    def _m_getUpdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and float(p.get("timeout") or 0) > 0:
            self._arrived.wait(min(float(p["timeout"]), LONG_POLL_S))  # called holding the server lock
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return list(self.updates)

    def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        msg = {"chat_id": chat_id, "text": p.get("text", "")}
        self.sent.append(msg)
        self.sent_event.set()
        return {"message_id": next(_ids), "date": 1_700_000_000, "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER, "text": msg["text"]}

    def _m_setMyCommands(self, p: dict[str, Any]) -> Any:
        cmds = p.get("commands")
        self.commands = json.loads(cmds) if isinstance(cmds, str) else cmds
        return True
