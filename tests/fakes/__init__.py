"""Loopback fakes of every venue and data API (127.0.0.1, port 0), driven by real clients."""
