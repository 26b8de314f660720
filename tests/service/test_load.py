import asyncio
import json
import statistics
import time

import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install 'unspin[serve]'")
httpx = pytest.importorskip("httpx")

from .serving import random_text  # noqa: E402

REQUESTS = 2_000
CONCURRENCY = 16


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def test_bounded_load_on_loopback_has_no_errors(server, artifacts, record_property):
    """2,000 distinct restore requests, 16 at a time: every one answered 200, latency percentiles reported."""
    texts = [random_text(8, seed=1000 + i) for i in range(REQUESTS)]  # distinct: no cache hits
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client(queue: asyncio.Queue, http: httpx.AsyncClient) -> None:
        while True:
            try:
                text = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            r = await http.post(server.url + "/v1/restore", json={"text": text})
            latencies.append(time.perf_counter() - t0)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            assert r.status_code != 200 or r.headers["x-unspin-cache"] == "miss"

    async def run() -> float:
        queue: asyncio.Queue = asyncio.Queue()
        for t in texts:
            queue.put_nowait(t)
        limits = httpx.Limits(max_connections=CONCURRENCY)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            t0 = time.perf_counter()
            await asyncio.gather(*[client(queue, http) for _ in range(CONCURRENCY)])
            return time.perf_counter() - t0

    seconds = asyncio.run(run())
    report = {
        "requests": len(latencies), "concurrency": CONCURRENCY, "workers": 1, "statuses": statuses,
        "seconds": round(seconds, 2), "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "max_ms": round(1000 * max(latencies), 1),
    }
    (artifacts / "load.json").write_text(json.dumps(report, indent=1) + "\n")
    for k, v in report.items():
        record_property(k, v)
    print("load:", json.dumps(report))
    assert statuses == {200: REQUESTS}, report
