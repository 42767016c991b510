"""What the customer reads: every sample article's answers are whole, and carry their structure."""

from pathlib import Path

import pytest

from candor.evaluation import docs_from_file
from knowledge.calibration import load_calibration
from knowledge.chunking import chunk
from knowledge.compose import (
    MAX_CHARS,
    blocks,
    compose,
    is_yes_no_question,
    negative_statement,
    parse_table,
    shares_a_topic,
)
from knowledge.search import Doc, KnowledgeSearch

pytestmark = pytest.mark.unit

SAMPLE = docs_from_file(Path(__file__).parents[2] / "knowledge" / "sample_kb.jsonl")
LEAD_IN = Doc("charges", "Are there hidden charges?", "cost",
              "No. Everything you can be charged is listed here, in pounds:\n\n- Installation: £60\n"
              "- Router not returned: £40\n- Late payment: £5\n\nNothing else, ever.")


def _answers(doc: Doc):
    """The opening answer and the answer for a match on each of the article's passages."""
    yield compose(doc)
    for passage in chunk(doc.body):
        yield compose(doc, passage)


@pytest.mark.parametrize("doc", SAMPLE + [LEAD_IN], ids=lambda d: d.article_id)
def test_no_answer_is_a_lead_in_or_half_a_sentence(doc):
    for answer in _answers(doc):
        text = answer.text
        assert text.strip(), "an answer is never empty"
        assert not text.rstrip().endswith((":", ",", ";")), text
        assert len(text) <= MAX_CHARS
        assert text.rstrip()[-1] in ".!?)”\"" or text.splitlines()[-1].startswith("•"), text
        # Every lead-in in the answer is followed by the list it introduces.
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.rstrip().endswith(":"):
                assert any(following.startswith("•") for following in lines[i + 1:i + 3]), text


def test_a_lead_in_keeps_its_list():
    answer = compose(LEAD_IN)
    assert answer.text.startswith("No. Everything you can be charged is listed here, in pounds:")
    assert "• Installation: £60" in answer.text and "• Late payment: £5" in answer.text
    assert answer.shortened  # "Nothing else, ever." is in the article, not the answer


def test_a_match_on_a_list_brings_its_lead_in():
    answer = compose(LEAD_IN, "Installation: £60 Router not returned: £40 Late payment: £5")
    assert answer.text.startswith("No. Everything you can be charged")


def test_a_long_answer_is_cut_at_a_sentence_and_says_so():
    sentence = "This plan suits homes that stream a great deal in the evenings. "
    answer = compose(Doc("long", "Long", "fit", sentence * 30))
    assert answer.shortened and answer.text.endswith("evenings.")
    assert len(answer.text) <= MAX_CHARS


@pytest.mark.parametrize("doc", SAMPLE, ids=lambda d: d.article_id)
def test_each_kind_carries_its_structure(doc):
    details = compose(doc).details
    if doc.kind == "cost":
        assert details["cost_breakdown"], "sample cost articles all have a breakdown"
        assert all(set(row) == {"item", "amount", "note"} for row in details["cost_breakdown"])
    if doc.kind == "fit":
        assert details["good_for"] and details["poor_for"]
    if doc.kind == "tradeoff" and "|" in doc.body:
        comparison = details["comparison"]
        assert len(comparison["columns"]) >= 2
        assert all(len(row) == len(comparison["columns"]) for row in comparison["rows"])
    if doc.kind in ("policy", "howto"):
        assert details == {}


def test_a_markdown_table_is_parsed_without_its_rule_line():
    table = parse_table("| | Plus 500 | Max 900 |\n|---|---|---|\n| Price | £36 | £49 |\n"
                        "| Upload | 75 Mbps | 110 Mbps |")
    assert table == {"columns": ["", "Plus 500", "Max 900"],
                     "rows": [["Price", "£36", "£49"], ["Upload", "75 Mbps", "110 Mbps"]]}


def test_blocks_tell_lists_tables_and_paragraphs_apart():
    kinds = [b.kind for b in blocks("# Head\n\nIntro:\n\n- a\n- b\n\n1. one\n2. two\n\n| a | b |\n|--|--|\n| 1 | 2 |")]
    assert kinds == ["heading", "paragraph", "list", "list", "table"]


@pytest.mark.parametrize(("text", "yes_no"), [
    ("do you sell mobile phones", True),
    ("Is installation free?", True),
    ("ok so can I cancel in the first 14 days", True),
    ("how much is installation", False),
    ("why is my bill higher", False),
    ("what does the fee pay for", False),
])
def test_yes_no_questions(text, yes_no):
    assert is_yes_no_question(text) is yes_no


@pytest.mark.parametrize(("sentence", "negative"), [
    ("no TV packages, sports channels or mobile SIMs", True),
    ("We don't sell your data.", True),
    ("There's no data cap.", True),
    ("Standard installation is free on a 12-month contract.", False),
    ("Kestrel suits you if we can reach your address.", False),
])
def test_negative_statements(sentence, negative):
    assert negative_statement(sentence) is negative


def test_a_topic_is_shared_by_name_not_by_function_words():
    assert shares_a_topic("do you do tv", "no TV packages, sports channels or mobile SIMs")
    assert shares_a_topic("any discount for new customers", "no introductory discounts that jump")
    assert not shares_a_topic("do you have it", "we have no data cap")


@pytest.fixture(scope="module")
def sample_search(embedder):
    search = KnowledgeSearch(embedder, load_calibration())
    search.upsert(SAMPLE)
    return search


@pytest.mark.parametrize(("question", "article", "opening"), [
    # The quoted case: a plain "No" the article states, not only the provider overview.
    ("do you sell mobile phones", "is-kestrel-right-for-me", "No — no TV packages, sports channels or mobile SIMs."),
    ("do you do TV", "is-kestrel-right-for-me", "No — no TV packages"),
    # The article's own answer outranks an exception further down ("Lifeline customers pay no…").
    ("is installation free", "installation-fee", "Standard installation is free on a 12-month contract"),
    ("can I cancel in the first 14 days", "cooling-off-and-refunds", "Yes. If you ordered online"),
])
def test_yes_no_questions_get_the_plain_answer_first(sample_search, question, article, opening):
    best = sample_search.search(question).best
    assert best.article_id == article
    assert best.passage.startswith(opening)
