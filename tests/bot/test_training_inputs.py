"""The model's name follows the bot's data: config.yml, the top-level domain.yml and bot/data/."""

from pathlib import Path

import pytest

from candor.settings import get_settings
from candor.training import bot_inputs, fingerprint

pytestmark = pytest.mark.unit


def _bot(root: Path) -> Path:
    (root / "bot" / "data" / "nlu").mkdir(parents=True)
    (root / "config.yml").write_text("recipe: default.v1\n")
    (root / "domain.yml").write_text('version: "3.1"\nintents:\n  - greet\n')
    (root / "bot" / "data" / "nlu" / "smalltalk.yml").write_text('version: "3.1"\nnlu: []\n')
    return root


def test_the_repository_trains_from_one_domain_file():
    root = get_settings().root
    inputs = bot_inputs(root)
    assert root / "domain.yml" in inputs and all(path.is_file() for path in inputs)
    assert not (root / "domain").exists()  # a leftover folder would look like data the model uses


def test_a_change_to_the_domain_or_the_data_names_a_new_model(tmp_path):
    root = _bot(tmp_path)
    before = fingerprint(root)
    assert fingerprint(root) == before  # the same data, the same model
    (root / "domain.yml").write_text('version: "3.1"\nintents:\n  - greet\n  - goodbye\n')
    after_domain = fingerprint(root)
    assert after_domain != before
    (root / "bot" / "data" / "nlu" / "smalltalk.yml").write_text('version: "3.1"\nnlu: [] # edited\n')
    assert fingerprint(root) != after_domain
