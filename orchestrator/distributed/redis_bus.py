"""The Bus protocol on Redis Streams, for fleets that span several processes.

Each topic is a stream ``<prefix>:<topic>``; each bus instance reads as one consumer of one
consumer group (its role: ``leader``, ``workers``, ``dashboard``), so every role sees every
entry once and the consumers of a role share the load. Delivery is at least once:

* an entry is acknowledged (``XACK``) only after every handler returned;
* a consumer that restarts, or whose connection was cut, first re-reads its own pending
  entries (``XREADGROUP ... 0``): it resumes from the last entry it acknowledged;
* entries left pending by a dead consumer for ``claim_idle_ms`` are taken over with
  ``XAUTOCLAIM`` by a live consumer of the same group;
* a handler may return ``(topic, event)`` outputs: they are added and the input is
  acknowledged in one ``MULTI/EXEC`` transaction, so a crash can never publish a result
  without consuming its input or consume an input without publishing its result;
* an entry whose handlers failed ``max_attempts`` times goes to ``<prefix>:dead`` (and is
  acknowledged), so one poison message cannot stall a group.

``publish`` never raises for a broken connection: events wait in a bounded backlog and are
sent, in order, on the next successful call.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.bus import Topic
from tradefleet.orchestrator.distributed.codec import CodecError, decode, encode
from tradefleet.orchestrator.errors import TradefleetError

if TYPE_CHECKING:
    import redis

    from tradefleet.orchestrator.distributed.config import BusConfig

Output = tuple["Topic | str", Any]
StreamHandler = Callable[["Topic | str", Any], "Iterable[Output] | None"]
DEAD = "dead"
FIELD = b"e"
# XADD every ARGV[2..] to KEYS[1] in one round trip and one command to pack (a pipeline of
# single XADDs spends most of its time in the client packing commands).
_XADD_MANY = """
local n = 0
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i])
  n = n + 1
