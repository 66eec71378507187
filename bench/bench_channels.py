"""Micro-benchmark: what a channel adds to one HTTP POST, per channel type.

    python bench/bench_channels.py [--ops 300]

Each type delivers to a receiver on 127.0.0.1 that answers at once with the service's
"accepted" reply. ``send`` (build the request, sign it, POST it, judge the reply) is timed
against its floor: a bare ``urllib.request.urlopen`` POST of the same bytes to the same
receiver, interleaved with the sends so both see the same machine. ``request`` alone (building
and signing, no I/O) is timed too. The outbox's throughput per worker is bounded by ``send``
plus the real service's latency, which dwarfs both on any real network.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from goldsieve.automation.channels import Message, load_channels
from goldsieve.plugin_manager import make_plugin_manager

REPLIES = {"dingtalk": b'{"errcode":0,"errmsg":"ok"}', "wecom": b'{"errcode":0,"errmsg":"ok"}',
           "feishu": b'{"code":0,"msg":"success","data":{}}', "slack": b"ok", "webhook": b""}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        reply = REPLIES.get(self.path.strip("/").split("?")[0], b"")
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


def message() -> Message:
    data = {f"field_{n}": f"value {n}" for n in range(15)} | {"amount": 1_200_000}
    return Message(event="stage_entered", text="Acme entered Negotiation (CNY 1,200,000).",
                   deal={"id": 7, "title": "Acme ERP", "funnel": "software", "stage": "negotiation",
                         "owner": "ann", "data": data},
                   funnel="software", at="2026-01-05T09:00:00.000Z", key="d-7-rule-1",
                   url="https://crm.example.test/deals/7", mentions=("ann",))


def micro(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1e6:,.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=300)
    ops = parser.parse_args().ops
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    tables = {
        "dingtalk": {"url": f"{base}/dingtalk?access_token=t", "secret": "SECx", "mention": "ids"},
        "wecom": {"url": f"{base}/wecom?key=k", "mention": "ids"},
        "feishu": {"url": f"{base}/feishu", "secret": "s", "mention": "ids"},
        "slack": {"url": f"{base}/slack", "mention": "ids"},
        "webhook": {"url": f"{base}/webhook", "secret": "s"},
    }
    channels = load_channels(make_plugin_manager(entry_points=False),
                             {"channels": {name: {"type": name, **t} for name, t in tables.items()}})
    msg, now = message(), datetime.now(timezone.utc)
    print(f"{'type':<10} {'request':>10} {'send':>10} {'bare POST':>10} {'send/bare':>10}")
    for name, channel in channels.items():
        builds, sends, bares = [], [], []
        url, body, headers = channel.request(msg, now)
        for _ in range(ops):
            start = time.perf_counter()
            channel.request(msg, now)
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            channel.send(msg)
            sends.append(time.perf_counter() - start)
            start = time.perf_counter()
            with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10) as r:
                r.read()
            bares.append(time.perf_counter() - start)
        ratio = statistics.median(sends) / statistics.median(bares)
        print(f"{name:<10} {micro(builds):>10} {micro(sends):>10} {micro(bares):>10} {ratio:>10.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
