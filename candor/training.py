"""Train the Rasa model only when the bot's data changed (content hash in the file name)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from candor.settings import Settings

# Rasa reports telemetry and errors to the internet unless told not to; nothing leaves here.
RASA_OFFLINE = {"RASA_TELEMETRY_ENABLED": "false"}


def rasa_env() -> dict[str, str]:
    return {**os.environ, **RASA_OFFLINE}


def bot_inputs(root: Path) -> list[Path]:
    files = [root / "config.yml", root / "domain.yml"]
    files += sorted(p for p in (root / "bot" / "data").rglob("*.yml") if p.is_file())
    return files


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in bot_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"candor-{fingerprint(settings.root)}.tar.gz"


def rasa_bin(settings: Settings) -> Path:
    return settings.rasa_venv / "bin" / "rasa"


def ensure_model(settings: Settings, force: bool = False, echo: Callable[[str], None] = print) -> Path:
    """Return the model for the current data, training it first if it does not exist yet."""
    target = model_path(settings)
    if target.exists() and not force:
        echo(f"Rasa model is up to date ({target.name}).")
        return target
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    echo(f"Training the Rasa model ({target.name}); this takes a minute or two…")
    root = settings.root
    command = [
        str(rasa_bin(settings)), "train",
        "--config", str(root / "config.yml"),
        "--domain", str(root / "domain.yml"),
        "--data", str(root / "bot" / "data"),
        "--out", str(settings.models_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    log = settings.var_dir / "logs" / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        result = subprocess.run(command, cwd=root, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0 or not target.exists():
        tail = "\n".join(log.read_text().splitlines()[-20:])
        raise RuntimeError(f"Rasa training failed (exit {result.returncode}); see {log}:\n{tail}")
    return target
