import importlib.util
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install 'unspin[serve]'")
httpx = pytest.importorskip("httpx")
if importlib.util.find_spec("unspin.trace") is None:
    pytest.skip("unspin.trace (issue: trace) is not in this checkout yet", allow_module_level=True)

from .serving import GOLD, Server  # noqa: E402


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """An index built with `unspin index build` over the gold news texts, served with --index."""
    tmp = tmp_path_factory.mktemp("trace")
    docs = sorted(GOLD.glob("news-*.txt"))
    corpus = tmp / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for p in docs:
            fh.write(json.dumps({"id": p.stem, "text": p.read_text(encoding="utf-8")}) + "\n")
    index = tmp / "index"
    r = subprocess.run([sys.executable, "-m", "unspin", "index", "build", str(corpus), str(index)],
                       capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    from unspin.bench.spinners import make_spinner

    spun = make_spinner("wordnet", 0.3, seed=1).spin(docs[3].read_text(encoding="utf-8")).spun
    copy = tmp / "copy.txt"
    copy.write_text(spun, encoding="utf-8")
    srv = Server(tmp, "--workers", "1", "--index", str(index))
    yield srv, index, copy, docs[3].stem
    srv.stop()


def test_trace_finds_the_source_and_matches_the_cli(traced):
    srv, index, copy, source = traced
    text = copy.read_text(encoding="utf-8")
    r = httpx.post(srv.url + "/v1/trace", json={"text": text, "top": 5}, timeout=120)
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert body["matches"] and body["matches"][0]["id"] == source
    cli = subprocess.run([sys.executable, "-m", "unspin", "trace", str(copy), "--index", str(index), "--top", "5",
                          "--format", "json"], capture_output=True, timeout=300, env={**os.environ})
    assert cli.returncode == 0, cli.stderr.decode()[-2000:]
    assert body == json.loads(cli.stdout)
    assert httpx.get(srv.url + "/v1/version").json()["index"] is True
    plain = httpx.post(srv.url + "/v1/trace?top=1", content=text.encode(), headers={"content-type": "text/plain"},
                       timeout=120).json()
    assert [m["id"] for m in plain["matches"]] == [source]


def test_page_shows_the_likely_source(traced):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian's chromium is not installed")
    from .test_page import ARGS, CHROMIUM

    srv, _index, copy, source = traced
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page()
        pg.goto(srv.url + "/")
        pg.fill("#input", copy.read_text(encoding="utf-8"))
        pg.click("#run")
        sync_api.expect(pg.locator("#source")).to_contain_text(source, timeout=120_000)
        browser.close()
