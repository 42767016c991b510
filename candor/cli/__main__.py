"""`python -m candor.cli`."""

from candor.cli import app

app()
