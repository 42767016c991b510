"""CPU seconds each process of a stack spends during a bench phase: where a turn's cost goes.

On a 2-core machine, throughput is bounded by CPU, not by waiting; these figures show which process
to make cheaper (or whether more replicas or workers can help at all)."""

from __future__ import annotations

from collections.abc import Iterable

import psutil

SERVICES = ("postgres", "redis-server")  # shared services, found by process name (not ours to start)


def tree_seconds(process: psutil.Process) -> float:
    """User + system time of a process and its descendants, including children it has reaped
    (uvicorn's worker processes, PostgreSQL's per-connection backends)."""
    total = 0.0
    for index, member in enumerate([process, *process.children(recursive=True)]):
        try:
            times = member.cpu_times()
        except psutil.Error:  # exited between listing and reading: its time is in its parent's children_*
            continue
        total += times.user + times.system
        if index == 0:
            total += times.children_user + times.children_system
    return total


def _roots(name: str) -> list[psutil.Process]:
    """The top processes called ``name`` (PostgreSQL's postmaster, not each backend)."""
    found = {p.pid: p for p in psutil.process_iter(["name", "ppid"]) if p.info["name"] == name}
    return [p for p in found.values() if p.info["ppid"] not in found]


class CpuMeter:
    """``sample()`` maps a name ("web", "rasa-1", "postgres", …) to CPU seconds used so far."""

    def __init__(self, pids: dict[str, int], services: Iterable[str] = SERVICES) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        for service in services:
            roots = _roots(service)
            if roots:
                self.processes[service] = roots[0]
        self.cores = psutil.cpu_count() or 1

    def sample(self) -> dict[str, float]:
        seconds = {}
        for name, process in self.processes.items():
            try:
                seconds[name] = tree_seconds(process)
            except psutil.Error:  # a child died: the bench reports that on its own
                seconds[name] = float("nan")
        return seconds


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before if name in after}
