"""Memory: discovering plugins does not load the HTTP client.

The alternative-data sources are plugins, so ``Registry.discover()`` (every ``tradefleet run``
and replay) imported each source module, and each imported ``scrapers.http`` and with it
httpx (and rich): ~7 MB of a replay's RSS for a client a replay never builds. The sources
now name ``SourceClient`` for type checkers only; the hub imports it when a client is built.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import json
    import sys

    from tradefleet.orchestrator.registry import Registry

    reg = Registry.discover()
    alt = [m for m in sys.modules if m.startswith("tradefleet.scrapers.alt.")]
    after_discover = "httpx" in sys.modules

    from tradefleet.scrapers import http
    from tradefleet.scrapers.alt import fred, news, nowcast, odds, weather

    same_error = all(m.SourceUnavailable is http.SourceUnavailable for m in (fred, nowcast, odds, weather))
    print(json.dumps({"alt_modules": len(alt), "after_discover": after_discover,
                      "loaded_on_use": "httpx" in sys.modules, "same_error": same_error}))
''')


def test_discovering_plugins_leaves_httpx_unloaded_until_a_client_is_needed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=dict(os.environ), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["alt_modules"] > 0  # the source plugins were imported by discovery
    assert got == {"alt_modules": got["alt_modules"], "after_discover": False, "loaded_on_use": True,
                   "same_error": True}
