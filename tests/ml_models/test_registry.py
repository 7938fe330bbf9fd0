"""Registry: versions, sha256, promote/rollback; a promoted model loads and predicts identically."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradefleet.ml_models.errors import ArtifactCorrupt, FeatureSetMismatch, MissingFeatures, ModelNotReady, StaleFeatures
from tradefleet.ml_models.features.featureset import bars_from_frame
from tradefleet.ml_models.model import Model
from tradefleet.ml_models.registry import ModelRegistry, manifest_digest, sha256_hex
from tradefleet.ml_models.training.trainer import TrainSpec, train_asset
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import TradefleetError

SPEC = TrainSpec(kind="xgboost", n_estimators=15, n_splits=2, device="cpu")


@pytest.fixture(scope="module")
def trained(spx: pd.DataFrame) -> Model:
    return train_asset(spx, "SPX", SPEC).model


@pytest.fixture()
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", SimClock(datetime(2026, 1, 2, tzinfo=UTC)))


def test_promoted_model_round_trips_and_predicts_identically(registry: ModelRegistry, trained: Model,
                                                             spx: pd.DataFrame) -> None:
    card = registry.register(trained)
    assert card.version == 1 and card.created == "2026-01-02T00:00:00+00:00"
    assert card.sha256 == manifest_digest(card.files)
    assert card.files == {"model.ubj": sha256_hex(trained.artifact_files()["model.ubj"])}
    registry.promote("SPX", 1)
    loaded = registry.load_promoted("SPX")
    for k in (300, 900, 1599):
        assert loaded.predict_proba(spx.iloc[:k + 1]) == trained.predict_proba(spx.iloc[:k + 1])
    assert loaded.card.metrics == trained.card.metrics
    assert registry.load_promoted("SPX") is loaded  # cached until the promotion changes


def test_promote_and_rollback_move_the_pointer(registry: ModelRegistry, trained: Model) -> None:
    for _ in range(3):
        registry.register(trained)
    assert [c.version for c in registry.versions("SPX")] == [1, 2, 3]
    registry.promote("SPX", 1)
    registry.promote("SPX", 3)
    assert registry.promoted_version("SPX") == 3
    assert registry.rollback("SPX").version == 1
    assert registry.promoted_version("SPX") == 1
    with pytest.raises(ModelNotReady, match="nothing to roll back"):
        registry.rollback("SPX")
    assert registry.assets() == ["SPX"]


def test_slashed_asset_names_get_a_folder(registry: ModelRegistry, trained: Model) -> None:
    trained.card = trained.card.with_(asset="EUR/USD")
    try:
        card = registry.register(trained)
        assert (registry.root / "EUR_USD" / "v0001" / "metadata.json").is_file()
        assert registry.versions("EUR/USD")[0].version == card.version
    finally:
        trained.card = trained.card.with_(asset="SPX")


def test_nothing_promoted_is_not_ready(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotReady, match="no promoted model"):
        registry.load_promoted("SPX")


def test_tampered_artifact_is_refused(registry: ModelRegistry, trained: Model) -> None:
    registry.register(trained)
    path = registry.root / "SPX" / "v0001" / "model.ubj"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactCorrupt, match="sha256"):
        registry.promote("SPX", 1)
    assert isinstance(ArtifactCorrupt("x"), TradefleetError)


def test_model_built_on_other_feature_code_refuses_to_predict(registry: ModelRegistry, trained: Model) -> None:
    registry.register(trained)
    meta = registry.root / "SPX" / "v0001" / "metadata.json"
    card = json.loads(meta.read_text())
    card["feature_set"]["version"] = 0  # as if trained before the feature code changed
    card["feature_hash"] = "0123456789abcdef"
    meta.write_text(json.dumps(card))
    with pytest.raises(FeatureSetMismatch, match="retrain"):
        registry.load("SPX", 1)


def test_stale_missing_and_wrong_timeframe_features(trained: Model, spx: pd.DataFrame,
                                                    eurusd: pd.DataFrame) -> None:
    last = int(spx.index[-1].value)
    day = 86_400 * 10**9
    assert 0 <= trained.predict_proba(spx, now_ns=last + 3 * day) <= 1
    with pytest.raises(StaleFeatures, match="old"):
        trained.predict_proba(spx, now_ns=last + 10 * day)
    with pytest.raises(MissingFeatures, match="undefined"):
        trained.predict_proba(spx.iloc[-100:])
    with pytest.raises(FeatureSetMismatch, match="1d bars, got 1h"):
        trained.predict_proba(eurusd)


def test_batch_and_last_row_predictions_agree(trained: Model, spx: pd.DataFrame) -> None:
    X = trained.feature_set.matrix(bars_from_frame(spx)).T
    batch = trained.predict_proba_rows(X[-1:])
    np.testing.assert_allclose(batch[0], trained.predict_proba(spx), atol=1e-6)
