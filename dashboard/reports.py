"""Serve backtest reports with their charts under a strict, per-response CSP.

A report is a self-contained HTML file whose Plotly charts run from inline scripts, which
the dashboard's own policy (``script-src 'self'``) blocks. Each report response instead
gets a fresh nonce stamped on the report's own ``<script>`` tags and a policy that allows
only scripts carrying it, and is sandboxed (an opaque origin: the report's scripts cannot
read the dashboard's cookies or call its API, even if a report were tampered with).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import Response, abort

_SCRIPT = re.compile(r"<script(?=[\s>])", re.IGNORECASE)


def report_csp(nonce: str) -> str:
    return (f"sandbox allow-scripts allow-popups allow-downloads; default-src 'none'; script-src 'nonce-{nonce}';"
            " style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none';"
            " frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def serve_report(root: Path, name: str) -> Response:
    """The report ``name`` under ``root`` (HTML with nonce'd scripts, or its JSON)."""
    root = root.resolve()
    path = (root / name).resolve()
    if not name.endswith((".html", ".json")) or root not in path.parents or not path.is_file():
        abort(404)
    if name.endswith(".json"):
        return Response(path.read_bytes(), mimetype="application/json")
    nonce = secrets.token_urlsafe(18)
    html = _SCRIPT.sub(f'<script nonce="{nonce}"', path.read_text(encoding="utf-8"))
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = report_csp(nonce)
    return resp
