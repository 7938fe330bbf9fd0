"""Per-asset ML models: point-in-time features, training, registry, LSTM, sentiment.

The API the orchestrator uses (kept stable)::

    from tradefleet.ml_models.registry import ModelRegistry
    model = ModelRegistry(cfg.ml.root).load_promoted("SPX")      # -> tradefleet.ml_models.model.Model
    p_up = model.predict_proba(frame, now_ns=clock.now_ns())      # float in [0, 1]

    from tradefleet.ml_models.sentiment import score_texts
    score_texts(["stock rises"], cfg.ml.sentiment_model_dir)      # -> list[float in [-1, 1]]

Errors are :class:`tradefleet.ml_models.errors.ModelNotReady` (and its subclasses MissingFeatures,
StaleFeatures, FeatureSetMismatch) or ArtifactCorrupt, all TradefleetErrors.
"""
