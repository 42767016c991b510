"""A real webhook receiver on loopback (http.server in a thread) that checks every signature with the
README's own snippet, and can be taken down and brought back on the same port."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


# --- the README's receiver snippet ("Outbound webhooks"), word for word ---
def verify(secret: str, signature_header: str, body: bytes, tolerance_s: int = 300) -> dict:
    """The event, or ValueError when the request is not from Candor (or is too old: a replay)."""
    fields = [part.split("=", 1) for part in signature_header.split(",")]
    timestamp = next(value for key, value in fields if key == "t")
    if abs(time.time() - int(timestamp)) > tolerance_s:
        raise ValueError("timestamp too old or in the future")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, value) for key, value in fields if key == "v1"):
        raise ValueError("bad signature")
    return json.loads(body)
# --- end of snippet ---


class Receiver:
    """Accepts events signed with ``secret`` (401 otherwise); ``fail_next`` answers 500 that many times."""

    def __init__(self, port: int = 0) -> None:
        self.secret = ""
        self.accepted: list[dict[str, Any]] = []   # events whose signature checked out
        self.rejected: list[str] = []              # why a request was refused
        self.attempts: list[str] = []              # the Candor-Delivery header of every request
        self.fail_next = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.attempts.append(self.headers["Candor-Delivery"])
                    if receiver.fail_next:
                        receiver.fail_next -= 1
                        return self._answer(500, b"database is down, try later")
                    try:
                        event = verify(receiver.secret, self.headers["Candor-Signature"], body)
                    except (ValueError, StopIteration) as error:
                        receiver.rejected.append(str(error))
                        return self._answer(401, b"signature does not match")
                    if event["id"] != self.headers["Candor-Delivery"]:
                        receiver.rejected.append("delivery header and body id differ")
                        return self._answer(400, b"")
                    receiver.accepted.append({**event, "headers": dict(self.headers)})
                return self._answer(204, b"")

            def _answer(self, code: int, text: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [e for e in self.accepted if e["event"] == kind and all(e["data"].get(k) == v for k, v in match.items())]
