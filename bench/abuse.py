#!/usr/bin/env python3
"""The abuse floods of docs/reliability.md, against a running release binary; prints figures.

Called by bench/abuse, which builds the binary, seeds a SQLite database and starts the server:

    abuse.py PORT SERVER_PID KEY WORK_ORDER DEEP_WORK_ORDER ACCESS_LOG

Each scenario prints one line of figures; ratios are against the baseline measured in the
same run (the idle server's RSS, the first page's latency).
"""

import asyncio
import json
import os
import socket
import statistics
import sys
import time
import uuid

PORT, PID, KEY, WO, DEEP_WO, ACCESS_LOG = sys.argv[1:7]
PORT = int(PORT)


def rss_mb():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def threads():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


async def exchange(raw: bytes, timeout=30.0):
    """Sends one request on a new connection; (status, body bytes, seconds)."""
    started = time.monotonic()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", PORT), timeout)
    try:
        writer.write(raw)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await asyncio.wait_for(reader.readexactly(length), timeout) if length else b""
        return status, body, time.monotonic() - started
    finally:
        writer.close()


def request(method, path, headers=None, body=b""):
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{PORT}", "Connection: close"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def photo(name):
    return json.dumps({
        "minioObjectKey": f"acme/abuse/{name}.jpg",
        "cdnUrl": f"https://cdn.example.com/acme/abuse/{name}.jpg",
        "takenAt": "2026-04-15T12:00:00Z",
    }).encode()


def attach(name, key=KEY):
    return request("POST", f"/v1/work-orders/{WO}/photos",
                   {"X-API-Key": key, "Content-Type": "application/json"}, photo(name))


async def bounded(n, jobs):
    sem = asyncio.Semaphore(n)

    async def one(job):
        async with sem:
            try:
                return await job
            except Exception as e:  # a refused or cut connection is a figure too
                return (0, str(e).encode(), 0.0)

    return await asyncio.gather(*(one(j) for j in jobs))


async def metrics_scrape():
    status, body, seconds = await exchange(request("GET", "/metrics"))
    return len(body), seconds


async def method_flood():
    base = rss_mb()
    methods = [("M" + uuid.uuid4().hex + "X" * 16_000) for _ in range(10_000)]
    answers = await bounded(16, [exchange(request(m, "/healthz")) for m in methods])
    size, seconds = await metrics_scrape()
    statuses = sorted({a[0] for a in answers})
    print(f"1. methods: 10,000 keyless requests with 16 KB methods: RSS {base:.0f} -> {rss_mb():.0f} MB "
          f"(x{rss_mb() / base:.2f}); /metrics {size / 1024:.1f} KiB, rendered in {seconds * 1000:.1f} ms; statuses {statuses}")


async def lockout():
    bad = await bounded(8, [exchange(request("GET", f"/v1/work-orders/{WO}")) for _ in range(25)])
    good = await exchange(attach("lockout-" + uuid.uuid4().hex))
    print(f"2. lock-out: 25 keyless requests from one address ({sorted({b[0] for b in bad})}), "
          f"then a valid key from it: {good[0]}")


async def overload():
    base_rss, base_threads = rss_mb(), threads()
    peak = {"rss": base_rss, "threads": base_threads}
    done = asyncio.Event()

    async def sample():
        while not done.is_set():
            peak["rss"] = max(peak["rss"], rss_mb())
            peak["threads"] = max(peak["threads"], threads())
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    run = uuid.uuid4().hex
    answers = await bounded(5_000, [exchange(attach(f"flood-{run}-{i}"), timeout=60) for i in range(5_000)])
    done.set()
    await sampler
    took = sorted(a[2] for a in answers if a[0])
    counts = {}
    for a in answers:
        counts[a[0]] = counts.get(a[0], 0) + 1
    p50 = took[len(took) // 2] if took else 0
    print(f"3. overload: 5,000 concurrent attaches on SQLite: {counts}; p50 {p50 * 1000:.0f} ms, "
          f"max {took[-1] * 1000 if took else 0:.0f} ms; threads {base_threads} -> {peak['threads']} at most; "
          f"RSS {base_rss:.0f} -> {peak['rss']:.0f} MB at most")


async def page(path):
    status, body, seconds = await exchange(request("GET", path, {"X-API-Key": KEY}))
    assert status == 200, (status, body[:200])
    return json.loads(body), seconds


async def deep_pages():
    cursors, cursor = [None], None
    while True:
        path = f"/v1/work-orders/{DEEP_WO}/photos?limit=100" + (f"&cursor={cursor}" if cursor else "")
        body, _ = await page(path)
        cursor = body.get("nextCursor")
        if not cursor:
            break
        cursors.append(cursor)

    async def median(c):
        path = f"/v1/work-orders/{DEEP_WO}/photos?limit=100" + (f"&cursor={c}" if c else "")
        return statistics.median([(await page(path))[1] for _ in range(30)])

    first, last = await median(cursors[0]), await median(cursors[-1])
    _, wo_seconds = await page(f"/v1/work-orders/{DEEP_WO}")
    print(f"7. deep pages: {len(cursors)} pages of 100 on one work order: first {first * 1000:.2f} ms, "
          f"last {last * 1000:.2f} ms (x{last / first:.2f}); the work order with its count {wo_seconds * 1000:.2f} ms")


async def unfinished_heads():
    base = rss_mb()
    peak = base
    writers = []
    opened = 0
    for _ in range(5_000):
        try:
            _, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", PORT), 2)
        except Exception:
            break
        opened += 1
        w.write(b"GET /healthz HTTP/1.1\r\nX-Filler: " + b"a" * 120_000)
        writers.append(w)
        if opened % 500 == 0:
            await asyncio.sleep(0.05)
            peak = max(peak, rss_mb())
    await asyncio.sleep(0.5)
    peak = max(peak, rss_mb())
    ok = await exchange(request("GET", "/healthz"), timeout=15)
    for w in writers:
        w.close()
    print(f"9. heads: {opened} connections each sending 120 KB of an unfinished head: RSS {base:.0f} -> "
          f"{peak:.0f} MB at most; a valid request meanwhile: {ok[0]} in {ok[2] * 1000:.0f} ms")


async def long_log_line():
    path = "/" + "a" * 120_000
    await exchange(request("GET", path))
    await asyncio.sleep(0.3)
    with open(ACCESS_LOG, errors="replace") as f:
        longest = max((len(line) for line in f), default=0)
    print(f"9. log: a request with a 120 KB path: the longest log line is {longest} bytes")


async def main():
    await method_flood()
    await lockout()
    await deep_pages()
    await long_log_line()
    await overload()
    await unfinished_heads()


asyncio.run(main())
