"""``candor bench rasa``: what each part of Rasa's pipeline costs and what it buys, in one run.

Every variant of ``config.yml`` (the current one first: the baseline) is trained on the same 80%
of the NLU examples (``rasa data split nlu``, fixed seed) with all rules and stories, then:

* training wall and CPU time (the ``rasa train`` process and its children);
* per turn, the CPU the NLU pipeline and the policies take (``bot/bench_probe.py`` in the Rasa
  environment: warm model, custom actions not run, so only Rasa's own cost);
* NLU quality: intent accuracy and macro-F1 on the held-back 20%;
* customers' wording (``knowledge/eval/customer_voice.jsonl``): the share of knowledge questions
  whose first predicted action is the knowledge answer, i.e. that no intent diverts elsewhere, and
  the share of explicit requests for a person and complaints that go to the handover actions;
* the story tests (``tests/bot/test_stories.yml``): how many fail.

A variant is a change to the current configuration, so its row is what that one change costs or
saves; the figures compare against the current configuration's row in the same run.
"""

from __future__ import annotations

import copy
import json
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from candor.settings import Settings
from candor.training import rasa_bin, rasa_env

KNOWLEDGE_ACTION = "action_answer_from_kb"
# What the rules run for a request for a person or a complaint (bot/data/rules/handoff.yml).
PERSON_CATEGORIES = {"explicit_request", "complaint"}
Config = dict[str, Any]


def _drop(section: str, name: str) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        config[section] = [part for part in config[section] if part["name"] != name]
    return change


def _set(name: str, **values: Any) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        for part in config["pipeline"] + config["policies"]:
            if part["name"] == name:
                part.update(values)
    return change


def _replace_diet(config: Config) -> None:
    config["pipeline"] = [{"name": "LogisticRegressionClassifier", "random_state": 42}
                          if part["name"] == "DIETClassifier" else part for part in config["pipeline"]]


def _drop_char_ngrams(config: Config) -> None:
    config["pipeline"] = [part for part in config["pipeline"]
                          if not (part["name"] == "CountVectorsFeaturizer" and part.get("analyzer") == "char_wb")]


def _add_ted(config: Config) -> None:
    config["policies"].append({"name": "TEDPolicy", "max_history": 4, "epochs": 40,
                               "constrain_similarities": True, "random_seed": 42})


# Name → the changes that make the variant from the current configuration, applied in order.
# The current one is DIET with one transformer layer of 128 and no TEDPolicy; the rows below put
# back what was dropped (TED, Rasa's default DIET size) or try dropping more.
VARIANTS: dict[str, list[Callable[[Config], None]]] = {
    "current": [],
    "with TEDPolicy (40 epochs)": [_add_ted],
    "DIET at Rasa's default size (2 layers of 256)": [_set("DIETClassifier", number_of_transformer_layers=2,
                                                          transformer_size=256)],
    "DIET 40 epochs": [_set("DIETClassifier", epochs=40)],
    "DIET without its transformer": [_set("DIETClassifier", number_of_transformer_layers=0)],
    "no char n-grams": [_drop_char_ngrams],
    "no lexical-syntactic": [_drop("pipeline", "LexicalSyntacticFeaturizer")],
    "logistic regression for DIET": [_replace_diet],
    "no MemoizationPolicy": [_drop("policies", "MemoizationPolicy")],
}


def variant_config(base: Config, name: str) -> Config:
    config = copy.deepcopy(base)
    for change in VARIANTS[name]:
        change(config)
    return config


@dataclass
class Row:
    variant: str
    train_wall_s: float
    train_cpu_s: float
    nlu_cpu_ms: float
    policy_cpu_ms: float
    intent_accuracy: float
    intent_macro_f1: float
    kb_kept: float
    person_routed: float
    stories_failed: int


_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain_text(example: str) -> str:
    """An NLU example without its entity annotations: ``[Plus 500](plan)`` → ``Plus 500``."""
    return _ANNOTATION.sub(r"\1", example).strip()


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) for every example in a Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            if line.strip().startswith("- "):
                pairs.append((plain_text(line.strip()[2:]), block["intent"]))
    return pairs


