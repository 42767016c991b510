"""The ``candor bench load`` report: a Rich table of both paths, the targets, and JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from candor.load import TARGETS, LoadReport, PhaseStats

if TYPE_CHECKING:
    from rich.console import Console


def as_json(report: LoadReport) -> dict[str, Any]:
    return {**asdict(report), "targets": TARGETS, "plain_targets": PLAIN_TARGETS, "audit_ok": report.audit.ok,
            "passed": report.passed,
            "versus_plain": {name: {"measured": measured, "met": met}
                             for name, measured, _, met in plain_checks(report)}}


LABELS = {"baseline": "raw Rasa webhook", "candor": "Candor API", "plain": "plain `rasa init` bot"}
# Issue 18: Candor's whole turn against a plain `rasa init` bot's, measured in the same run.
PLAIN_TARGETS = {"turns_ratio": 1.0, "p95_ratio": 1.3, "cpu_ratio": 1.0}


def _label(phase: PhaseStats) -> str:
    return LABELS[phase.name]


def _phases(report: LoadReport) -> list[PhaseStats]:
    return [report.baseline, report.candor, *([report.plain] if report.plain else [])]


def cpu_per_turn(phase: PhaseStats) -> float:
    return sum(phase.cpu_ms_per_turn.values())


def plain_checks(report: LoadReport) -> list[tuple[str, str, str, bool]]:
    """Candor beside the plain bot: (check, measured, target, met); none without a plain bot."""
    plain, candor = report.plain, report.candor
    if plain is None or not plain.turns_per_s or not plain.p95_ms:
        return []
    turns = candor.turns_per_s / plain.turns_per_s
    p95 = candor.p95_ms / plain.p95_ms
    checks = [("turns/s Candor / plain bot", f"{turns:.2f}", f">= {PLAIN_TARGETS['turns_ratio']}",
               turns >= PLAIN_TARGETS["turns_ratio"]),
              ("p95 Candor / plain bot", f"{p95:.2f}", f"<= {PLAIN_TARGETS['p95_ratio']}",
               p95 <= PLAIN_TARGETS["p95_ratio"])]
    if cpu_per_turn(plain):
        cpu = cpu_per_turn(candor) / cpu_per_turn(plain)
        checks.append(("CPU per turn Candor / plain bot", f"{cpu:.2f}", f"<= {PLAIN_TARGETS['cpu_ratio']}",
                       cpu <= PLAIN_TARGETS["cpu_ratio"]))
    return checks


def render(report: LoadReport, console: Console) -> None:
    from rich.table import Table

    table = Table("path", "turns", "p50 ms", "p95 ms", "p99 ms", "turns/s", "errors", "error %", "errors by kind",
                  "KB answers", "bot down", title=f"{report.conversations} concurrent customers x {report.turns} turns")
    for p in _phases(report):
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(p.error_kinds.items())) or "-"
        table.add_row(_label(p), str(p.turns), f"{p.p50_ms:.0f}",
                      f"{p.p95_ms:.0f}", f"{p.p99_ms:.0f}", f"{p.turns_per_s:.2f}", str(p.errors),
                      f"{p.error_rate_pct:.2f}", kinds, f"{p.kb_answers}/{p.turns}", str(p.degraded))
    console.print(table)
    _render_cpu(report, console)
    a, c = report.audit, report.candor
    checks = Table("check", "measured", "target", "", title="Targets")
    for name, value, target, ok in (
        ("p95 Candor / p95 raw Rasa", f"{report.p95_ratio:.2f}", "<= 1.5", report.p95_ratio <= TARGETS["p95_ratio"]),
        ("Candor error rate", f"{c.error_rate_pct:.3f} %", "< 0.1 %", c.error_rate_pct < TARGETS["error_rate_pct"]),
        ("acknowledged messages lost", str(a.lost), "0", a.lost == 0),
        ("stored more than once", str(a.duplicated), "0", a.duplicated == 0),
        ("stored out of order", str(a.out_of_order), "0", a.out_of_order == 0),
        ("transcripts not readable", str(a.unreadable), "0", a.unreadable == 0),
        *plain_checks(report),
    ):
        checks.add_row(name, value, target, "[green]ok[/green]" if ok else "[red]MISSED[/red]")
    console.print(checks)
    console.print(f"audit: {a.checked_messages} acknowledged messages in {a.conversations} conversations; "
                  f"{a.escalated} conversations ended with a person ({c.queued_turns} turns went to the queue)")
    for note in report.notes:
        console.print(note)


def _render_cpu(report: LoadReport, console: Console) -> None:
    from rich.table import Table

    names = list(dict.fromkeys(n for p in _phases(report) for n in p.cpu_ms_per_turn))
    if not names:
        return
    table = Table("path", *names, "total", "CPU busy", title="CPU ms per turn, by process (user + system)")
    for p in _phases(report):
        cells = [f"{p.cpu_ms_per_turn[n]:.0f}" if n in p.cpu_ms_per_turn else "-" for n in names]
        table.add_row(_label(p), *cells,
                      f"{sum(p.cpu_ms_per_turn.values()):.0f}", f"{p.cpu_busy_pct:.0f} %")
    console.print(table)
