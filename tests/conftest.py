"""Test-wide set-up: every run gets its own var/ and SQLite database."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_VAR = Path(tempfile.mkdtemp(prefix="candor-test-"))
os.environ["CANDOR_VAR_DIR"] = str(_VAR)
os.environ["DATABASE_URL"] = f"sqlite:///{_VAR / 'candor.db'}"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def database() -> str:
    """The test database at the current schema (migrations run for real)."""
    from candor.migrate import upgrade

    url = os.environ["DATABASE_URL"]
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database on the PostgreSQL service on loopback, migrated; dropped at the end."""
    from pg_scratch import scratch_postgres

    with scratch_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def embedder():
    from candor.settings import get_settings
    from knowledge.embedder import Embedder

    settings = get_settings()
    return Embedder.in_cache_dir(settings.cache_dir, settings.embedding_model)


@pytest.fixture
def session(database):
    from candor.db import get_sessionmaker

    db = get_sessionmaker()()
    yield db
    db.rollback()
    db.close()


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The trained model for the current bot data (trained once; reused while data is unchanged)."""
    from candor.settings import get_settings
    from candor.training import ensure_model

    return ensure_model(get_settings())


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not possible here).
    One per session for every test directory: sync Playwright runs an event loop on the main thread,
    so a second one started while this is alive fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield chromium
        chromium.close()
