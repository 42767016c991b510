"""Loopback ports for stacks started by tests, benchmarks and `candor eval --through-bot`.

A port from bind(0) lies in the kernel's ephemeral range, where any outbound connection may take
it in the minute a Rasa server spends loading its model before it binds (CI lost a run to exactly
that). So ports are drawn below that range, checked free, and never handed out twice by one process.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_handed_out: set[int] = set()
_FALLBACK_EPHEMERAL_START = 32768


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _FALLBACK_EPHEMERAL_START


def _is_free(port: int) -> bool:
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False


def free_port(span: int = 1) -> int:
    """A free port (with `span - 1` free successors) outside the ephemeral range."""
    high = _ephemeral_start() - span
    low = max(1024, high - 12000)
    for _ in range(2000):
        port = random.randint(low, high)
        block = range(port, port + span)
        if any(p in _handed_out for p in block) or not all(_is_free(p) for p in block):
            continue
        _handed_out.update(block)
        return port
    raise RuntimeError(f"no free loopback port between {low} and {high}")


def free_port_pair() -> int:
    """A free port whose successor is free too (two Rasa replicas)."""
    return free_port(span=2)
