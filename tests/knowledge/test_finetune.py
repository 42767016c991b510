"""Fine-tuning MiniLM on a toy KB: a model that loads offline and embeds; cache keyed by the articles."""

import dataclasses
import json

import numpy as np
import pytest

from knowledge.finetune import FinetunedEmbedder, base_model_path, batches, cache_key, finetune, training_pairs
from knowledge.search import Doc

pytestmark = [pytest.mark.unit, pytest.mark.slow]

DOCS = [
    Doc("install-fee", "What installation costs", "cost", "Installation is free on a 12-month contract.",
        ("how much is installation", "is there a setup fee", "what does connecting cost")),
    Doc("cancel", "How to cancel your contract", "policy", "Give 30 days' notice by phone or online.",
        ("how do i cancel", "i want to leave kestrel", "end my contract")),
    Doc("router-setup", "Setting up your router", "howto", "Plug the router into the fibre box.",
        ("how do i set up the router", "router light is orange", "connect the hub")),
]


def test_batches_hold_one_pair_per_article():
    pairs = training_pairs(DOCS, seed=0, max_pairs=100)
    assert len(pairs) == 18  # 3 articles x 3 questions x (title + another question)
    for batch in batches(pairs, batch_size=8, seed=0):
        assert len({p[0] for p in batch}) == len(batch)


def test_cache_key_changes_with_an_article_and_not_with_order():
    key = cache_key(base_model_path(), DOCS, 1, 0, 100, 4, 2e-5)
    assert cache_key(base_model_path(), DOCS[::-1], 1, 0, 100, 4, 2e-5) == key
    edited = [dataclasses.replace(DOCS[0], body="Installation costs £60."), *DOCS[1:]]
    assert cache_key(base_model_path(), edited, 1, 0, 100, 4, 2e-5) != key


def test_finetuned_model_loads_offline_embeds_and_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    path = finetune(base_model_path(), DOCS, max_pairs=12, batch_size=3, cache_dir=tmp_path)
    meta = json.loads((path / "finetune.json").read_text())
    assert meta["steps"] >= 2
    assert finetune(base_model_path(), DOCS, max_pairs=12, batch_size=3, cache_dir=tmp_path) == path  # no retraining
    vectors = FinetunedEmbedder(path).encode(["how do i cancel", "router light is orange"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
