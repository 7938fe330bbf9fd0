"""Deprecated: use :mod:`tradefleet.app.testing` (this path goes in the next release)."""

import warnings as _warnings

from tradefleet.app import testing as _target
from tradefleet.app.testing import *  # noqa: F403

_warnings.warn("'orchestrator.testing' is deprecated: import from 'tradefleet.app.testing' (removed in the "
               "next release)", DeprecationWarning, stacklevel=2)


def __getattr__(name: str) -> object:
    return getattr(_target, name)
