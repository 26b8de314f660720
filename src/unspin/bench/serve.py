"""Benchmark of `unspin serve`: latency under concurrency, memory over many requests, and the page in a browser."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from unspin.bench.runner import WIKI, machine

SUITES: dict[str, dict[str, Any]] = {
    "quick": {"latency_requests": 32, "worker_counts": (1, 2), "memory_requests": 400, "page_loads": 3},
    "full": {"latency_requests": 96, "worker_counts": (0, 1, 2), "memory_requests": 10_000, "page_loads": 10},
}
ARTICLE_WORDS = 1000
CONCURRENCY = 8
MEMORY_DOC_WORDS = 150
BIG_ARTICLE_WORDS = 5000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGETS = {"p95_ms": 250.0, "memory_drift_pct": 5.0, "first_paint_ms": 1000.0, "longest_task_ms": 200.0}


def _say(msg: str) -> None:
    print(f"[bench serve {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- texts -------------------------------------------------------------------------------------------------


def _paragraphs() -> list[str]:
    """Paragraphs of Wikipedia articles (the shared corpus), or of the shipped gold news texts without it."""
    paras: list[str] = []
    if WIKI.exists():
        with gzip.open(WIKI, "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i >= 400:
                    break
                paras += [p for p in json.loads(line)["text"].split("\n\n") if len(p.split()) >= 30]
    if len(paras) < 50:
        gold = Path(__file__).with_name("gold")
        paras = [p for f in sorted(gold.glob("news-*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n")
                 if len(p.split()) >= 10]
    return paras


def articles(n: int, words: int, seed: int = 0) -> list[str]:
    """`n` distinct spun articles of about `words` words each (WordNet-profile spinner, 25 % of words)."""
    from unspin.bench.spinners import make_spinner

    paras = _paragraphs()
    spinner = make_spinner("wordnet", 0.25, seed=seed)
    out = []
    k = seed * 7919
    for _ in range(n):
        parts: list[str] = []
        count = 0
        while count < words:
            p = paras[k % len(paras)]
            k += 1
            parts.append(p)
            count += len(p.split())
        text = " ".join(" ".join(parts).split()[:words])
        out.append(spinner.spin(text).spun)
    return out


# --- a service under test -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """`unspin serve` as users start it, in its own process on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        t0 = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        self.proc = subprocess.Popen([sys.executable, "-m", "unspin", "serve", "--port", str(self.port),
                                      "--no-access-log", *args], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"unspin serve exited with {self.proc.returncode}")
            try:
                status, _ = request(self.port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - t0 > 300:
                raise RuntimeError("unspin serve did not start in 300 s")
            time.sleep(0.1)
        self.startup_s = time.perf_counter() - t0

    def pids(self) -> list[int]:
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
        return out

    def memory(self) -> dict[str, float]:
        """Resident and proportional set size (MB) of the server and all its processes."""
        rss = pss = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            except OSError:
                pass
        return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1)}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_local = threading.local()


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One HTTP request on this thread's keep-alive connection to 127.0.0.1:port."""
    conns = _local.__dict__.setdefault("conns", {})
    for attempt in range(2):
        conn = conns.get(port)
        if conn is None:
            conn = conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            conns.pop(port, None)
            if attempt:
                raise
    raise AssertionError("unreachable")


