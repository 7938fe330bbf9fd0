"""Versioned model artifacts with metadata; promote, roll back, verify on load.

Layout under the root (default ``var/models``, ``[ml] root``)::

    <asset-slug>/v0001/metadata.json    ModelCard: asset, kind, feature-set spec + hash,
                      /model.ubj        training window, metrics, sha256 of every file
    <asset-slug>/promoted.json          {"version": 3, "history": [1, 2]}

The orchestrator (the ensemble's ``ml`` source) calls::

    model = ModelRegistry(root).load_promoted("SPX")   # ModelNotReady if none promoted
    p_up = model.predict_proba(frame, now_ns=clock.now_ns())

Loading re-hashes every artifact file (:class:`ArtifactCorrupt` on mismatch) and checks
the feature-set hash against the current feature code (:class:`FeatureSetMismatch`).
Versions are written to a temporary folder and renamed into place, so a reader never
sees half a model; the promotion pointer is replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.ml_models.errors import ArtifactCorrupt, ModelNotReady
from tradefleet.ml_models.model import Model, ModelCard

if TYPE_CHECKING:
    from tradefleet.orchestrator.clock import Clock

METADATA = "metadata.json"
POINTER = "promoted.json"


def slug(asset: str) -> str:
    """Return a folder name for ``asset`` (``EUR/USD`` -> ``EUR_USD``)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", asset).strip("._")
    if not s:
        raise ModelNotReady(f"asset name {asset!r} has no usable characters")
    return s


def sha256_hex(data: bytes) -> str:
    """Return the sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def manifest_digest(files: dict[str, str]) -> str:
    """Return the artifact's sha256: over the sorted ``name:sha256`` lines of its files."""
    return sha256_hex("".join(f"{n}:{h}\n" for n, h in sorted(files.items())).encode())


