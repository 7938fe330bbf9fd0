"""The OpenAPI 3.1 document of ``/api/v1``, built from the API's own route table.

Each operation names its scope in ``security`` (``bearer: [scope]``) and in the
``x-scope`` extension, and its summary says so, so a reader of the document knows which
token an endpoint needs without reading code.
"""

from __future__ import annotations

import re
from typing import Any

from tradefleet.dashboard.tokens import SCOPES

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(flask_path: str) -> tuple[str, list[str]]:
    names = [m.group(2) for m in _PARAM.finditer(flask_path)]
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", flask_path), names


def openapi_document(routes: list[Any]) -> dict[str, Any]:
    """OpenAPI 3.1 for ``routes`` (:class:`tradefleet.dashboard.api_v1.Route`)."""
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        path, names = _path(r.path)
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        params += [{"name": n, "in": "query", "required": False, "schema": {"type": t}, "description": d}
                   for n, t, d in r.query]
        op: dict[str, Any] = {
            "operationId": f"{r.method.lower()}{path.replace('/', '_').replace('{', '').replace('}', '')}",
            "summary": f"{r.summary} (scope: {r.scope})",
            "security": [{"bearer": [r.scope]}],
            "x-scope": r.scope,
            "parameters": params,
            "responses": {
                "200" if r.method == "GET" else ("202" if r.path == "/backtests" else "200"):
                    {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": {"$ref": "#/components/responses/Error"},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
            },
        }
        if r.body:
            op["requestBody"] = {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": r.body, "additionalProperties": False}}}}
        paths.setdefault(path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "tradefleet operator API", "version": "1",
                 "description": "Token-authenticated control of a tradefleet fleet. Create tokens with"
                                " `tradefleet api-token create NAME --scope read|control|trade`; every"
                                " token has read. Every call is audited with the token's name."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "scopes: " + ", ".join(SCOPES)}},
            "responses": {"Error": {"description": "what was wrong", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}},
        },
    }
