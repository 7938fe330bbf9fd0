"""Plugin discovery by entry points only.

Groups: ``tradefleet.bots`` (BotSpec objects), ``tradefleet.sources``,
``tradefleet.vetoes``, ``tradefleet.gates``, ``tradefleet.brokers``,
``tradefleet.providers`` (classes). Every plugin is checked when it registers; one that
fails to import or fails a check is kept as *broken* with its error, and the rest load.
"""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tradefleet.orchestrator.bot import API_VERSION, Bot, BotSpec
from tradefleet.orchestrator.errors import PluginError

GROUPS = ("bots", "sources", "vetoes", "gates", "brokers", "providers")


class PluginStatus(StrEnum):
    OK = "ok"
    BROKEN = "broken"
    FAULTED = "faulted"


@dataclass
class PluginRecord:
    """One discovered plugin and its health."""

    group: str
    name: str
    target: str
    obj: Any = None
    status: PluginStatus = PluginStatus.OK
    error: str = ""
    dist: str = ""


@dataclass
class Registry:
    """Everything discovered, by group then name."""

    records: dict[str, dict[str, PluginRecord]] = field(default_factory=lambda: {g: {} for g in GROUPS})

    # -- discovery ------------------------------------------------------------------
    @classmethod
    def discover(cls, groups: Iterable[str] = GROUPS) -> Registry:
        """Load every entry point of ``groups`` installed in this environment."""
        reg = cls()
        for group in groups:
            for ep in sorted(md.entry_points(group=f"tradefleet.{group}"), key=lambda e: e.name):
                dist = ep.dist.name if ep.dist is not None else ""
                reg.add_entry(group, ep.name, ep.value, ep.load, dist)
        return reg

    def add_entry(self, group: str, name: str, target: str, load: Callable[[], Any], dist: str = "") -> PluginRecord:
        """Load one plugin through ``load`` and check it; failures are recorded, not raised."""
        rec = PluginRecord(group=group, name=name, target=target, dist=dist)
        if name in self.records[group]:
            prev = self.records[group][name]
            rec.status, rec.error = PluginStatus.BROKEN, f"duplicate name: already registered by {prev.dist or prev.target}"
            self.records[group][f"{name}#dup:{target}"] = rec
            return rec
        self.records[group][name] = rec
        try:
            obj = load()
            _CHECKS[group](name, obj)
            rec.obj = obj
        except Exception as exc:  # any import or check failure isolates this plugin only
            rec.status = PluginStatus.BROKEN
            rec.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return rec

    # -- lookup ---------------------------------------------------------------------
    def ok(self, group: str) -> dict[str, Any]:
        """Return name -> plugin object for the healthy plugins of ``group``."""
        return {n: r.obj for n, r in self.records[group].items() if r.status is PluginStatus.OK}

    def broken(self, group: str | None = None) -> list[PluginRecord]:
        groups = [group] if group else list(GROUPS)
        return [r for g in groups for r in self.records[g].values() if r.status is not PluginStatus.OK]

    def bots(self) -> dict[str, BotSpec]:
        return self.ok("bots")

    def bot(self, name: str) -> BotSpec:
        """Return a registered bot or raise PluginError naming the close matches."""
        rec = self.records["bots"].get(name)
        if rec is None:
            import difflib

            from tradefleet.orchestrator.config_file import show_value

            close = difflib.get_close_matches(name, list(self.records["bots"]), n=3) if len(name) < 200 else []
            hint = f"; did you mean {', '.join(close)}?" if close else "; see 'tradefleet bots list'"
            raise PluginError(f"no bot named {show_value(name)}{hint}")
        if rec.status is not PluginStatus.OK:
            raise PluginError(f"bot {name} is {rec.status.value}: {rec.error}")
        spec: BotSpec = rec.obj
        return spec

    def get(self, group: str, name: str) -> Any:
        rec = self.records[group].get(name)
        if rec is None:
            raise PluginError(f"no {group[:-1]} named {name!r} (registered: {', '.join(sorted(self.ok(group))) or 'none'})")
        if rec.status is not PluginStatus.OK:
            raise PluginError(f"{group[:-1]} {name} is {rec.status.value}: {rec.error}")
        return rec.obj

    def mark_faulted(self, group: str, name: str, error: str) -> None:
        """Record that a plugin raised at run time; the fleet keeps running without it."""
        rec = self.records[group][name]
        rec.status, rec.error = PluginStatus.FAULTED, error


def _check_bot(name: str, obj: Any) -> None:
    if not isinstance(obj, BotSpec):
        raise PluginError(f"entry point must resolve to a BotSpec, got {type(obj).__name__}")
    if obj.name != name:
        raise PluginError(f"entry-point name {name!r} differs from BotSpec.name {obj.name!r}")
    if not (isinstance(obj.bot, type) and issubclass(obj.bot, Bot)):
        raise PluginError(f"{obj.bot!r} is not a subclass of tradefleet.orchestrator.bot.Bot")
    _check_api_version(obj.bot)
    obj.make_params()


def _check_api_version(cls: Any) -> None:
    version = getattr(cls, "api_version", None)
    if version != API_VERSION:
        raise PluginError(f"{getattr(cls, '__name__', cls)} targets api_version {version}; this tradefleet speaks {API_VERSION}")


def _check_class(name: str, obj: Any) -> None:
    if not isinstance(obj, type):
        raise PluginError(f"entry point must resolve to a class, got {type(obj).__name__}")
    declared = getattr(obj, "name", None)
    if declared != name:
        raise PluginError(f"entry-point name {name!r} differs from {obj.__name__}.name {declared!r}")
    if not callable(getattr(obj, "build", None)):
        raise PluginError(f"{obj.__name__} has no build(services) classmethod")
    _check_api_version(obj)


_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "bots": _check_bot,
    "sources": _check_class,
    "vetoes": _check_class,
    "gates": _check_class,
    "brokers": _check_class,
    "providers": _check_class,
}
