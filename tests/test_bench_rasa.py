"""The Rasa pipeline bench's arithmetic and variants (no Rasa needed)."""

import pytest
import yaml

from candor.bench_rasa import VARIANTS, accuracy, macro_f1, plain_text, read_examples, share, variant_config

BASE = {
    "pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "LexicalSyntacticFeaturizer"},
                 {"name": "CountVectorsFeaturizer"},
                 {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
                 {"name": "DIETClassifier", "epochs": 80, "number_of_transformer_layers": 1,
                  "transformer_size": 128}],
    "policies": [{"name": "RulePolicy"}],
}


def test_plain_text_drops_entity_annotations():
    assert plain_text("is [Plus 500](plan) dearer than [Max]{\"entity\": \"plan\"}?") == "is Plus 500 dearer than Max?"
    assert plain_text("  no entities here ") == "no entities here"


def test_read_examples(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": [
        {"intent": "greet", "examples": "- hi\n- hello there\n"},
        {"synonym": "plus", "examples": "- plus 500\n"},
        {"intent": "rate", "examples": "- [4](rating) stars\n"}]}))
    assert read_examples(path) == [("hi", "greet"), ("hello there", "greet"), ("4 stars", "rate")]


def test_accuracy_and_macro_f1_by_hand():
    truth = ["a", "a", "b", "c"]
    said = ["a", "b", "b", "b"]
    assert accuracy(truth, said) == 0.5
    # a: P=1, R=.5 → 2/3; b: P=1/3, R=1 → 1/2; c: never right → 0.
    assert macro_f1(truth, said) == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)
    assert macro_f1(["a"], ["a"]) == 1.0
    assert accuracy([], []) == 0.0 and share([]) == 0.0
    assert share([True, False, True, True]) == 0.75


def test_variants_change_only_a_copy():
    with_ted = variant_config(BASE, "with TEDPolicy (40 epochs)")
    assert [p["name"] for p in with_ted["policies"]] == ["RulePolicy", "TEDPolicy"]
    assert [p["name"] for p in BASE["policies"]] == ["RulePolicy"]
    assert variant_config(BASE, "DIET 40 epochs")["pipeline"][-1]["epochs"] == 40
    assert BASE["pipeline"][-1]["epochs"] == 80
    default_size = variant_config(BASE, "DIET at Rasa's default size (2 layers of 256)")["pipeline"][-1]
    assert (default_size["number_of_transformer_layers"], default_size["transformer_size"]) == (2, 256)
    assert BASE["pipeline"][-1]["transformer_size"] == 128
    no_char = variant_config(BASE, "no char n-grams")["pipeline"]
    assert [p.get("analyzer") for p in no_char if p["name"] == "CountVectorsFeaturizer"] == [None]
    logistic = variant_config(BASE, "logistic regression for DIET")["pipeline"]
    assert logistic[-1]["name"] == "LogisticRegressionClassifier"
    assert variant_config(BASE, "current") == BASE
    assert list(VARIANTS)[0] == "current"
