"""MiniLM's transformer run by ONNX Runtime instead of PyTorch.

Embedding the customer's message was the action server's largest cost per turn. The same weights
through ONNX Runtime give the same vectors (largest difference ~1e-7 per coordinate) for about a
quarter of the CPU: 4.5 against 14.4 ms a query on one thread (`candor bench search` prints both).
The graph is exported once per machine from the packaged weights (nothing is downloaded) into the
cache directory; tokenisation stays sentence-transformers' own, and mean pooling + normalisation
are the model's own pooling config, checked before it is trusted. Anything unexpected (a model
that pools otherwise, an export that fails) logs why and leaves the PyTorch path in place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


class OnnxEncoder:
    """Normalised sentence embeddings: sentence-transformers' tokeniser, ONNX Runtime's transformer."""

    def __init__(self, model: SentenceTransformer, path: Path, threads: int) -> None:
        import onnxruntime

        self.model = model
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Its worker threads otherwise spin for a while after each run, holding the second of
        # these machines' two cores: the single-threaded vector search that follows ran 3-4x slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = [self._batch(texts[start:start + batch_size]) for start in range(0, len(texts), batch_size)]
        return np.concatenate(out).astype(np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        inputs: list[Any] = list(texts)  # sentence-transformers types its inputs as a wider union
        features = self.model.preprocess(inputs)
        feed = {name: features[name].numpy().astype(np.int64) for name in INPUTS}
        hidden = self.session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        normalised: np.ndarray = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return normalised


def onnx_encoder(model: SentenceTransformer, directory: Path, threads: int) -> OnnxEncoder | None:
    """The ONNX path for this model, exported into ``directory`` if need be; None (PyTorch stays)
    when the model is not the transformer + mean pooling + normalise it was checked for, or it fails."""
    try:
        if not _mean_pooled(model):
            logger.warning("Embeddings stay on PyTorch: the model does not pool by the mean of its tokens.")
            return None
        path = directory / f"minilm-{_fingerprint(model)}.onnx"
        if not path.exists():
            _export(model, path)
        return OnnxEncoder(model, path, threads)
    except Exception:  # a slower path that works beats no embeddings at all
        logger.exception("Embeddings stay on PyTorch: the ONNX Runtime path could not be set up.")
        return None


def _mean_pooled(model: SentenceTransformer) -> bool:
    names = [type(module).__name__ for module in model]
    if names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"]):
        return False
    pooling: Any = model[1]
    config: dict[str, Any] = pooling.get_config_dict()
    if "pooling_mode" in config:  # sentence-transformers 5
        return bool(config["pooling_mode"] == "mean")
    modes = {k: bool(v) for k, v in config.items() if k.startswith("pooling_mode")}
    return modes.get("pooling_mode_mean_tokens", False) and sum(modes.values()) == 1


def _transformer(model: SentenceTransformer) -> torch.nn.Module:
    """The Hugging Face model inside the first module (what the graph is exported from)."""
    first: Any = model[0]
    module: torch.nn.Module = first.auto_model
    return module


def _fingerprint(model: SentenceTransformer) -> str:
    """Changes with the weights and with the exporter, so a new wheel gets a new graph."""
    digest = hashlib.sha256()
    for parameter in _transformer(model).state_dict().values():
        digest.update(parameter.detach().cpu().numpy().tobytes())
    for package in ("torch", "onnx", "transformers"):
        digest.update(metadata.version(package).encode())
    digest.update(str(OPSET).encode())
    return digest.hexdigest()[:16]


def _export(model: SentenceTransformer, path: Path) -> None:
    import torch

    bert = _transformer(model).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                          token_type_ids=token_type_ids).last_hidden_state
            return out

    inputs: list[Any] = ["an example question to trace the graph with"]
    example = model.preprocess(inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes, expected for a dynamic-axes export
        torch.onnx.export(LastHiddenState(), tuple(example[name] for name in INPUTS), str(partial),
                          input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=OPSET, dynamo=False)
    os.replace(partial, path)  # processes exporting at once each finish whole; the last one stays
    logger.info("Exported MiniLM for ONNX Runtime to %s", path)