end
return n
"""


class BusUnavailable(TradefleetError):
    """Redis could not be reached."""


@dataclass
class BusStats:
    """Counters of one bus instance (exported as metrics)."""

    published: int = 0
    handled: int = 0
    acked: int = 0
    claimed: int = 0
    redelivered: int = 0
    dead: int = 0
    outages: int = 0
    backlog_dropped: int = 0
    failures: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # the last 100 failures


def default_consumer() -> str:
    """``host:pid``: unique per process, stable for the life of the process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def connect(url: str, *, block_ms: int = 1000) -> redis.Redis:
    """A redis-py client that does not retry on its own (the bus decides what to redo)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=block_ms / 1000 + 5.0,
                                retry=Retry(NoBackoff(), 0), health_check_interval=0)


class RedisStreamsBus:
    """A :class:`tradefleet.orchestrator.bus.Bus` over Redis Streams consumer groups."""

    def __init__(self, client: redis.Redis, *, group: str, consumer: str | None = None, prefix: str = "tf",
                 block_ms: int = 1000, batch: int = 256, claim_idle_ms: int = 30_000, maxlen: int = 1_000_000,
                 start: str = "0", max_attempts: int = 5, backlog: int = 100_000) -> None:
        self.client = client
        self.group = group
        self.consumer = consumer or default_consumer()
        self.prefix = prefix
        self.block_ms = block_ms
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms
        self.maxlen = maxlen
        self.start = start
        self.max_attempts = max_attempts
        self.stats = BusStats()
        self.connected = True
        self._handlers: dict[str, list[StreamHandler]] = {}
        self._groups_ready: set[str] = set()
        self._recovering: set[str] = set()  # streams whose own pending entries are re-read first
        self._failures: dict[bytes, int] = {}
        self._backlog: deque[tuple[str, bytes]] = deque()
        self._backlog_cap = backlog
        self._xadd_many: Any = None
        self._topics: dict[str, Topic | str] = {}
        self._claim_from: dict[str, Any] = {}  # XAUTOCLAIM cursor per stream

    @classmethod
    def from_config(cls, cfg: BusConfig, group: str, consumer: str | None = None, **kw: Any) -> RedisStreamsBus:
        """A bus for ``group`` built from the ``[scale.bus]`` section."""
        return cls(connect(cfg.url, block_ms=cfg.block_ms), group=group, consumer=consumer or cfg.consumer or None,
                   prefix=cfg.prefix, block_ms=cfg.block_ms, batch=cfg.batch, claim_idle_ms=cfg.claim_idle_ms,
                   maxlen=cfg.maxlen, **kw)

    def stream(self, topic: Topic | str) -> str:
        """The stream key of ``topic``."""
        return f"{self.prefix}:{topic}"

    # -- publishing -------------------------------------------------------------------
    def publish(self, topic: Topic | str, event: Any) -> None:
        """Append ``event`` to the topic's stream (kept in the backlog while Redis is down).

        Like the in-process bus, publishing never breaks the publisher: an event the codec
        cannot carry is counted in ``stats.errors`` and skipped."""
        self.publish_many(topic, (event,))

    def publish_many(self, topic: Topic | str, events: Iterable[Any]) -> None:
        """Append many events in one pipelined round trip."""
        key = self.stream(topic)
        for event in events:
            try:
                payload = encode(event)
            except CodecError as exc:
                self._error(str(topic), f"not published: {exc}")
                continue
            self._queue(key, payload)
        self.flush()

    def _error(self, where: str, message: str) -> None:
        self.stats.failures += 1
        self.stats.errors.append((where, message[:500]))
        del self.stats.errors[:-100]

    def _queue(self, key: str, payload: bytes) -> None:
        if len(self._backlog) >= self._backlog_cap:
            self._backlog.popleft()
            self.stats.backlog_dropped += 1
        self._backlog.append((key, payload))

    def flush(self) -> bool:
        """Send the backlog; return False (keeping it) if Redis is unreachable."""
        if not self._backlog:
            return True
        items = list(self._backlog)
        try:
            if self._xadd_many is None:
                self._xadd_many = self.client.register_script(_XADD_MANY)
            pipe = self.client.pipeline(transaction=False)
            start = 0
            for i in range(1, len(items) + 1):  # one script call per run of entries for one stream
                if i == len(items) or items[i][0] != items[start][0]:
                    if i - start == 1:
                        pipe.xadd(items[start][0], {FIELD: items[start][1]}, maxlen=self.maxlen, approximate=True)
                    else:
                        self._xadd_many(keys=[items[start][0]], args=[self.maxlen, *(p for _k, p in items[start:i])],
                                        client=pipe)
                    start = i
            pipe.execute()
        except _conn_errors() as exc:
            self._outage(exc)
            return False
        for _ in items:
            self._backlog.popleft()
        self.stats.published += len(items)
        self.connected = True
        return True

    @property
    def backlog(self) -> int:
        """Events waiting for Redis."""
        return len(self._backlog)

    # -- consuming --------------------------------------------------------------------
    def subscribe(self, topic: Topic | str, handler: StreamHandler) -> None:
        """Handle every entry of ``topic`` delivered to this consumer (see :meth:`poll`)."""
        key = self.stream(topic)
        self._handlers.setdefault(key, []).append(handler)
        self._recovering.add(key)
        try:
            self._ensure_group(key)
        except _conn_errors() as exc:
            self._outage(exc)

    def _ensure_group(self, key: str) -> None:
        import redis

        if key in self._groups_ready:
            return
        try:
            self.client.xgroup_create(key, self.group, id=self.start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups_ready.add(key)

    def poll(self, block_ms: int | None = None) -> int:
        """Read and handle one batch; return how many entries were handled.

        Order: this consumer's own pending entries (after a restart or a cut connection),
        then entries idle on dead consumers, then new entries (waiting up to ``block_ms``).
        A broken connection is recorded and reported as 0; the next call retries."""
        if not self._handlers:
            return 0
        try:
            if not self.flush():
                return 0
            for key in list(self._handlers):
                self._ensure_group(key)
            n = self._recover()
            n += self._claim()
            if n:
                return n
            wait = self.block_ms if block_ms is None else block_ms
            got = self.client.xreadgroup(self.group, self.consumer, {k: ">" for k in self._handlers},
                                         count=self.batch, block=wait or None)
            self.connected = True
            return self._handle_all(got)
        except _conn_errors() as exc:
            self._outage(exc)
            return 0

    def _recover(self) -> int:
        n = 0
        for key in list(self._recovering):
            got = self.client.xreadgroup(self.group, self.consumer, {key: "0"}, count=self.batch)
            entries = _entries(got)
            if not entries:
                self._recovering.discard(key)
                continue
            self.stats.redelivered += len(entries)
            n += self._handle_all(got)
        return n

    def _claim(self) -> int:
        n = 0
        for key in self._handlers:
            # continue the scan of the pending list where the previous call stopped, so idle
            # entries behind many busy ones are reached too; the cursor wraps to 0-0
            res = self.client.xautoclaim(key, self.group, self.consumer, self.claim_idle_ms,
                                         self._claim_from.get(key, "0-0"), count=self.batch)
            self._claim_from[key] = res[0]
            claimed = [(eid, fields) for eid, fields in res[1] if fields is not None]
            if claimed:
                self.stats.claimed += len(claimed)
                n += self._handle_all([[key.encode(), claimed]])
        return n

    def _handle_all(self, got: Any) -> int:
        n = 0
        for stream, entries in _streams(got):
            key = stream.decode() if isinstance(stream, bytes) else stream
            plain_acks: list[bytes] = []
            for eid, fields in entries:
                if fields is None or FIELD not in fields:  # trimmed or foreign entry: nothing to do
                    plain_acks.append(eid)
                    continue
                outputs = self._dispatch(key, eid, fields[FIELD])
                if outputs is None:
                    continue
                n += 1
                if outputs:
                    self._ack_with_outputs(key, eid, outputs)
                else:
                    plain_acks.append(eid)
            if plain_acks:
                self.client.xack(key, self.group, *plain_acks)
                self.stats.acked += len(plain_acks)
        return n

    def _dispatch(self, key: str, eid: bytes, payload: bytes) -> list[Output] | None:
        """Run the handlers; return their outputs, or None if one failed (left pending)."""
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = _as_topic(key[len(self.prefix) + 1:])
        outputs: list[Output] = []
        try:
            event = decode(payload)
            for handler in self._handlers.get(key, ()):
                outputs.extend(handler(topic, event) or ())
        except _conn_errors():
            raise
        except Exception as exc:  # a handler must never stop the consumer
            self._error(str(topic), f"{type(exc).__name__}: {exc}")
            if getattr(exc, "defer_entry", False):
                return None  # not this consumer's to handle now (e.g. a deposed leader): no attempt counted
            attempts = self._failures.get(eid, 0) + 1
            self._failures[eid] = attempts
            if attempts >= self.max_attempts:
                self._dead_letter(key, eid, payload, exc)
                return []
            return None
        self._failures.pop(eid, None)
        self.stats.handled += 1
        return outputs

    def _dead_letter(self, key: str, eid: bytes, payload: bytes, exc: Exception) -> None:
        self.client.xadd(self.stream(DEAD), {FIELD: payload, b"from": key, b"id": eid,
                                             b"error": f"{type(exc).__name__}: {exc}"[:500]},
                         maxlen=self.maxlen, approximate=True)
        self.stats.dead += 1
        self._failures.pop(eid, None)

    def _ack_with_outputs(self, key: str, eid: bytes, outputs: list[Output]) -> None:
        pipe = self.client.pipeline(transaction=True)
        for topic, event in outputs:
            pipe.xadd(self.stream(topic), {FIELD: encode(event)}, maxlen=self.maxlen, approximate=True)
        pipe.xack(key, self.group, eid)
        pipe.execute()
        self.stats.published += len(outputs)
        self.stats.acked += 1

    def _outage(self, exc: BaseException) -> None:
        if self.connected:
            self.stats.outages += 1
        self.connected = False
        self._error("redis", f"{type(exc).__name__}: {exc}")
        # whatever was delivered but not acknowledged before the cut is re-read first
        self._recovering.update(self._handlers)
        try:
            self.client.connection_pool.reset()
        except Exception:  # the pool is rebuilt lazily on the next command anyway
            pass

    # -- introspection ----------------------------------------------------------------
    def pending(self, topic: Topic | str) -> int:
        """Entries of ``topic`` delivered to this group and not yet acknowledged."""
        info = self.client.xpending(self.stream(topic), self.group)
        return int(info["pending"])

    def lag(self, topic: Topic | str) -> int:
        """Entries of ``topic`` not yet delivered to this group (0 if unknown)."""
        for g in self.client.xinfo_groups(self.stream(topic)):
            if g["name"] in (self.group, self.group.encode()):
                return int(g.get("lag") or 0)
        return 0

    def ping(self) -> bool:
        """True if Redis answers."""
        try:
            return bool(self.client.ping())
        except _conn_errors():
            return False

    def close(self) -> None:
        """Flush what can be flushed and close the connections."""
        self.flush()
        self.client.close()


def _streams(got: Any) -> list[tuple[Any, Any]]:
    """(stream, entries) pairs of an XREADGROUP reply: a list of pairs under RESP2, a dict
    of stream -> [entries] under RESP3."""
    if not got:
        return []
    if isinstance(got, dict):
        return [(k, v[0] if v and isinstance(v[0], list) else v) for k, v in got.items()]
    return [(k, v) for k, v in got]


def _entries(got: Any) -> list[Any]:
    return [e for _s, entries in _streams(got) for e in entries]


def _as_topic(name: str) -> Topic | str:
    try:
        return Topic(name)
    except ValueError:
        return name


def _conn_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError)
