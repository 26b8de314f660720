import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install 'unspin[serve]'")
httpx = pytest.importorskip("httpx")

from .serving import EXAMPLE, ROOT, Server, free_port, random_text  # noqa: E402

SENTENCE = "The inventory market fell after the White Home spoke about the brand-new regulation."


def cli_json(task: str, path) -> dict:
    out = subprocess.run([sys.executable, "-m", "unspin", task, str(path), "--format", "json"],
                         capture_output=True, timeout=300, check=True)
    return json.loads(out.stdout)


def test_bodies_are_exactly_the_cli_json(server, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text(EXAMPLE, encoding="utf-8")
    for task in ("restore", "detect", "clean"):
        r = httpx.post(f"{server.url}/v1/{task}", json={"text": EXAMPLE}, timeout=60)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.json() == cli_json(task, doc)
    restored = httpx.post(f"{server.url}/v1/restore", json={"text": EXAMPLE}, timeout=60).json()
    assert restored["changes"], "the example is spun: something must change"
    rebuilt, pos = [], 0
    for c in restored["changes"]:
        assert EXAMPLE[c["start"]:c["end"]] == c["spun"]
        rebuilt += [EXAMPLE[pos:c["start"]], c["original"]]
        pos = c["end"]
    assert "".join(rebuilt) + EXAMPLE[pos:] == restored["text"]


def test_plain_text_bodies_and_options(server):
    as_json = httpx.post(f"{server.url}/v1/detect", json={"text": SENTENCE}, timeout=60).json()
    as_text = httpx.post(f"{server.url}/v1/detect", content=SENTENCE.encode(),
                         headers={"content-type": "text/plain; charset=utf-8"}, timeout=60)
    assert as_text.status_code == 200 and as_text.json() == as_json
    page = ("<html><body><nav>Home | News | Sport</nav><article><p>" + SENTENCE + " " + SENTENCE.lower()
            + "</p></article><footer>Copyright 2024</footer></body></html>")
    r = httpx.post(f"{server.url}/v1/restore", json={"text": page, "html": True}, timeout=60)
    assert r.status_code == 200, r.text
    for c in r.json()["changes"]:  # offsets point into the HTML as sent
        assert page[c["start"]:c["end"]] == c["spun"]
    cleaned = httpx.post(f"{server.url}/v1/clean?html=true", content=page.encode(),
                         headers={"content-type": "text/plain"}, timeout=60).json()
    assert "Copyright" not in cleaned["text"] and "inventory" in cleaned["text"]


@pytest.mark.parametrize("body,ctype,status,code", [
    (b'{"text": "   "}', "application/json", 400, "E001"),
    (b'{"text": "a\\u0000b"}', "application/json", 400, "E003"),
    (b'{"text": "bad \\ud800 surrogate"}', "application/json", 400, "E002"),
    (b"caf\xe9 au lait", "text/plain", 400, "E002"),
    (b"not json", "application/json", 422, "E022"),
    (b'{"txt": "x"}', "application/json", 422, "E022"),
    (b'["text"]', "application/json", 422, "E022"),
    (b'{"text": "x", "html": "yes"}', "application/json", 422, "E022"),
    (b"text=hello", "application/x-www-form-urlencoded", 415, "E021"),
])
def test_bad_requests_get_a_status_and_a_coded_reason(server, body, ctype, status, code):
    r = httpx.post(f"{server.url}/v1/restore", content=body, headers={"content-type": ctype}, timeout=30)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and r.json()["error"].startswith(code + ": ")


def test_trace_without_an_index_says_why(server):
    r = httpx.post(f"{server.url}/v1/trace", json={"text": SENTENCE}, timeout=30)
    assert r.status_code == 404
    assert r.json()["code"] == "E025" and "--index" in r.json()["error"]


def test_health_version_docs_and_page(server):
    h = httpx.get(server.url + "/healthz").json()
    assert h == {"status": "ok", "workers": 1}
    v = httpx.get(server.url + "/v1/version").json()
    import unspin

    assert v["unspin"] == unspin.__version__ and v["mode"] == "process" and v["index"] is False
    assert v["limits"]["max_body_mb"] == 2.0
    schema = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/restore", "/v1/detect", "/v1/clean", "/v1/trace", "/healthz", "/v1/version"} <= set(schema["paths"])
    assert httpx.get(server.url + "/docs").status_code == 200
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    for asset in ("app.js", "app.css"):
        assert httpx.get(f"{server.url}/static/{asset}").status_code == 200
    assert "innerHTML" not in httpx.get(server.url + "/static/app.js").text.replace("never through innerHTML", "")


def test_listens_on_loopback_only_by_default(server):
    port_hex = f"{server.port:04X}"
    listening = [line.split() for line in open("/proc/net/tcp").read().splitlines()[1:]]
    mine = [f for f in listening if f[1].endswith(":" + port_hex) and f[3] == "0A"]  # 0A: LISTEN
    assert mine and all(f[1].split(":")[0] == "0100007F" for f in mine)  # 127.0.0.1


def test_cors_is_off_by_default(server):
    r = httpx.post(f"{server.url}/v1/detect", json={"text": SENTENCE}, headers={"origin": "http://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_access_log_is_one_json_line_per_request(server):
    rid = httpx.get(server.url + "/v1/version").headers["x-request-id"]
    time.sleep(0.2)
    rec = next(r for r in server.access_log() if r.get("id") == rid)
    assert rec["method"] == "GET" and rec["path"] == "/v1/version" and rec["status"] == 200
    assert rec["ms"] >= 0 and rec["bytes_out"] > 0 and rec["client"].startswith("127.0.0.1:")


def test_cache_answers_repeats_without_the_engine(server):
    text = "The inventory market fell after the White Home spoke, said the report on cached answers."
    first = httpx.post(f"{server.url}/v1/restore", json={"text": text}, timeout=60)
    again = httpx.post(f"{server.url}/v1/restore", json={"text": text}, timeout=60)
    assert first.headers["x-unspin-cache"] == "miss" and again.headers["x-unspin-cache"] == "hit"
    assert first.content == again.content


def test_worker_killed_with_sigkill_is_replaced(server):
    (pid,) = server.worker_pids()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 120
    ok = False
    while time.monotonic() < deadline and not ok:
        r = httpx.post(f"{server.url}/v1/restore", json={"text": SENTENCE + f" {time.monotonic()}"}, timeout=60)
        assert r.status_code in (200, 500, 504), r.text
        ok = r.status_code == 200
        if not ok:
            time.sleep(0.5)
    assert ok
    assert server.worker_pids() and server.worker_pids() != [pid]


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("limited"), "--workers", "1", "--max-body-mb", "0.5", "--timeout", "1.5",
                 "--max-concurrency", "2", "--cache", "0", "--cors", "http://ok.example")
    yield srv
    srv.stop()


def test_body_over_the_limit_gets_413(limited):
    big = ("word " * 120_000).encode()  # 600 kB against a 0.5 MB limit
    r = httpx.post(f"{limited.url}/v1/restore", content=big, headers={"content-type": "text/plain"}, timeout=30)
    assert r.status_code == 413 and r.json()["code"] == "E020"

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for _ in range(60):
            yield b"x" * 10_000

    r = httpx.post(f"{limited.url}/v1/restore", content=chunks(), headers={"content-type": "text/plain"}, timeout=30)
    assert r.status_code == 413 and r.json()["code"] == "E020"
    assert httpx.get(limited.url + "/healthz").status_code == 200


def test_slow_request_gets_504_and_the_service_recovers(limited):
    # About 450 kB, under the 0.5 MB body limit: 4 s of work in a fresh engine on a quiet machine, and well over the
    # 1.5 s limit with warm memo tables too (at 225 kB the faster decoder once finished inside it).
    text = random_text(80_000)
    t0 = time.monotonic()
    r = httpx.post(f"{limited.url}/v1/restore", json={"text": text}, timeout=60)
    assert r.status_code == 504 and r.json()["code"] == "E024", r.text[:300]
    assert time.monotonic() - t0 < 10
    limited.wait_ready()
    deadline = time.monotonic() + 120
    while True:
        r = httpx.post(f"{limited.url}/v1/detect", json={"text": SENTENCE}, timeout=30)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert r.status_code == 200


def test_over_the_concurrency_limit_gets_503_with_retry_after(limited):
    limited.wait_ready()
    text = random_text(800, seed=1)

    async def burst():
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(*[client.post(f"{limited.url}/v1/detect", json={"text": text + f" {i}"})
                                          for i in range(8)])

    rs = asyncio.run(burst())
    codes = sorted(r.status_code for r in rs)
    assert set(codes) <= {200, 503, 504} and 503 in codes and 200 in codes, codes
    busy = next(r for r in rs if r.status_code == 503)
    assert busy.json()["code"] == "E023" and int(busy.headers["retry-after"]) >= 1


def test_cors_when_enabled(limited):
    ok = httpx.get(limited.url + "/v1/version", headers={"origin": "http://ok.example"})
    assert ok.headers["access-control-allow-origin"] == "http://ok.example"
    other = httpx.get(limited.url + "/v1/version", headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_workers_exit_when_the_server_is_killed(tmp_path):
    srv = Server(tmp_path, "--workers", "2", "--no-access-log")
    try:
        pids = srv.worker_pids()
        assert len(pids) == 2
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") and _alive(p) for p in pids):
            time.sleep(0.2)
        assert not any(os.path.exists(f"/proc/{p}") and _alive(p) for p in pids)
    finally:
        srv.stop()


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_in_process_app_keeps_the_event_loop_responsive(engine):
    import uvicorn

    from unspin.service import create_app

    app = create_app(engine=engine)  # workers=0: one engine thread in this process
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if srv.started:
                break
            time.sleep(0.1)
        big = random_text(20_000, seed=2)  # long enough to outlast the first health checks on a fast machine
        result: dict = {}

        def slow():
            result["r"] = httpx.post(url + "/v1/restore", json={"text": big}, timeout=120)

        worker = threading.Thread(target=slow)
        worker.start()
        time.sleep(0.05)
        waits = []
        while worker.is_alive() and len(waits) < 20:
            t0 = time.perf_counter()
            assert httpx.get(url + "/healthz", timeout=10).status_code == 200
            waits.append(time.perf_counter() - t0)
            time.sleep(0.05)
        worker.join()
        assert result["r"].status_code == 200
        assert result["r"].json() == engine.restore(big).to_dict()
        assert waits and max(waits) < 1.0, waits  # health answers while the engine thread restores
    finally:
        srv.should_exit = True
        th.join(10)


def test_missing_extra_names_it(tmp_path):
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['fastapi'] = None\nsys.modules['uvicorn'] = None\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT / 'src'}"}
    r = subprocess.run([sys.executable, "-m", "unspin", "serve", "--port", str(free_port())], capture_output=True,
                       env=env, timeout=60)
    assert r.returncode == 2
    assert "pip install 'unspin[serve]'" in r.stderr.decode()


def test_identical_requests_in_flight_are_answered_once(server):
    text = random_text(400, seed=42)

    async def burst():
        async with httpx.AsyncClient(timeout=120) as client:
            return await asyncio.gather(*[client.post(f"{server.url}/v1/restore", json={"text": text})
                                          for _ in range(6)])

    rs = asyncio.run(burst())
    assert all(r.status_code == 200 for r in rs)
    assert len({r.content for r in rs}) == 1
    kinds = sorted(r.headers["x-unspin-cache"] for r in rs)
    assert kinds.count("miss") == 1 and set(kinds) <= {"miss", "shared", "hit"}, kinds


def test_a_port_in_use_is_a_one_line_error(server):
    r = subprocess.run([sys.executable, "-m", "unspin", "serve", "--port", str(server.port), "--workers", "1"],
                       capture_output=True, timeout=60)
    assert r.returncode == 2
    err = r.stderr.decode().strip()
    assert err.startswith("unspin: E028: cannot listen on 127.0.0.1:") and len(err.splitlines()) == 1
