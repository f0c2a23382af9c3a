"""A small HTTP/1.1 load generator for the benchmarks: keep-alive
connections on raw asyncio streams (light enough to leave the CPU to the
server under test). Runs as its own process and prints one JSON line.

    python bench/loadgen.py URL --method POST --body-file F --header 'K: V' \\
        (--concurrency 16 | --rate 500) --seconds 5

A body may contain `{n}`: each request gets a fresh number there.
"""

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> int:
        for _attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(raw)
            await self.writer.drain()
            status_line = await self.reader.readline()
            if status_line:
                break
            self.writer.close()  # the server closed an idle keep-alive connection: reconnect
            self.reader = self.writer = None
        length, close, chunked = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.lower(), value.strip().lower()
            length = int(value) if name == "content-length" else length
            close = close or (name == "connection" and "close" in value)
            chunked = chunked or (name == "transfer-encoding" and "chunked" in value)
        if chunked:
            while size := int((await self.reader.readline()).strip() or b"0", 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.reader = self.writer = None
        return int(status_line.split()[1])


async def run(args) -> dict:
    url = urlsplit(args.url)
    body_template = open(args.body_file).read() if args.body_file else ""  # noqa: SIM115, PTH123
    headers = [h.split(":", 1) for h in args.header]
    counter = iter(range(10**9))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def build() -> bytes:
        body = body_template.replace("{n}", str(next(counter))).encode()
        lines = [f"{args.method} {url.path or '/'} HTTP/1.1", f"Host: {url.hostname}", "Connection: keep-alive",
                 f"Content-Length: {len(body)}", *[f"{k.strip()}: {v.strip()}" for k, v in headers]]  # fmt: skip
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def one(connection: Connection) -> None:
        raw = build()
        started = time.perf_counter()
        status = await connection.request(raw)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    deadline = time.perf_counter() + args.seconds
    if args.rate:
        pool = [Connection(url.hostname, url.port) for _ in range(64)]
        free: asyncio.Queue = asyncio.Queue()
        for connection in pool:
            free.put_nowait(connection)

        async def scheduled() -> None:
            connection = await free.get()
            try:
                await one(connection)
            finally:
                free.put_nowait(connection)

        tasks, interval, next_at = [], 1 / args.rate, time.perf_counter()
        while next_at < deadline:
            tasks.append(asyncio.create_task(scheduled()))
            next_at += interval
            await asyncio.sleep(max(0, next_at - time.perf_counter()))
        await asyncio.gather(*tasks)
    else:

        async def worker() -> None:
            connection = Connection(url.hostname, url.port)
            while time.perf_counter() < deadline:
                await one(connection)

        await asyncio.gather(*[worker() for _ in range(args.concurrency)])
    elapsed = args.seconds
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body-file")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0)
    parser.add_argument("--seconds", type=float, default=5)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
