"""Word-overlap ranking: BM25 arithmetic on a hand-made corpus, and its share in the fused score."""

import math

import numpy as np
import pytest

from knowledge.lexical import K1, LexicalIndex, tokens
from knowledge.scoring import LEXICAL_WEIGHT, score

pytestmark = pytest.mark.unit


def test_tokens_drop_stopwords_and_plural_s_but_keep_money_and_numbers():
    assert tokens("What are the FEES for the £60 install?") == ["fee", "£60", "install"]
    assert tokens("glass access") == ["glass", "access"]  # a double s is no plural


def test_a_word_only_one_document_has_scores_that_document_alone():
    index = LexicalIndex(["installer turns up late", "monthly price", "router setup"])
    scores = index.scores("what if nobody is in when the installer turns up")
    assert scores.argmax() == 0 and scores[1] == scores[2] == 0.0


def test_bm25_weight_of_one_match_worked_by_hand():
    # Three one-word documents (average length 1): tf=1, length ratio 1, so the term weight
    # is idf * (K1 + 1) / (1 + K1) = idf, with idf = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)).
    index = LexicalIndex(["fee", "router", "price"])
    assert index.scores("fee")[0] == pytest.approx(math.log(1 + 2.5 / 1.5) * (K1 + 1) / (1 + K1))


def test_unknown_words_and_an_empty_index_score_nothing():
    assert LexicalIndex(["fee"]).scores("zebra").tolist() == [0.0]
    assert LexicalIndex([]).scores("fee").shape == (0,)


def test_word_overlap_breaks_a_near_tie_of_the_dense_ranking():
    head = np.array([0.51, 0.49])
    unit_scores, unit_articles = np.array([0.80, 0.79]), np.array([0, 1])
    dense_only = score(head, unit_scores, unit_articles, 2)
    fused = score(head, unit_scores, unit_articles, 2, lexical=np.array([0.0, 3.0]))
    assert dense_only.order[0] == 0 and fused.order[0] == 1
    # No overlap anywhere: the same order, every score scaled by the dense share plus an even split.
    flat = score(head, unit_scores, unit_articles, 2, lexical=np.zeros(2))
    assert flat.order.tolist() == dense_only.order.tolist()
    assert flat.fused == pytest.approx((1 - LEXICAL_WEIGHT) * dense_only.fused + LEXICAL_WEIGHT / 2)
