"""MiniLM through ONNX Runtime gives PyTorch's vectors; anything unexpected keeps PyTorch."""

import logging

import numpy as np
import pytest

from knowledge import onnx_runtime
from knowledge.embedder import Embedder

pytestmark = pytest.mark.unit

TEXTS = ["how much is the router fee if i leave early?", "cn i use my own routr", "", "fibre " * 400]


@pytest.fixture(scope="module")
def torch_embedder():
    return Embedder()


def test_onnx_vectors_are_pytorch_vectors(embedder, torch_embedder):
    assert embedder.runtime == "onnxruntime" and torch_embedder.runtime == "torch"
    # One at a time (as the action server embeds a message) and batched with padding (articles).
    for text in TEXTS:
        assert np.abs(embedder.encode_transient([text]) - torch_embedder.encode_transient([text])).max() < 1e-5
    batched = embedder.encode_transient(TEXTS * 20)
    assert batched.shape == (80, 384) and batched.dtype == np.float32
    assert np.abs(batched - torch_embedder.encode_transient(TEXTS * 20)).max() < 1e-5


class Transformer:
    pass


class Pooling:
    def __init__(self, config):
        self.config = config

    def get_config_dict(self):
        return self.config


@pytest.mark.parametrize(
    ("modules", "trusted"),
    [
        ([Transformer(), Pooling({"pooling_mode": "mean"})], True),
        ([Transformer(), Pooling({"pooling_mode": "cls"})], False),
        ([Transformer(), Pooling({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False})], True),
        ([Transformer(), Pooling({"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True})], False),
        ([Transformer()], False),
    ],
)
def test_only_a_mean_pooled_model_is_run_by_onnx(modules, trusted):
    assert onnx_runtime._mean_pooled(modules) is trusted


def test_a_failed_export_leaves_pytorch_and_says_why(torch_embedder, tmp_path, monkeypatch, caplog):
    def broken(model, path):
        raise RuntimeError("no space left on device")

    monkeypatch.setattr(onnx_runtime, "_export", broken)
    with caplog.at_level(logging.ERROR):
        assert onnx_runtime.onnx_encoder(torch_embedder.model, tmp_path, 1) is None
    assert "stay on PyTorch" in caplog.text and "no space left" in caplog.text