def accuracy(truth: list[str], predicted: list[str]) -> float:
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth) if truth else 0.0


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    """The mean over the true labels of each label's F1 (a label never predicted scores 0)."""
    pairs = list(zip(truth, predicted, strict=True))
    scores = []
    for label in sorted(set(truth)):
        hits = sum(t == p == label for t, p in pairs)
        said = sum(p == label for _, p in pairs)
        real = sum(t == label for t, _ in pairs)
        precision = hits / said if said else 0.0
        recall = hits / real
        scores.append(2 * precision * recall / (precision + recall) if hits else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


class RasaBench:
    def __init__(self, settings: Settings, work: Path, echo: Callable[[str], None]) -> None:
        self.settings, self.work, self.echo = settings, work, echo
        self.root = settings.root
        self.rasa = str(rasa_bin(settings))

    def _run(self, *args: str, log: Path) -> tuple[float, float]:
        """Run a Rasa command; its wall time and the CPU it and its children used."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        # No training cache: a variant sharing a component with an earlier one would reuse it and
        # report a training time it never paid.
        with log.open("w") as out:
            result = subprocess.run([self.rasa, *args], cwd=self.root, env={**rasa_env(), "RASA_MAX_CACHE_SIZE": "0"},
                                    stdout=out, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            tail = "\n".join(log.read_text().splitlines()[-15:])
            raise RuntimeError(f"`rasa {args[0]}` failed (exit {result.returncode}); see {log}:\n{tail}")
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def split(self) -> tuple[Path, list[tuple[str, str]]]:
        """Training data with 80% of the NLU examples, and the other 20% as (text, intent)."""
        out = self.work / "split"
        self._run("data", "split", "nlu", "--nlu", "bot/data/nlu", "--training-fraction", "0.8",
                  "--random-seed", "42", "--out", str(out), log=self.work / "split.log")
        data = self.work / "data"
        shutil.copytree(self.root / "bot" / "data", data, ignore=shutil.ignore_patterns("nlu"))
        (data / "nlu").mkdir()
        shutil.copy(next(out.rglob("training_data.yml")), data / "nlu" / "training_data.yml")
        return data, read_examples(next(out.rglob("test_data.yml")))

    def measure(self, name: str, config: Config, data: Path, held_out: list[tuple[str, str]],
                voice: list[dict[str, Any]]) -> Row:
        folder = self.work / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        folder.mkdir()
        config_file = folder / "config.yml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        self.echo(f"Training '{name}'…")
        wall, cpu = self._run("train", "--config", str(config_file), "--domain", "domain.yml", "--data", str(data),
                              "--out", str(folder), "--fixed-model-name", "model", log=folder / "train.log")
        model = folder / "model.tar.gz"
        texts = [text for text, _ in held_out] + [line["text"] for line in voice]
        probe = self._probe(model, texts, folder)
        predictions = probe["predictions"]
        intents = [p["intent"] for p in predictions[:len(held_out)]]
        first_actions = [p["actions"][0] if p["actions"] else "" for p in predictions[len(held_out):]]
        truth = [intent for _, intent in held_out]
        kb = [a == KNOWLEDGE_ACTION for line, a in zip(voice, first_actions, strict=True)
              if not line["escalate"] and line["expected"]]
        person = [a not in (KNOWLEDGE_ACTION, "action_listen", "")
                  for line, a in zip(voice, first_actions, strict=True) if line["tags"][0] in PERSON_CATEGORIES]
        self._run("test", "core", "--stories", "tests/bot/test_stories.yml", "--model", str(model),
                  "--out", str(folder / "stories"), log=folder / "stories.log")
        failed = folder / "stories" / "failed_test_stories.yml"
        turns = probe["turns"]
        return Row(name, wall, cpu, 1000 * probe["nlu"]["cpu"] / turns, 1000 * probe["policies"]["cpu"] / turns,
                   accuracy(truth, intents), macro_f1(truth, intents), share(kb), share(person),
                   failed.read_text().count("- story:") if failed.exists() else 0)

    def _probe(self, model: Path, texts: list[str], folder: Path) -> dict[str, Any]:
        messages, out = folder / "messages.json", folder / "probe.json"
        messages.write_text(json.dumps(texts))
        python = self.settings.rasa_venv / "bin" / "python"
        log = folder / "probe.log"
        with log.open("w") as handle:
            result = subprocess.run([str(python), str(self.root / "bot" / "bench_probe.py"), str(model),
                                     str(messages), str(out)], cwd=self.root, env=rasa_env(),
                                    stdout=handle, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise RuntimeError(f"The probe failed on {model} (exit {result.returncode}); see {log}")
        probe: dict[str, Any] = json.loads(out.read_text())
        return probe


def run_bench(settings: Settings, names: list[str], echo: Callable[[str], None],
              keep: Path | None = None) -> list[Row]:
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise ValueError(f"Unknown variant(s): {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    base = yaml.safe_load((settings.root / "config.yml").read_text())
    voice = [json.loads(line) for line in
             (settings.root / "knowledge" / "eval" / "customer_voice.jsonl").read_text().splitlines() if line.strip()]
    work = keep or Path(tempfile.mkdtemp(prefix="candor-bench-rasa-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        bench = RasaBench(settings, work, echo)
        data, held_out = bench.split()
        echo(f"{len(held_out)} held-back NLU examples, {len(voice)} customer-voice messages.")
        return [bench.measure(name, variant_config(base, name), data, held_out, voice) for name in names]
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
