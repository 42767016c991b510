"""`candor bench load` beside a plain `rasa init` bot: the ratios and the checks (no stack needed)."""

import pytest
from rich.console import Console

from candor.load import Audit, LoadReport, PhaseStats
from candor.load_report import as_json, plain_checks, render


def phase(name, turns_per_s, p95, cpu):
    return PhaseStats(name, 100, 100, p95 / 2, p95, p95 * 1.2, turns_per_s, 0, 0.0, {}, 0, 0, 0, cpu, 50.0)


def report(plain):
    return LoadReport(5, 2, phase("baseline", 20, 400, {"rasa-1": 40.0}),
                      phase("candor", 18, 520, {"rasa-1": 30.0, "actions": 10.0, "web": 5.0}),
                      1.3, Audit(conversations=5, checked_messages=10), [], plain)


def test_no_plain_bot_no_checks():
    assert plain_checks(report(None)) == []


def test_candor_beside_the_plain_bot():
    checks = {name: (measured, met) for name, measured, _, met in
              plain_checks(report(phase("plain", 20, 400, {"rasa-init": 50.0})))}
    assert checks["turns/s Candor / plain bot"] == ("0.90", False)
    assert checks["p95 Candor / plain bot"] == ("1.30", True)
    assert checks["CPU per turn Candor / plain bot"] == ("0.90", True)


@pytest.mark.parametrize("plain", [None, phase("plain", 10, 800, {"rasa-init": 60.0})])
def test_report_renders_and_serialises(plain):
    console = Console(record=True, width=200)
    render(report(plain), console)
    text = console.export_text()
    assert ("plain `rasa init` bot" in text) == (plain is not None)
    body = as_json(report(plain))
    assert body["versus_plain"] == ({} if plain is None else {
        "turns/s Candor / plain bot": {"measured": "1.80", "met": True},
        "p95 Candor / plain bot": {"measured": "0.65", "met": True},
        "CPU per turn Candor / plain bot": {"measured": "0.75", "met": True}})
