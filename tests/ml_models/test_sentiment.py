"""Sentiment: a tiny BERT built at test time through the real loading path; the LM lexicon fallback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradefleet.ml_models.sentiment import LexiconSentiment, SentimentError, TransformerSentiment, score_texts

WORDS = ["stock", "rises", "falls", "on", "strong", "weak", "revenue", "loss", "profit", "guidance"]
TEXTS = ["stock rises on strong revenue", "stock falls on weak guidance and loss", "profit"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("finbert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128, num_labels=3,
                     id2label={0: "negative", 1: "neutral", 2: "positive"},
                     label2id={"negative": 0, "neutral": 1, "positive": 2})
    torch.manual_seed(0)
    BertForSequenceClassification(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_local_model_scores_positive_minus_negative(tiny_bert: Path) -> None:
    from transformers import pipeline

    scores = score_texts(TEXTS, str(tiny_bert))
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert len(scores) == 3 and all(-1.0 <= s <= 1.0 for s in scores)
    ref = pipeline("text-classification", model=str(tiny_bert), device=-1)(TEXTS, top_k=None)
    for got, labels in zip(scores, ref, strict=True):
        by = {d["label"]: d["score"] for d in labels}
        assert got == pytest.approx(by["positive"] - by["negative"], abs=1e-6)
    assert TransformerSentiment(tiny_bert).score_texts([]) == []


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SentimentError, match="config.json"):
        TransformerSentiment(tmp_path / "nope")


def test_lexicon_answers_without_a_model() -> None:
    lm = LexiconSentiment()
    pos, neg, none = lm.score_texts(["Record profit and strong gains beat expectations",
                                     "The company reported a loss and faces litigation after the default",
                                     "The meeting is on Tuesday"])
    assert pos > 0 > neg and none == 0.0
    assert score_texts(["strong gains"]) == lm.score_texts(["strong gains"])


def test_fresh_process_loads_the_local_model_offline(tiny_bert: Path, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    env = {**os.environ, "HF_HOME": str(tmp_path / "empty-hf-home")}
    env.pop("HF_HUB_OFFLINE", None)
    code = ("import json, os; from tradefleet.ml_models.sentiment import score_texts; "
            f"s = score_texts({TEXTS!r}, {str(tiny_bert)!r}); "
            "print(json.dumps([s, os.environ['HF_HUB_OFFLINE']]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=True)
    scores, offline = json.loads(out.stdout.strip().splitlines()[-1])
    assert offline == "1"
    assert scores == pytest.approx(score_texts(TEXTS, str(tiny_bert)), abs=1e-6)
    assert not any((tmp_path / "empty-hf-home").rglob("*.safetensors"))
