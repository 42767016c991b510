"""Fixtures of the touchpoint tests."""

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, database):
    """A session on the test database, then on a scratch PostgreSQL one: each test runs on both,
    rolled back after."""
    from candor.db import get_sessionmaker

    url = database if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    session = get_sessionmaker(url)()
    yield session
    session.rollback()
    session.close()
