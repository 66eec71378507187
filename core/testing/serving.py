"""The real server for a test: ``goldsieve serve`` in a child process, as a workspace runs it.

The ``goldsieve_serve`` fixture (:mod:`goldsieve.testing`) starts it on a free port of 127.0.0.1
(``--port 0``: the system picks the port, so parallel tests never race for one) and hands the
test its URL once the server answers; at teardown it sends SIGTERM and waits until the process
is gone (one deaf to it is killed with its process group: gunicorn's workers leave no orphan). Nothing here sleeps: the server's own line saying where it serves — printed only once
the port is bound and the store is open — and then one answered request are the conditions
waited for, each with a deadline.
"""
from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Mapping

#: the line ``goldsieve serve`` prints once it answers requests
SERVING = re.compile(r"^goldsieve is serving .+ at (http://\S+?)/?\s")


class ServerFailed(RuntimeError):
    """The server did not start (or stop) as asked; the message holds what it printed."""


def goldsieve_command() -> list[str]:
    """The ``goldsieve`` command of this Python environment (beside its interpreter)."""
    found = shutil.which("goldsieve", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from goldsieve.cli import main; main()"]


class LiveServer:
    """A running ``goldsieve serve``: its ``url`` (``http://127.0.0.1:PORT``, no trailing
    slash), its ``process``, and what it printed so far (``output``)."""

    def __init__(self, workspace: Path, *args: str, env: Mapping[str, str] | None = None,
                 timeout: float = 120):
        command = [*goldsieve_command(), "serve", "--workspace", str(workspace), "--host", "127.0.0.1",
                   "--port", "0", *args]
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, **(env or {})}, cwd=workspace,
                                        start_new_session=True)  # its own group: stop kills its workers too
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self.url = self._wait_for_url(timeout)
            self._wait_for_answer(timeout)
        except BaseException:
            self.stop()
            raise

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise ServerFailed(f"goldsieve serve did not answer within {timeout:g} s: "
                                   f"{''.join(self.output)}") from None
            if line is None:
                raise ServerFailed(f"goldsieve serve ended ({self.process.wait()}): {''.join(self.output)}")
            found = SERVING.match(line)
            if found:
                return found.group(1).rstrip("/")

    def _wait_for_answer(self, timeout: float) -> None:
        """One request answered: the health endpoint (the line above comes after the bind and
        the store's opening, so the first request is expected to be answered)."""
        with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=timeout) as answer:
            if answer.status != 200:
                raise ServerFailed(f"goldsieve serve answered {answer.status} to /api/v1/health")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then wait until the process is gone; its exit status. A server still running
        after ``timeout`` seconds is killed and reported."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # gunicorn's workers with their arbiter
                self.process.wait()
                raise ServerFailed(f"goldsieve serve did not stop within {timeout:g} s of SIGTERM") from None
        return self.process.returncode
