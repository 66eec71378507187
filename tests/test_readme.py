"""The README's walk-through runs as written: its shell blocks, pasted in order into one shell in
an empty folder, against a real ``goldsieve serve`` — so the README cannot drift from the code.

Three blocks are not run, each for a reason outside the project: the quick start (``make run``
installs and serves the demo; CI itself starts from ``make test``), a channel test (it sends to
an outside service) and the copy to PostgreSQL (it names a database server of the reader's).
The server's port is swapped for a free one, and after the block that starts the server in the
background the script waits until it answers, as the README tells the reader to.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
NOT_RUN = {"make run": "the quick start", "goldsieve channels test": "an outside service",
           "goldsieve store copy": "the reader's database server"}


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def walk_through(blocks: list[str], port: int) -> str:
    """The script a reader would paste: every block but :data:`NOT_RUN`, on ``port``."""
    lines = ["set -euo pipefail"]
    for block in blocks:
        if any(block.lstrip().startswith(start) for start in NOT_RUN):
            continue
        lines.append(block.replace("8000", str(port)))
        if re.search(r"goldsieve serve .*&", block):
            lines.append(f"for _ in $(seq 600); do curl -sf -o /dev/null http://127.0.0.1:{port}/api/v1/health "
                         "&& break; kill -0 %1 || exit 9; sleep 0.1; done")
    lines.append("wait")  # the server the last block stopped has exited
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_block_is_run_or_skipped_for_a_stated_reason():
    blocks = shell_blocks(README.read_text("utf-8"))
    skipped = [b for b in blocks if any(b.lstrip().startswith(s) for s in NOT_RUN)]
    assert len(skipped) == len(NOT_RUN), "a block NOT_RUN names is gone from the README"
    assert len(blocks) - len(skipped) >= 5  # workspace, team, password, token + serve, curl


@pytest.mark.skipif(shutil.which("curl") is None and not os.environ.get("CI"),
                    reason="the README's API example uses curl (.ci/run installs it)")
def test_the_readme_walk_through_runs_as_written(tmp_path):
    port = free_port()
    script = walk_through(shell_blocks(README.read_text("utf-8")), port)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GOLDSIEVE_WORKSPACE", None)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "goldsieve is serving" in done.stdout + done.stderr
    assert '"title": "Acme ERP"' in done.stdout or '"title":"Acme ERP"' in done.stdout
    assert re.search(r"^carol\s+rep\s+east\s+active\s+Carol Wu$", done.stdout, flags=re.M), done.stdout
