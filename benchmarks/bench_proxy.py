"""The proxy under load: 50 concurrent clients × 100 exchanges through ``proxy`` in front of ``serve``.

    python benchmarks/bench_proxy.py [--clients 50] [--exchanges 100]

Starts ``serve`` and ``proxy --record DIR --format json`` as the commands start them, on 127.0.0.1
with ephemeral ports, then runs the same load twice: directly against ``serve`` and through the
proxy (each client sends corpus v10/v11 requests, one after the other). Prints the median and p99
latency of both and the difference (the proxy's added latency), checks nothing was lost (every
exchange answered, printed as judged and recorded as a request/answer pair), and samples the
proxy's resident memory (VmRSS) before, during and after the load. Needs the 'serve' extra.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = ("v10/request-full.xml", "v10/request-minimal.xml", "v11/request-full.xml", "v11/request-echo-fraga.xml")


def _collect(stream, lines: list[str]) -> None:
    lines.extend(line.rstrip("\n") for line in stream)


class Server:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ssbtek_validator", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=_collect, args=(stream, lines), daemon=True).start()
        deadline = time.monotonic() + 30
        self.url = None
        while self.url is None and time.monotonic() < deadline:
            for line in self.out + self.err:
                found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
                if found:
                    self.url = found.group(1)
                    break
            time.sleep(0.05)
        if self.url is None:
            raise SystemExit(f"server did not start: {self.err}")

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(120)


async def load(url: str, clients: int, exchanges: int, bodies: list[bytes]) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0

    async def client(number: int, session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for index in range(exchanges):
            body = bodies[(number + index) % len(bodies)]
            start = time.perf_counter()
            async with session.post(url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"}) as answer:
                await answer.read()
                if answer.status != 200:
                    failures += 1
            latencies.append((time.perf_counter() - start) * 1000)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(client(n, session) for n in range(clients)))
    return latencies, failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--exchanges", type=int, default=100)
    args = parser.parse_args()
    bodies = [(ROOT / "corpus" / name).read_bytes() for name in REQUESTS]
    total = args.clients * args.exchanges
    with tempfile.TemporaryDirectory() as scratch:
        record = Path(scratch) / "recorded"
        double = Server("serve", "--listen", "127.0.0.1:0", "--seed", "1")
        proxy = Server("proxy", "--upstream", double.url, "--listen", "127.0.0.1:0", "--record", str(record),
                       "--format", "json")  # fmt: skip
        try:
            asyncio.run(load(double.url, 4, 5, bodies))  # warm both: schema models, generator caches
            asyncio.run(load(proxy.url, 4, 5, bodies))
            deadline = time.monotonic() + 60
            while len(proxy.out) < 20 and time.monotonic() < deadline:
                time.sleep(0.1)  # the warm-up judged (the judging process starts on the first exchange)
            warm = len(proxy.out)
            rss = [proxy.rss_kb()]
            start = time.perf_counter()
            direct, direct_failed = asyncio.run(load(double.url, args.clients, args.exchanges, bodies))
            direct_s = time.perf_counter() - start
            start = time.perf_counter()
            through, through_failed = asyncio.run(load(proxy.url, args.clients, args.exchanges, bodies))
            through_s = time.perf_counter() - start
            rss.append(proxy.rss_kb())
            deadline = time.monotonic() + 300
            while len(proxy.out) < warm + total and time.monotonic() < deadline:
                time.sleep(0.2)  # the proxy judges after answering: let it catch up
            rss.append(proxy.rss_kb())
        finally:
            proxy_exit = proxy.stop()
            double.stop()
        judged = [json.loads(line) for line in proxy.out if line.startswith("{")]
        recorded = len(list(record.glob("*-answer.xml")))
    print(f"{args.clients} clients × {args.exchanges} exchanges = {total}")
    for label, values, seconds, failed in (
        ("direct to serve", direct, direct_s, direct_failed),
        ("through proxy  ", through, through_s, through_failed),
    ):
        print(
            f"{label}: median {statistics.median(values):7.1f} ms, p99 {percentile(values, 0.99):7.1f} ms, "
            f"{len(values) / seconds:6.0f} exchanges/s, non-200: {failed}"
        )
    print(
        f"added by the proxy: median {statistics.median(through) - statistics.median(direct):+.1f} ms, "
        f"p99 {percentile(through, 0.99) - percentile(direct, 0.99):+.1f} ms"
    )
    lost = warm + total - len(judged)
    print(f"judged {len(judged)} (lost {lost}), recorded {recorded} pairs, verdicts "
          f"{sorted({j['verdict'] for j in judged})}, proxy exit {proxy_exit}")  # fmt: skip
    print(f"proxy RSS: before {rss[0] / 1024:.0f} MB, after the load {rss[1] / 1024:.0f} MB, "
          f"after judging {rss[2] / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