def _pct(xs: Sequence[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def load(port: int, bodies: Sequence[bytes], concurrency: int, path: str = "/v1/restore",
         every: int = 0, probe: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Send every body once, `concurrency` at a time; latency percentiles, throughput and status counts."""
    lat: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    done = [0]

    def one(body: bytes) -> None:
        t0 = time.perf_counter()
        try:
            status, _ = request(port, "POST", path, body)
        except OSError as exc:
            status = -1
            _say(f"request failed: {exc}")
        dt = time.perf_counter() - t0
        with lock:
            lat.append(dt)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            done[0] += 1
            n = done[0]
        if probe is not None and every and n % every == 0:
            probe(n)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as ex:
        list(ex.map(one, bodies))
    return _stats(lat, statuses, time.perf_counter() - t0, concurrency)


def _stats(lat: Sequence[float], statuses: dict[str, int], wall: float, concurrency: int) -> dict[str, Any]:
    return {
        "requests": len(lat), "concurrency": concurrency, "statuses": statuses,
        "errors": sum(v for k, v in statuses.items() if k != "200"),
        "p50_ms": round(1000 * statistics.median(lat), 1), "p95_ms": round(1000 * _pct(lat, 0.95), 1),
        "p99_ms": round(1000 * _pct(lat, 0.99), 1), "max_ms": round(1000 * max(lat), 1),
        "requests_per_s": round(len(lat) / wall, 2), "wall_s": round(wall, 1), "latencies": list(lat),
    }


def _body(text: str) -> bytes:
    return json.dumps({"text": text}).encode("utf-8")


# --- sections ------------------------------------------------------------------------------------------------


def latency_interleaved(texts: Sequence[str], worker_counts: Sequence[int], batch: int = 16) -> dict[str, Any]:
    """Uncached restores on one service per worker count, batch by batch in turn, so that the background load of
    a shared machine falls on every setting alike; with a one-at-a-time in-process restore per round as the floor."""
    from unspin import Engine

    services = {w: Service("--workers", str(w), "--cache", "0", "--max-concurrency", "64", "--timeout", "600")
                for w in worker_counts}
    eng = Engine()
    eng.restore(texts[-1])
    lat: dict[int, list[float]] = {w: [] for w in worker_counts}
    statuses: dict[int, dict[str, int]] = {w: {} for w in worker_counts}
    wall = dict.fromkeys(worker_counts, 0.0)
    alone: list[float] = []
    try:
        for svc in services.values():
            for t in texts[:2]:  # warm-up, not measured
                request(svc.port, "POST", "/v1/restore", _body(t + " warm"))
        for r, start in enumerate(range(0, len(texts), batch)):
            chunk = [_body(t) for t in texts[start:start + batch]]
            order = list(worker_counts)[r % len(worker_counts):] + list(worker_counts)[:r % len(worker_counts)]
            for w in order:
                got = load(services[w].port, chunk, CONCURRENCY)
                lat[w] += got["latencies"]
                wall[w] += got["wall_s"]
                for k, v in got["statuses"].items():
                    statuses[w][k] = statuses[w].get(k, 0) + v
            t0 = time.perf_counter()
            eng.restore(texts[start])
            alone.append(time.perf_counter() - t0)
    finally:
        for svc in services.values():
            svc.stop()
    rows = []
    for w in worker_counts:
        row = _stats(lat[w], statuses[w], wall[w], CONCURRENCY)
        row.update(workers=w, mode="thread" if w == 0 else "process", cache=False,
                   startup_s=round(services[w].startup_s, 2))
        rows.append(row)
    words = ARTICLE_WORDS * len(alone)
    floor = {"articles": len(alone), "median_ms": round(1000 * statistics.median(alone), 1),
             "p95_ms": round(1000 * _pct(alone, 0.95), 1), "words_per_s": round(words / sum(alone))}
    return {"rows": rows, "engine_alone": floor, "batch": batch}


def latency(texts: Sequence[str], workers: int, cache: bool) -> dict[str, Any]:
    svc = Service("--workers", str(workers), "--cache", "256" if cache else "0", "--max-concurrency", "64",
                  "--timeout", "600")
    try:
        # Warm-up, not measured; with the cache on, the article itself once: the rows measure asking again.
        for t in texts[:1] if cache else [t + " warm" for t in texts[:2]]:
            request(svc.port, "POST", "/v1/restore", _body(t))
        out = load(svc.port, [_body(t) for t in texts], CONCURRENCY)
        out["workers"] = workers
        out["mode"] = "thread" if workers == 0 else "process"
        out["cache"] = cache
        out["startup_s"] = round(svc.startup_s, 2)
        return out
    finally:
        svc.stop()


def memory(n: int, workers: int = 2) -> dict[str, Any]:
    """Requests of distinct ~150-word spun texts at 8 concurrent; memory of all the service's processes."""
    texts = articles(n, MEMORY_DOC_WORDS, seed=3)
    svc = Service("--workers", str(workers), "--max-concurrency", "64")
    samples: list[dict[str, Any]] = []
    try:
        samples.append({"after": 0, **svc.memory()})

        def probe(done: int) -> None:
            samples.append({"after": done, **svc.memory()})

        out = load(svc.port, [_body(t) for t in texts], CONCURRENCY, every=max(1, n // 20), probe=probe)
    finally:
        svc.stop()
    samples.sort(key=lambda s: s["after"])
    # Caches fill during the first tenth; "flat" is judged from there to the end.
    base = next(s for s in samples if s["after"] >= n // 10)
    later = [s for s in samples if s["after"] >= base["after"]]
    drift = {k: round(100 * (later[-1][k] - base[k]) / base[k], 2) for k in ("rss_mb", "pss_mb")}
    spread = {k: round(100 * (max(s[k] for s in later) - min(s[k] for s in later)) / base[k], 2)
              for k in ("rss_mb", "pss_mb")}
    return {"requests": n, "workers": workers, "load": out, "samples": samples, "baseline_after": base["after"],
            "drift_pct": drift, "spread_pct": spread}


def _wait(pg: Any, expr: str, timeout: float = 30, step: float = 0.02) -> None:
    # Playwright's wait_for_function evaluates strings with eval, which the page's CSP forbids.
    end = time.monotonic() + timeout
    while not pg.evaluate(expr):
        if time.monotonic() > end:
            raise TimeoutError(expr)
        time.sleep(step)


def page(loads: int, big: str) -> dict[str, Any]:
    """First paint of the page, and the highlighted view of a long article, in Debian's Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        return {"skipped": f"playwright is not installed ({exc})"}
    if not os.path.exists(CHROMIUM):
        return {"skipped": f"{CHROMIUM} is not installed"}
    svc = Service("--workers", "1", "--timeout", "600")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            paints = []
            for _ in range(loads):
                ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                pg = ctx.new_page()
                pg.goto(svc.url + "/", wait_until="load")
                _wait(pg, "performance.getEntriesByName('first-contentful-paint').length > 0")
                paints.append(pg.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime"))
                ctx.close()
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            ctx.add_init_script("window.__long = []; new PerformanceObserver((l) => l.getEntries().forEach("
                                "(e) => window.__long.push(e.duration))).observe({type: 'longtask', buffered: true});")
            pg = ctx.new_page()
            pg.goto(svc.url + "/")
            pg.fill("#input", big)
            pg.evaluate("window.__long = []")
            t0 = time.perf_counter()
            pg.click("#run")
            _wait(pg, "performance.getEntriesByName('unspin-paint').length > 0", 600)
            wall = time.perf_counter() - t0
            render = pg.evaluate("performance.getEntriesByName('unspin-render')[0].duration")
            paint = pg.evaluate("performance.getEntriesByName('unspin-paint')[0].duration")
            long_tasks = pg.evaluate("window.__long")
            # Still responsive: a view switch right after the render.
            t1 = time.perf_counter()
            pg.click(".views label:has(input[value=diff])")
            _wait(pg, "document.getElementById('panes').dataset.view === 'diff'", step=0.005)
            switch = time.perf_counter() - t1
            highlights = pg.locator("#doc-spun button.chg").count()
            ctx.close()
            browser.close()
    finally:
        svc.stop()
    return {
        "first_paint_ms": {"median": round(statistics.median(paints), 1), "max": round(max(paints), 1),
                           "loads": loads},
        "big_article": {"words": len(big.split()), "highlights": highlights, "render_js_ms": round(render, 1),
                        "render_to_first_frame_ms": round(paint, 1),
                        "longest_task_ms": round(max(long_tasks, default=0.0), 1),
                        "long_tasks": len(long_tasks), "view_switch_ms": round(1000 * switch, 1),
                        "click_to_painted_s": round(wall, 2)},
    }


def run(suite: str, out: Path | None) -> dict[str, Any]:
    cfg = SUITES[suite]
    n = cfg["latency_requests"]
    res: dict[str, Any] = {"suite": suite, "machine": machine(), "targets": TARGETS,
                           "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    _say(f"spinning {n} articles of {ARTICLE_WORDS} words")
    texts = articles(n, ARTICLE_WORDS)
    res["article_words"] = ARTICLE_WORDS
    _say(f"restore, {CONCURRENCY} concurrent, workers {cfg['worker_counts']} in turn, no cache")
    inter = latency_interleaved(texts, cfg["worker_counts"])
    res["engine_alone"] = inter["engine_alone"]
    res["latency"] = inter["rows"]
    _say("restore of one repeated article, result cache on")
    res["cached"] = latency([texts[0]] * n, max(cfg["worker_counts"]), cache=True)
    _say(f"memory over {cfg['memory_requests']} requests")
    res["memory"] = memory(cfg["memory_requests"])
    _say("page in Chromium")
    res["page"] = page(cfg["page_loads"], articles(1, BIG_ARTICLE_WORDS, seed=5)[0])
    res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    for row in [*res["latency"], res["cached"], res["memory"]["load"]]:
        row.pop("latencies", None)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "serve.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        (out / "serve.md").write_text(markdown(res), encoding="utf-8")
    return res


def _n(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}es" if word.endswith("s") else f"{k} {word}s"


def _targets(r: dict[str, Any]) -> list[str]:
    t = r["targets"]
    procs = [x for x in r["latency"] if x["workers"] > 0]
    best = min(procs, key=lambda x: x["p95_ms"]) if procs else r["latency"][0]
    floor = r["engine_alone"]
    need = CONCURRENCY * r["article_words"] / max(1, r["machine"]["cores"] or 1) / (t["p95_ms"] / 1000)
    mem = r["memory"]
    drift = max(abs(mem["drift_pct"]["rss_mb"]), abs(mem["spread_pct"]["rss_mb"]))
    yes = {True: "yes", False: "no"}
    rows = [
        "| target | measured | met |",
        "| --- | --- | --- |",
        f"| p95 ≤ {t['p95_ms']:.0f} ms, {r['article_words']}-word restore, {CONCURRENCY} concurrent | uncached: "
        f"{best['p95_ms']:.0f} ms ({_n(best['workers'], 'worker')}); an article asked again (result cache): "
        f"{r['cached']['p95_ms']:.0f} ms. One article alone takes {floor['median_ms']:.0f} ms here "
        f"({floor['words_per_s']} words/s); the target needs about {need:,.0f} words/s per core | "
        f"{yes[best['p95_ms'] <= t['p95_ms']]} uncached |",
        f"| memory flat (± {t['memory_drift_pct']:g} %) over {mem['requests']:,} requests | RSS drift "
        f"{mem['drift_pct']['rss_mb']:+.1f} %, spread {mem['spread_pct']['rss_mb']:.1f} % after the first "
        f"{mem['baseline_after']:,} | {yes[drift <= t['memory_drift_pct']]} |",
    ]
    pg = r["page"]
    if "skipped" not in pg:
        b = pg["big_article"]
        rows += [
            f"| first paint ≤ {t['first_paint_ms']:.0f} ms | median {pg['first_paint_ms']['median']:.0f} ms, max "
            f"{pg['first_paint_ms']['max']:.0f} ms | {yes[pg['first_paint_ms']['max'] <= t['first_paint_ms']]} |",
            f"| {b['words']:,}-word article highlighted without freezing (no main-thread task ≥ "
            f"{t['longest_task_ms']:.0f} ms) | longest task {b['longest_task_ms']:.0f} ms, "
            f"{b['highlights']} highlights | {yes[b['longest_task_ms'] < t['longest_task_ms']]} |",
        ]
    return [*rows, ""]


def markdown(results: dict[str, Any]) -> str:
    r = results
    m = r["machine"]
    lines = [
        "## Serve",
        "",
        f"`unspin bench --section serve --suite {r['suite']}` ({r['started']}, {m['cpu']}, {m['cores']} cores, shared "
        f"with other work; the load client runs on the same cores). Restore requests of distinct {r['article_words']}"
        f"-word spun Wikipedia articles (WordNet profile, 25 %), {CONCURRENCY} in flight, result cache off unless "
        "said; the settings take turns batch by batch, so that the machine's background load falls on each alike.",
        "",
        f"One restore at a time in-process, between the batches (the floor no setting can beat): median "
        f"{r['engine_alone']['median_ms']:.0f} ms per article, {r['engine_alone']['words_per_s']} words/s.",
        "",
        "| workers | requests | p50 ms | p95 ms | p99 ms | req/s | errors | start-up s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for x in r["latency"]:
        name = "0 (one thread in the server)" if x["workers"] == 0 else _n(x["workers"], "process")
        lines.append(f"| {name} | {x['requests']} | {x['p50_ms']:.0f} | {x['p95_ms']:.0f} | {x['p99_ms']:.0f} | "
                     f"{x['requests_per_s']:.2f} | {x['errors']} | {x['startup_s']:.1f} |")
    c = r["cached"]
    lines.append(f"| {_n(c['workers'], 'process')}, one article asked again, cache on | {c['requests']} | "
                 f"{c['p50_ms']:.0f} | {c['p95_ms']:.0f} | {c['p99_ms']:.0f} | {c['requests_per_s']:.2f} | "
                 f"{c['errors']} | {c['startup_s']:.1f} |")
    mem = r["memory"]
    first, last = mem["samples"][0], mem["samples"][-1]
    base = next(s for s in mem["samples"] if s["after"] == mem["baseline_after"])
    lines += [
        "",
        f"Memory over {mem['requests']} requests of distinct ~{MEMORY_DOC_WORDS}-word texts ({mem['workers']} workers,"
        f" cache on, {mem['load']['errors']} errors, p95 {mem['load']['p95_ms']:.0f} ms): all the service's processes "
        f"together, RSS {first['rss_mb']:.0f} MB at start, {base['rss_mb']:.0f} MB after {mem['baseline_after']} "
        f"requests, {last['rss_mb']:.0f} MB at the end: drift {mem['drift_pct']['rss_mb']:+.1f} % "
        f"(PSS {mem['drift_pct']['pss_mb']:+.1f} %), largest spread {mem['spread_pct']['rss_mb']:.1f} %.",
        "",
    ]
    lines += _targets(r)
    pg = r["page"]
    if "skipped" in pg:
        lines.append(f"Page: not measured ({pg['skipped']}).")
    else:
        b = pg["big_article"]
        lines += [
            f"Page in Chromium on loopback: first contentful paint median {pg['first_paint_ms']['median']:.0f} ms "
            f"(max {pg['first_paint_ms']['max']:.0f} ms over {pg['first_paint_ms']['loads']} loads). A "
            f"{b['words']}-word article with {b['highlights']} highlighted changes: the page builds its three views "
            f"in {b['render_js_ms']:.0f} ms of script, first frame after {b['render_to_first_frame_ms']:.0f} ms; "
            f"longest main-thread task {b['longest_task_ms']:.0f} ms ({b['long_tasks']} tasks over 50 ms); a view "
            f"switch right after answers in {b['view_switch_ms']:.0f} ms (click to painted result, server included: "
            f"{b['click_to_painted_s']:.1f} s).",
        ]
    return "\n".join(lines) + "\n"
