"""Deprecated import path: tradefleet installs under the ``tradefleet`` namespace.

``orchestrator.bot`` and ``orchestrator.testing`` keep working for one release (with a
DeprecationWarning); use ``tradefleet.orchestrator.bot`` and ``tradefleet.app.testing``.
"""
