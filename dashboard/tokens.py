"""REST API tokens (table ``api_tokens``) and the operator audit trail (``operator_audit``).

A token is shown once, when it is created; the store keeps only its SHA-256 (tokens are
256 random bits, so a fast hash is enough: there is nothing to guess). Scopes:

* ``read``: every GET (every token has it);
* ``control``: pause, resume, halt and resume of a halt;
* ``trade``: force-exit a position, start a backtest.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.errors import ConfigError

from tradefleet.dashboard.store_tables import api_tokens as t
from tradefleet.dashboard.store_tables import operator_audit as audit_t

SCOPES = ("read", "control", "trade")
PREFIX = "tfk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TokenError(ConfigError):
    """A token request that cannot be done (bad name or scope, duplicate, unknown token)."""


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    name: str
    scopes: tuple[str, ...]
    created_ns: int
    created_by: str
    revoked_ns: int | None
    last_used_ns: int | None

    @property
    def active(self) -> bool:
        return self.revoked_ns is None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validated scopes in canonical order; ``read`` is always included."""
    wanted = {s.strip().lower() for raw in scopes for s in raw.split(",") if s.strip()}
    bad = sorted(wanted - set(SCOPES))
    if bad:
        raise TokenError(f"unknown scope {bad[0]!r}: use {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in wanted | {"read"})


class TokenStore:
    """Create, list, revoke and check API tokens in the store."""

    def __init__(self, store: Any, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def create(self, name: str, scopes: list[str] | tuple[str, ...], actor: str) -> str:
        """Store a new token; return its secret (shown once)."""
        if not _NAME.match(name):
            raise TokenError(f"token name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
        scope = parse_scopes(scopes)
        if any(i.name == name for i in self.list()):
            raise TokenError(f"token {name!r} exists: revoke it or pick another name")
        token = PREFIX + secrets.token_urlsafe(32)
        with self.store._writing(f"create API token {name}") as conn:
            conn.execute(t.insert().values(name=name, token_hash=digest(token), scopes=",".join(scope),
                                           created_ns=self.clock.now_ns(), created_by=actor[:128],
                                           revoked_ns=None, last_used_ns=None))
        return token

    def list(self) -> list[TokenInfo]:
        """Every token ever created (revoked ones too), oldest first."""
        with self.store._reading("list API tokens") as conn:
            rows = conn.execute(select(t).order_by(t.c.created_ns, t.c.name)).all()
        return [TokenInfo(r.name, tuple(r.scopes.split(",")), r.created_ns, r.created_by, r.revoked_ns,
                          r.last_used_ns) for r in rows]

    def revoke(self, name: str) -> None:
        """Revoke a token at once (its next call is refused)."""
        with self.store._writing(f"revoke API token {name}") as conn:
            res = conn.execute(update(t).where(t.c.name == name, t.c.revoked_ns.is_(None))
                               .values(revoked_ns=self.clock.now_ns()))
        if not res.rowcount:
            known = {i.name: i for i in self.list()}
            if name in known:
                raise TokenError(f"token {name!r} is already revoked")
            raise TokenError(f"no token named {name!r}: see 'tradefleet api-token list'")

    def check(self, token: str) -> TokenInfo | None:
        """The active token matching ``token`` (its use recorded), or None."""
        if not token.startswith(PREFIX):
            return None
        with self.store._reading("check an API token") as conn:
            r = conn.execute(select(t).where(t.c.token_hash == digest(token))).first()
        if r is None or r.revoked_ns is not None:
            return None
        now = self.clock.now_ns()
        with self.store._writing("record API token use") as conn:
            conn.execute(update(t).where(t.c.name == r.name).values(last_used_ns=now))
        return TokenInfo(r.name, tuple(r.scopes.split(",")), r.created_ns, r.created_by, None, now)


def audit(store: Any, ts_ns: int, actor: str, kind: str, method: str, path: str, status: int,
          addr: str, detail: str = "") -> None:
    """Append one row to the operator audit trail."""
    with store._writing("write the operator audit") as conn:
        conn.execute(audit_t.insert().values(ts_ns=ts_ns, actor=actor[:128], kind=kind[:16], method=method[:8],
                                             path=path[:512], status=status, addr=addr[:64], detail=detail))


def audit_rows(store: Any, actor: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest audit rows (of one actor), newest first."""
    q = select(audit_t).order_by(audit_t.c.id.desc()).limit(limit)
    if actor is not None:
        q = q.where(audit_t.c.actor == actor)
    with store._reading("read the operator audit") as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
