"""Loopback receivers for alert deliveries: a webhook endpoint (Discord, Slack or a
generic signed webhook) and a small SMTP server (stdlib socketserver, enough of RFC 5321
for smtplib: EHLO/HELO, MAIL, RCPT, DATA, QUIT, RSET, NOOP)."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.fake_http import FakeServer, Reply, Request


class FakeWebhook:
    """Records every POST to ``/hook/<token>``; ``fail_next`` answers 500 that many times."""

    def __init__(self, token: str = "T0KEN-abc123") -> None:
        self.token = token
        self.received: list[Request] = []
        self.fail_next = 0
        self.server = FakeServer([("POST", r"/hook/([^/]+)", self._hook)])

    @property
    def url(self) -> str:
        return f"{self.server.base}/hook/{self.token}"

    def _hook(self, req: Request, token: str) -> Reply:
        if token != self.token:
            return Reply({"message": "Unknown Webhook"}, 404)
        if self.fail_next > 0:
            self.fail_next -= 1
            return Reply({"message": "try later"}, 500)
        self.received.append(req)
        return Reply(raw=b"", status=204)

    def bodies(self) -> list[Any]:
        return [r.json() for r in self.received]

    def close(self) -> None:
        self.server.close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: str


@dataclass
class FakeSmtp:
    """An SMTP server on 127.0.0.1 that keeps every message in :attr:`mails`."""

    mails: list[Mail] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self._send("220 fake-smtp ready")
                sender, rcpts = "", []
                while True:
                    line = self.rfile.readline().decode("utf-8", "replace")
                    if not line:
                        return
                    cmd = line.strip().upper()
                    if cmd.startswith(("EHLO", "HELO")):
                        self._send("250 fake-smtp")
                    elif cmd.startswith("MAIL FROM:"):
                        sender = line.strip()[10:].strip("<> ")
                        self._send("250 OK")
                    elif cmd.startswith("RCPT TO:"):
                        rcpts.append(line.strip()[8:].strip("<> "))
                        self._send("250 OK")
                    elif cmd == "DATA":
                        self._send("354 end with .")
                        lines = []
                        while (part := self.rfile.readline().decode("utf-8", "replace")) not in (".\r\n", ".\n", ""):
                            lines.append(part)
                        outer.mails.append(Mail(sender, rcpts, "".join(lines)))
                        sender, rcpts = "", []
                        self._send("250 queued")
                    elif cmd == "QUIT":
                        self._send("221 bye")
                        return
                    else:
                        self._send("250 OK")

            def _send(self, text: str) -> None:
                self.wfile.write((text + "\r\n").encode())

        self._srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._srv.daemon_threads = True
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._srv.server_address[1])

    def close(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()
