"""A real HTTP receiver on 127.0.0.1 for channel tests: records each POST, answers as told."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

OK_CODE = b'{"errcode":0,"errmsg":"ok"}'


@dataclass
class Captured:
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes
    arrived: float = field(default_factory=time.monotonic)  #: when the request came, in monotonic seconds

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server in a thread: records each POST and answers with the next queued reply."""

    port: int = 0
    captured: list[Captured] = field(default_factory=list)
    replies: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, bytes, dict[str, str]] = (200, OK_CODE, {})
    stall: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, status: int, body: bytes | dict, **headers: str) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.replies.append((status, data, headers))

    @property
    def last(self) -> Captured:
        assert len(self.captured) == 1, f"expected one request, got {len(self.captured)}"
        return self.captured[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            parts = urllib.parse.urlsplit(self.path)
            state.captured.append(Captured(parts.path, urllib.parse.parse_qs(parts.query),
                                           parts.query, dict(self.headers), body))
            if state.stall:
                state.release.wait(state.stall)
            status, data, headers = state.replies.pop(0) if state.replies else state.default
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
