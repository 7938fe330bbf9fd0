"""Extension points the kernel defines, components fill and the app wires.

Found through entry points, exactly like bots (``tradefleet.bots``) and gates:

=======================  ===================================================================
group                    an entry point names
=======================  ===================================================================
``tradefleet.sections``  a config section: ``weather = "pkg.config:WeatherConfig"`` (a
                         :class:`~tradefleet.orchestrator.sections.Section` subclass) becomes
                         ``[weather]`` in tradefleet.toml, validated like every other section
``tradefleet.commands``  a CLI sub-command: ``weather = "pkg.cli:register"``, called as
                         ``register(typer_app)`` when the app builds its command line
``tradefleet.hooks``     a runtime hook of paper/live runs: ``sync = "pkg.hooks:factory"``,
                         called as ``factory(runner)`` and returning an object with
                         ``start()`` and ``stop()``, or None to sit the run out
=======================  ===================================================================

The built-in components' sections, sub-commands and hooks (the watchdog, retraining, the
data hub's bar feed) are wired by the app itself; these groups are how any other installed
package extends the same places without the kernel importing it. A plugin that fails to
load is reported and left out; the rest of the run goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

__all__ = ["COMMANDS", "HOOKS", "SECTIONS", "Extension", "discover"]

SECTIONS = "tradefleet.sections"
COMMANDS = "tradefleet.commands"
HOOKS = "tradefleet.hooks"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extension:
    """One registered extension: loaded (``obj``) or broken (``error``)."""

    group: str
    name: str
    target: str
    obj: Any = None
    error: str = ""


def discover(group: str) -> list[Extension]:
    """Every entry point of ``group``, loaded, in name order; a broken one carries its error."""
    import importlib.metadata as md

    out: list[Extension] = []
    seen: set[str] = set()
    for ep in sorted(md.entry_points(group=group), key=lambda e: e.name):
        if ep.name in seen:
            continue
        seen.add(ep.name)
        try:
            out.append(Extension(group, ep.name, ep.value, ep.load()))
        except Exception as exc:  # a broken plugin is listed, never fatal
            _log.warning("%s %s (%s) failed to load: %s", group, ep.name, ep.value, exc)
            out.append(Extension(group, ep.name, ep.value, error=f"{type(exc).__name__}: {exc}"))
    return out
