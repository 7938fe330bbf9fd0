"""Deprecated: use :mod:`tradefleet.orchestrator.bot` (this path goes in the next release)."""

import warnings as _warnings

from tradefleet.orchestrator import bot as _target
from tradefleet.orchestrator.bot import *  # noqa: F403

_warnings.warn("'orchestrator.bot' is deprecated: import from 'tradefleet.orchestrator.bot' (removed in the "
               "next release)", DeprecationWarning, stacklevel=2)


def __getattr__(name: str) -> object:
    return getattr(_target, name)
