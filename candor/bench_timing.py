"""What the benches share: a read timed as the median of a few calls with the memory it took, and
the table that shows each read next to the floor (the first row, a plain SQL aggregate)."""

from __future__ import annotations

import os
import resource
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Timing:
    read: str
    seconds: float
    rows: int
    memory_mb: float | None = None   # this process's resident memory at its peak during the read, over its start


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """The most resident memory this process held while inside, over what it held on entry.

    Linux keeps that peak itself (VmHWM) and resets it when "5" is written to clear_refs, so a
    block allocated and freed between two samples is still seen. Where that file cannot be written
    a thread samples every few milliseconds, which can miss a short spike (it needs the GIL)."""

    def __init__(self, every_s: float = 0.002) -> None:
        self.every_s, self.start, self.peak = every_s, 0, 0
        self._kernel_peak = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._done.wait(self.every_s):
            self.peak = max(self.peak, _resident_bytes())

    def __enter__(self) -> PeakMemory:
        self._kernel_peak = _reset_peak()
        self.start = self.peak = _resident_bytes()
        if not self._kernel_peak:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._kernel_peak:
            self.peak = max(_kernel_peak_bytes(), self.start)
            return
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _resident_bytes())

    @property
    def over_start_mb(self) -> float:
        return (self.peak - self.start) / 2**20


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _kernel_peak_bytes() > 0
    except OSError:
        return False


def _kernel_peak_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def median_time(call: Callable[[], int], repeats: int) -> tuple[float, int]:
    """The median wall time of ``repeats`` calls and what the last call returned (rows or a count)."""
    samples, result = [], 0
    for _ in range(max(1, repeats)):
        began = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples), result


def time_reads(reads: list[tuple[str, Callable[[], int]]], repeats: int, after: Callable[[], Any],
               once: Callable[[str], bool] = lambda name: False) -> list[Timing]:
    """Each read timed (median of ``repeats``, or one call where ``once`` says so) with its peak
    memory; ``after`` runs after each read (a commit, so the next starts on a fresh snapshot)."""
    reads[0][1]()   # warm: the first statement on a connection pays for it
    timings = []
    for name, call in reads:
        with PeakMemory() as memory:
            seconds, rows = median_time(call, 1 if once(name) else repeats)
        after()
        timings.append(Timing(name, seconds, rows, memory.over_start_mb))
    return timings


def versus_floor(seconds: float, floor: float) -> str:
    """How many times the floor a read takes ("–" without a floor)."""
    return f"{seconds / floor:.1f}x" if floor > 0 else "–"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_timings(console: Console, title: str, timings: list[Timing], first_column: str = "read") -> None:
    """The table: seconds, times the floor (the first row), peak memory over the start, the result;
    then the whole process's peak."""
    floor = timings[0].seconds if timings else 0.0
    table = Table(first_column, "seconds", "vs floor", "peak MB", "rows / result", title=title)
    for timing in timings:
        memory = "–" if timing.memory_mb is None else f"{timing.memory_mb:.0f}"
        table.add_row(timing.read, f"{timing.seconds:.3f}", versus_floor(timing.seconds, floor), memory,
                      f"{timing.rows:,}")
    console.print(table)
    console.print(f"Peak memory of this process: {peak_rss_mb():.0f} MB (generation included); "
                  "'peak MB' is a read's own, over what the process held before it.")
