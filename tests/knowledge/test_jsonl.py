import io
import json

import pytest

from knowledge.jsonl import KnowledgeFileError, export_articles, import_articles, parse_lines
from knowledge.store import ArticleStore

pytestmark = pytest.mark.unit

GOOD = {"id": "a-1", "title": "Install fee", "kind": "cost", "body": "It is £60.", "status": "published"}


def test_bad_lines_are_reported_by_number_and_nothing_is_imported(session):
    lines = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({**GOOD, "id": "a-2", "kind": "opinion"}),
        json.dumps([1, 2]),
        json.dumps(GOOD),
        json.dumps({**GOOD, "id": "a-3", "surprise": 1}),
    ]
    with pytest.raises(KnowledgeFileError) as caught:
        parse_lines(lines)
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "not valid JSON" in problems[0]
    assert "kind" in problems[1]
    assert "already used on line 1" in problems[3]
    assert "surprise" in problems[4]
    assert ArticleStore(session).count() == 0


def test_export_round_trips_import(session):
    store = ArticleStore(session)
    source = [
        {**GOOD, "questions": ["how much to install"], "tags": ["fees"], "url": "https://x.example/a-1",
         "cost_breakdown": [{"item": "Engineer visit", "amount": "£60", "note": "two hours"}]},
        {"id": "fit-max", "title": "Who Max suits", "kind": "fit", "body": "Big households.",
         "status": "draft", "fit": {"good_for": ["gamers"], "poor_for": ["one person"]}},
    ]
    import_articles(store, parse_lines(json.dumps(a) for a in source))
    out = io.StringIO()
    assert export_articles(store, out) == 2
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    expected = {a.id: a.model_dump() for a in parse_lines(json.dumps(s) for s in source)}
    assert {a.id: a.model_dump() for a in parse_lines(json.dumps(e) for e in exported)} == expected
