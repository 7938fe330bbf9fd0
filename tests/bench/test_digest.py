"""The default run's outputs are pinned: orders, fills, equity, signals and gate decisions.

``bench.digest`` runs ``tradefleet run`` (the embedded default: every built-in bot, the
bundled data, the paper broker and every gate of the default pipeline: regime, ensemble,
veto, fleet, portfolio risk) over one year, 2016-07-01..2017-06-30, in a fresh folder and
store, and hashes what it stored. Speed work (issue 23) must leave the hash identical.

A change of behaviour made on purpose updates the stored digest in its own commit, with
the reason: ``.venv/bin/python -m bench.digest --write`` (this window) and
``.venv/bin/python -m bench.digest --full --write`` (the whole default run, kept in
``bench/digests.json`` too but too slow for the suite; check it with ``--full --check``).
"""

from __future__ import annotations

import pytest

from bench.digest import WINDOW, digest_of_run, expected, window_key


@pytest.mark.slow
def test_default_run_digest_is_unchanged() -> None:
    key = window_key(*WINDOW)
    want = expected(key)
    assert want is not None, f"bench/digests.json has no digest for {key}"
    got, tables = digest_of_run(*WINDOW)
    counts = {name: len(t) for name, t in tables.items()}
    # every gate ran and the fleet traded: a digest of an empty run would pin nothing
    assert counts["fills"] > 100 and counts["gate_decisions"] > counts["signals"] > 100
    gates = {row[2] for row in tables["gate_decisions"]}
    assert {"regime", "ensemble", "risk"} <= gates, gates
    assert got == want, f"the default run's outputs changed: {got} != {want} (rows {counts}); see this module's docstring"
