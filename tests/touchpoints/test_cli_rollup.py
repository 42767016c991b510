"""`candor touchpoints rollup [--rebuild]` and `candor report` read the test database."""

import pytest
from typer.testing import CliRunner

from candor.cli import app

pytestmark = pytest.mark.unit


def test_rollup_scores_what_is_pending_and_rebuilds(database, session):
    from touchpoints import conversations

    conversation, _ = conversations.create(session)
    conversations.append(session, conversation.id, "customer", "how much is Plus 500?")
    session.commit()
    result = CliRunner().invoke(app, ["touchpoints", "rollup", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "Scored" in result.output and "rebuilt the rollups of" in result.output
    from touchpoints.models import Touchpoint, TouchpointDirty

    session.expire_all()
    assert session.get(Touchpoint, conversation.id) is not None
    assert session.get(TouchpointDirty, conversation.id) is None
    report = CliRunner().invoke(app, ["report", "--days", "1"])
    assert report.exit_code == 0 and "conversations" in report.output
