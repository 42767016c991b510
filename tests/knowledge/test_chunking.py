import pytest

from knowledge.chunking import chunk, first_paragraph, plain

pytestmark = pytest.mark.unit


def test_paragraphs_are_packed_up_to_the_word_limit():
    body = "\n\n".join(" ".join(["word"] * 30) for _ in range(4))
    passages = chunk(body, max_words=70)
    assert [len(p.split()) for p in passages] == [60, 60]


def test_a_long_paragraph_is_split_at_sentences():
    body = " ".join(f"Sentence number {i} is here." for i in range(40))
    passages = chunk(body, max_words=50)
    assert all(len(p.split()) <= 50 for p in passages)
    assert " ".join(passages) == plain(body)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**Plus** costs £36.", "Plus costs £36."),
        ("- one\n- two", "one\ntwo"),
        ("See [the table](https://x.example).", "See the table."),
    ],
)
def test_plain_strips_markup(markdown, expected):
    assert plain(markdown) == expected


def test_first_paragraph_is_the_excerpt_and_is_cut_at_a_word():
    assert first_paragraph("# Title\n\nAnswer first.\n\nMore.") == "Answer first."
    long = "word " * 200
    excerpt = first_paragraph(long, max_chars=50)
    assert excerpt.endswith("…") and len(excerpt) <= 51
