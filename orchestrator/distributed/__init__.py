"""Beyond one machine: the Redis Streams bus, the PostgreSQL leader lease with fencing,
signal workers and the leader loop, and the executor chosen by configuration.

Everything here is optional: the embedded default (SQLite, in-process bus, local pool)
never imports this package's Redis or Dask code.
"""
