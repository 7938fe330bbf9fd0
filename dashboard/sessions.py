"""Server-side dashboard sessions (table ``operator_sessions``).

The signed Flask cookie carries only a random session id (and the CSRF token); whether
that id still opens pages is decided here, on the server, at every request. Logout
revokes the id, so a cookie copied before logout is worthless afterwards; a password
change (a new ``password_hash``) revokes every session, because each row is tagged with
an HMAC of the hash it was opened under.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select, update

from tradefleet.orchestrator.clock import Clock

from tradefleet.dashboard.store_tables import operator_sessions as t


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def password_tag(secret_key: str, password_hash: str | None) -> str:
    """A tag of the password hash in force (HMAC, so the table never holds the hash)."""
    return hmac.new(secret_key.encode(), (password_hash or "").encode(), hashlib.sha256).hexdigest()


class SessionStore:
    """Open, check and revoke dashboard sessions in the store."""

    def __init__(self, store: Any, clock: Clock, secret_key: str, password_hash: str | None,
                 max_age_ns: int) -> None:
        self.store = store
        self.clock = clock
        self.tag = password_tag(secret_key, password_hash)
        self.max_age_ns = max_age_ns

    def open(self, user: str) -> str:
        """Open a session for ``user``; return its id (for the cookie only)."""
        sid = secrets.token_urlsafe(32)
        with self.store._writing("open a dashboard session") as conn:
            conn.execute(t.insert().values(sid_hash=_digest(sid), user=user[:128],
                                           created_ns=self.clock.now_ns(), revoked_ns=None, pw_tag=self.tag))
        return sid

    def user_of(self, sid: str | None) -> str | None:
        """The user of a live session, or None (unknown, revoked, expired, older password)."""
        if not sid:
            return None
        with self.store._reading("check a dashboard session") as conn:
            row = conn.execute(select(t.c.user, t.c.created_ns, t.c.revoked_ns, t.c.pw_tag)
                               .where(t.c.sid_hash == _digest(sid))).first()
        if row is None or row.revoked_ns is not None or not hmac.compare_digest(row.pw_tag, self.tag):
            return None
        if self.clock.now_ns() - int(row.created_ns) > self.max_age_ns:
            return None
        return str(row.user)

    def revoke(self, sid: str | None) -> None:
        """End one session (logout)."""
        if sid:
            with self.store._writing("revoke a dashboard session") as conn:
                conn.execute(update(t).where(t.c.sid_hash == _digest(sid), t.c.revoked_ns.is_(None))
                             .values(revoked_ns=self.clock.now_ns()))

    def revoke_all(self) -> int:
        """End every open session; return how many were open."""
        with self.store._writing("revoke dashboard sessions") as conn:
            res = conn.execute(update(t).where(t.c.revoked_ns.is_(None)).values(revoked_ns=self.clock.now_ns()))
        return int(res.rowcount or 0)
