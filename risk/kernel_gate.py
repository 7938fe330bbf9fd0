"""The kernel's fixed-fraction gate (:mod:`tradefleet.risk.basic`) registered as ``basic-risk``.

The portfolio engine (:mod:`tradefleet.risk.engine`) now owns the ``risk`` entry point; this alias
keeps the basic gate discoverable under its own name (the registry requires the class's
``name`` to equal the entry-point name, so the alias only overrides ``name``)."""

from __future__ import annotations

from typing import ClassVar

from tradefleet.risk.basic import BasicRiskGate


class KernelRiskGate(BasicRiskGate):
    """:class:`tradefleet.risk.basic.BasicRiskGate` under the name ``basic-risk``."""

    name: ClassVar[str] = "basic-risk"
