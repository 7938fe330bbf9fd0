"""The ``[scale]`` config section: which bus, which executor, and the leader lease.

Environment variables overlay it like any section, e.g.
``TRADEFLEET__SCALE__BUS__KIND=redis`` and ``TRADEFLEET__SCALE__BUS__URL=redis://redis:6379/0``
(the names the docker-compose file and the Kubernetes manifests set).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tradefleet.orchestrator.sections import Section


class BusConfig(Section):
    """The event bus: in-process (one machine) or Redis Streams (several processes)."""

    kind: Literal["inprocess", "redis"] = "inprocess"
    url: str = "redis://127.0.0.1:6379/0"
    prefix: str = Field("tf", min_length=1, description="stream name prefix, e.g. tf:signals")
    consumer: str = Field("", description="consumer name in the group; empty = host:pid")
    block_ms: int = Field(1000, ge=1, description="how long one read waits for entries")
    batch: int = Field(256, ge=1, description="entries read per XREADGROUP")
    claim_idle_ms: int = Field(30_000, ge=1, description="entries pending this long on a dead consumer are claimed")
    maxlen: int = Field(1_000_000, ge=1000, description="approximate cap on each stream's length")


class ExecutorConfig(Section):
    """Where CPU work runs: a local process pool, or a Dask cluster's executor."""

    kind: Literal["local", "dask"] = "local"
    address: str = Field("", description="Dask scheduler, e.g. tcp://dask-scheduler:8786")
    workers: int | None = Field(None, ge=1, description="local pool size; default = CPU count")

    @model_validator(mode="after")
    def _dask_needs_address(self) -> ExecutorConfig:
        if self.kind == "dask" and not self.address:
            raise ValueError("executor kind 'dask' needs an address like tcp://HOST:8786")
        return self


class LeaseConfig(Section):
    """The leader lease in the store: one writer of risk and execution per account."""

    name: str = Field("leader:paper", min_length=1, description="lease name; one per account")
    ttl_seconds: float = Field(15.0, gt=0, description="a holder that does not renew loses the lease after this")
    renew_seconds: float = Field(5.0, gt=0, description="how often the holder renews")

    @model_validator(mode="after")
    def _renew_before_expiry(self) -> LeaseConfig:
        if self.renew_seconds >= self.ttl_seconds:
            raise ValueError("renew_seconds must be shorter than ttl_seconds")
        return self


class HealthConfig(Section):
    """The /healthz, /readyz and /metrics endpoint of orchestrator and worker processes."""

    host: str = "127.0.0.1"
    port: int = Field(9200, ge=0, le=65535)


class ScaleConfig(Section):
    """Bus, executor, lease and health endpoint of a multi-process fleet."""

    bus: BusConfig = BusConfig()
    executor: ExecutorConfig = ExecutorConfig()
    lease: LeaseConfig = LeaseConfig()
    health: HealthConfig = HealthConfig()
