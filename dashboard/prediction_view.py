"""The dashboard's prediction-markets page (``/prediction``, ``/api/prediction``): the same
view as ``tradefleet markets`` (touch, fair value, best edge after fees, each input's age),
built from one live snapshot of the configured ``[prediction.markets]`` per request."""

from __future__ import annotations

from typing import Any

from tradefleet.orchestrator.clock import Clock


def register(app: Any, config: Any, clock: Clock, source: Any = None) -> None:
    """Add the page and its JSON twin to ``app`` (``source``: a snapshot source for tests)."""
    from flask import jsonify, render_template

    def data() -> dict[str, Any]:
        from tradefleet.bots.prediction.markets import markets_view

        if getattr(config, "prediction", None) is None:
            return {"ts_ns": clock.now_ns(), "markets": [], "notes": {}, "hint": "no [prediction] section"}
        return markets_view(config, clock, source)

    @app.get("/prediction")
    def prediction() -> Any:
        return render_template("prediction.html", page="prediction", d=data())

    app.add_url_rule("/api/prediction", "api_prediction", lambda: jsonify(data()))
