"""Operator interfaces: the Flask web dashboard, one Telegram bot for the whole fleet,
Prometheus metrics with health endpoints, and the watchdog.

They talk to the engine only through the store's control state, its records and the
event bus (see :mod:`tradefleet.dashboard.control`); nothing here holds a broker handle.
"""