class ModelRegistry:
    """Model versions of every asset under one root folder."""

    def __init__(self, root: str | Path = "var/models", clock: Clock | None = None) -> None:
        self.root = Path(root)
        self._clock = clock
        self._cache: dict[tuple[str, int, str], Model] = {}
        self._pointers: dict[str, str] = {}  # asset -> its pointer file's path (asked per ensemble vote)

    @classmethod
    def from_config(cls, config: Any, clock: Clock | None = None) -> ModelRegistry:
        """Return the registry at ``config.ml.root``."""
        return cls(config.ml.root, clock)

    # --- writing -------------------------------------------------------------------
    def register(self, model: Model) -> ModelCard:
        """Store ``model`` as the asset's next version (not promoted); return its card."""
        files = model.artifact_files()
        hashes = {name: sha256_hex(data) for name, data in files.items()}
        folder = self.root / slug(model.asset)
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            version = max(self._version_numbers(model.asset), default=0) + 1
            card = model.card.with_(version=version, created=self._now(), files=hashes,
                                    sha256=manifest_digest(hashes))
            tmp = folder / f".tmp-v{version:04d}-{os.getpid()}"
            tmp.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            (tmp / METADATA).write_text(json.dumps(card.to_json(), indent=2, sort_keys=True))
            try:
                tmp.rename(folder / f"v{version:04d}")
            except OSError:  # another writer took this number: try the next one
                for p in tmp.iterdir():
                    p.unlink()
                tmp.rmdir()
                continue
            model.card = card
            return card

    def promote(self, asset: str, version: int) -> ModelCard:
        """Make ``version`` the one the orchestrator loads; the previous one goes on the history."""
        card = self.card(asset, version)
        self.load(asset, version)  # refuse to promote a corrupt or stale-feature artifact
        pointer = self._pointer(asset)
        current = pointer.get("version")
        history = list(pointer.get("history", []))
        if current is not None and current != version:
            history.append(current)
        self._write_pointer(asset, {"asset": asset, "version": version, "history": history})
        return card

    def rollback(self, asset: str) -> ModelCard:
        """Promote the previously promoted version again; return its card."""
        pointer = self._pointer(asset)
        history = list(pointer.get("history", []))
        if not history:
            raise ModelNotReady(f"models {asset}: nothing to roll back to "
                                f"(promoted: {pointer.get('version', 'none')})")
        version = history.pop()
        card = self.card(asset, version)
        self._write_pointer(asset, {"asset": asset, "version": version, "history": history})
        return card

    # --- reading -------------------------------------------------------------------
    def assets(self) -> list[str]:
        """Return the assets that have at least one version."""
        out = []
        if self.root.is_dir():
            for d in sorted(self.root.iterdir()):
                cards = sorted(d.glob(f"v*/{METADATA}")) if d.is_dir() else []
                if cards:
                    out.append(json.loads(cards[0].read_text())["asset"])
        return out

    def versions(self, asset: str) -> list[ModelCard]:
        """Return the cards of every version of ``asset``, oldest first."""
        return [self.card(asset, v) for v in sorted(self._version_numbers(asset))]

    def card(self, asset: str, version: int) -> ModelCard:
        """Return the card of ``asset`` ``version``."""
        path = self._folder(asset, version) / METADATA
        if not path.is_file():
            raise ModelNotReady(f"models {asset}: no version {version} under {self.root}")
        return ModelCard.from_json(json.loads(path.read_text()))

    def promoted_version(self, asset: str) -> int | None:
        """Return the promoted version of ``asset`` (None if none)."""
        v = self._pointer(asset).get("version")
        return int(v) if v is not None else None

    def load(self, asset: str, version: int) -> Model:
        """Load ``asset`` ``version`` after verifying every file's sha256 and the feature-set hash."""
        from tradefleet.ml_models.kinds import model_class

        card = self.card(asset, version)
        folder = self._folder(asset, version)
        files: dict[str, bytes] = {}
        for name, expected in card.files.items():
            path = folder / name
            data = path.read_bytes() if path.is_file() else b""
            if sha256_hex(data) != expected:
                raise ArtifactCorrupt(f"models {asset} v{version}: {path} does not match its recorded sha256; "
                                      f"roll back or retrain")
        for name in card.files:
            files[name] = (folder / name).read_bytes()
        if card.sha256 != manifest_digest(card.files):
            raise ArtifactCorrupt(f"models {asset} v{version}: metadata sha256 does not match its file list")
        model = model_class(card.kind).from_artifact(card, files)
        model.check_feature_set()
        return model

    def load_promoted(self, asset: str) -> Model:
        """Return the promoted model of ``asset`` (cached until the promotion changes).

        Raises :class:`ModelNotReady` when none is promoted, :class:`FeatureSetMismatch`
        when it was trained on other features, :class:`ArtifactCorrupt` on a bad hash.
        """
        version = self.promoted_version(asset)
        if version is None:
            raise ModelNotReady(f"models {asset}: no promoted model under {self.root}; "
                                f"run `tradefleet train {asset}` then `tradefleet models promote`")
        sha = self.card(asset, version).sha256 or ""
        key = (asset, version, sha)
        if key not in self._cache:
            self._cache = {k: v for k, v in self._cache.items() if k[0] != asset}
            self._cache[key] = self.load(asset, version)
        return self._cache[key]

    # --- internals -----------------------------------------------------------------
    def _now(self) -> str:
        from tradefleet.orchestrator.clock import LiveClock

        return (self._clock or LiveClock()).now().isoformat()

    def _folder(self, asset: str, version: int) -> Path:
        return self.root / slug(asset) / f"v{int(version):04d}"

    def _version_numbers(self, asset: str) -> list[int]:
        folder = self.root / slug(asset)
        if not folder.is_dir():
            return []
        return [int(p.name[1:]) for p in folder.iterdir() if re.fullmatch(r"v\d{4,}", p.name)]

    def _pointer(self, asset: str) -> dict[str, Any]:
        path = self._pointers.get(asset)
        if path is None:
            path = self._pointers[asset] = str(self.root / slug(asset) / POINTER)
        if not os.path.isfile(path):  # read fresh each time: another process may promote
            return {}
        with open(path, encoding="utf-8") as fh:
            return json.loads(fh.read())  # type: ignore[no-any-return]

    def _write_pointer(self, asset: str, data: dict[str, Any]) -> None:
        path = self.root / slug(asset) / POINTER
        tmp = path.with_name(f".{POINTER}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)
        self._cache = {k: v for k, v in self._cache.items() if k[0] != asset}
