"""Time one trained Rasa model on given messages; run by `candor bench rasa` in the Rasa environment.

It lives outside the app's packages because it imports Rasa, which only the pinned Rasa 3.6
environment (.venv-rasa, Python 3.11) has. Reads a JSON list of messages, writes one JSON object:
per message the predicted intent and confidence, and for the whole run the wall and CPU time the
model's NLU pipeline and its policies took per turn. A turn's policies run until they predict
`action_listen` (at most three predictions), as the server's prediction loop does; custom actions
are not executed, so only Rasa's own cost is measured.

    .venv-rasa/bin/python bot/bench_probe.py MODEL MESSAGES.json OUT.json
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

MAX_PREDICTIONS = 3


async def probe(model: str, messages: list[str]) -> dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.channels import UserMessage
    from rasa.shared.core.events import ActionExecuted

    started = time.perf_counter()
    agent = await load_agent(model_path=model)
    load_s = time.perf_counter() - started
    processor = agent.processor
    assert processor is not None
    # Warm-up: the first parse builds TensorFlow's graphs; that is a start-up cost, not a turn's.
    for text in messages[:5]:
        await processor.log_message(UserMessage(text, sender_id="warm-up"), should_save_tracker=False)
    predictions: list[dict[str, Any]] = []
    nlu = {"wall": 0.0, "cpu": 0.0}
    policies = {"wall": 0.0, "cpu": 0.0, "calls": 0}
    for number, text in enumerate(messages):
        wall, cpu = time.perf_counter(), time.process_time()
        tracker = await processor.log_message(UserMessage(text, sender_id=f"probe-{number}"),
                                              should_save_tracker=False)
        nlu["wall"] += time.perf_counter() - wall
        nlu["cpu"] += time.process_time() - cpu
        intent = tracker.latest_message.intent if tracker.latest_message else {}
        wall, cpu = time.perf_counter(), time.process_time()
        actions = []
        for _ in range(MAX_PREDICTIONS):
            prediction = processor.predict_next_with_tracker(tracker)
            policies["calls"] += 1
            if prediction is None:
                break
            best = max(prediction["scores"], key=lambda score: score["score"])["action"]
            actions.append(best)
            if best == "action_listen":
                break
            tracker.update(ActionExecuted(best))
        policies["wall"] += time.perf_counter() - wall
        policies["cpu"] += time.process_time() - cpu
        predictions.append({"intent": intent.get("name"), "confidence": intent.get("confidence"),
                            "actions": actions})
    return {"load_s": load_s, "turns": len(messages), "nlu": nlu, "policies": policies,
            "predictions": predictions}


def main() -> None:
    model, messages_file, out_file = sys.argv[1:4]
    logging.basicConfig(level=logging.ERROR)
    with open(messages_file, encoding="utf-8") as handle:
        messages = json.load(handle)
    result = asyncio.run(probe(model, messages))
    with open(out_file, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
