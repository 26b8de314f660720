import gzip
import json

import pytest
from conftest import ROOT, SHARED, run_cli

SPUN = (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")
ORIGINAL = (ROOT / "examples" / "original.txt").read_text(encoding="utf-8")


def _rows():
    return [
        {"id": 1, "text": SPUN},
        {"id": 2, "text": 5},
        {"id": 3},
        {"id": 4, "text": ORIGINAL},
        {"id": 5, "text": "   "},
        {"id": 6, "text": "The White Home said the inventory market fell."},
    ]


def test_batch_keeps_order_and_reports_bad_rows(tmp_path):
    src = tmp_path / "in.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as f:
        for r in _rows():
            f.write(json.dumps(r) + "\n")
        f.write("{not json\n")
    out = tmp_path / "out.jsonl"
    p = run_cli("batch", str(src), str(out), "--task", "detect", "--workers", "2")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("id") for r in rows[:6]] == [1, 2, 3, 4, 5, 6]
    assert len(rows) == 7
    assert set(rows[0]["unspin"]) == {"spin_score", "verdict", "spans"}
    for bad in (rows[1], rows[2], rows[4], rows[6]):
        assert bad["unspin"] is None and bad["unspin_error"]
    assert b"errors:" in p.stderr


def test_batch_row_equals_the_single_document_command(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": SPUN}) + "\n")
    out = tmp_path / "out.jsonl"
    assert run_cli("batch", str(src), str(out), "--task", "restore", "--workers", "1").returncode == 0
    single = tmp_path / "doc.txt"
    single.write_text(SPUN, encoding="utf-8")
    direct = json.loads(run_cli("restore", str(single), "--format", "json").stdout)
    assert json.loads(out.read_text())["unspin"] == direct


def test_batch_cleans_first_and_keeps_offsets_in_the_row_text(tmp_path):
    page = ("Home | News | Sport | Weather\n30.9 C London, Tuesday\n\n" + SPUN +
            "\n\nLEAVE A REPLY\nPlease enter your comment!\nPlease enter your name here\n")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": page}) + "\n")
    out = tmp_path / "out.jsonl"
    p = run_cli("batch", str(src), str(out), "--task", "restore", "--clean", "--workers", "1")
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())["unspin"]
    assert "LEAVE A REPLY" not in res["text"] and res["changes"]
    for c in res["changes"]:
        assert page[c["start"] : c["end"]] == c["spun"]


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_drop_spun_repair_and_tag_modes(engine, tmp_path):
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, [{"id": "s", "text": SPUN}, {"id": "o", "text": ORIGINAL}, {"id": "x"}])
    spun_score = engine.detect(SPUN).spin_score
    orig_score = engine.detect(ORIGINAL).spin_score
    cut = (spun_score + orig_score) / 2

    out = tmp_path / "kept.jsonl"
    p = run_cli("batch", str(src), str(out), "--drop-spun", str(cut), "--workers", "1")
    assert p.returncode == 0, p.stderr
    kept = _read_jsonl(out)
    assert [r["id"] for r in kept] == ["o", "x"]  # a row that could not be scored is kept with its reason
    assert kept[0]["unspin"]["spin_score"] < cut and kept[1]["unspin_error"]
    assert b"1 dropped as spun" in p.stderr

    out = tmp_path / "repaired.jsonl"
    assert run_cli("batch", str(src), str(out), "--repair", "--workers", "1").returncode == 0
    rep = _read_jsonl(out)[0]
    restored = engine.restore(SPUN)
    assert rep["text"] == restored.text and rep["original_text"] == SPUN
    assert "text" not in rep["unspin"] and len(rep["unspin"]["changes"]) == len(restored.changes)

    out = tmp_path / "tagged.jsonl"
    assert run_cli("batch", str(src), str(out), "--task", "restore", "--tag", "--workers", "1").returncode == 0
    tag = _read_jsonl(out)[0]
    assert tag["text"] == SPUN and set(tag["unspin"]) == {"spin_score", "verdict", "spans"}
    assert tag["unspin"]["spans"] and all(SPUN[s["start"]:s["end"]] == s["text"] for s in tag["unspin"]["spans"])


def test_group_by_applies_each_groups_table(tmp_path):
    from unspin.learn import learn_pairs, write_channel_dir

    # A farm that writes "commented" for "said": zero-shot leaves "commented" alone (it is plain English), so only
    # the rows given farm-a's table change. (A rewrite the LM disfavours, such as "budget" for "plan" seen once,
    # is one the aligned-table weights rightly need more sightings for; since log_stay is smoothed by its count,
    # "commented" seen twice is not enough either, so the farm shows it in three pairs.)
    pair = ("The minister commented that taxes would rise. Her deputy commented that the cuts were over.",
            "The minister said that taxes would rise. Her deputy said that the cuts were over.")
    table = learn_pairs([pair] * 3)
    write_channel_dir({"farm-a": table}, tmp_path / "channels")
    doc = "The mayor commented that the budget was fair, and the treasurer commented that it was late."
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, [{"site": "farm-a", "text": doc}, {"site": "farm-b", "text": doc}, {"text": doc},
                       {"site": "farm-a", "text": doc}])
    out = tmp_path / "out.jsonl"
    p = run_cli("batch", str(src), str(out), "--task", "restore", "--channel-dir", str(tmp_path / "channels"),
                "--group-by", "site", "--workers", "2", "--shard-rows", "1")
    assert p.returncode == 0, p.stderr
    texts = [r["unspin"]["text"] for r in _read_jsonl(out)]
    assert texts[0] == texts[3] == doc.replace("commented", "said")
    assert texts[1] == texts[2] == doc


def test_bad_files_and_rows_are_reported_and_the_run_goes_on(tmp_path):
    good = tmp_path / "a.jsonl"
    big = "word " * (11 * 1024 * 1024)  # a 55 MB document
    _write_jsonl(good, [{"text": "Short clean text."}, {"text": big}, {"text": ["not", "a", "string"]},
                        {"body": "no text field"}])
    cut = tmp_path / "b.jsonl.gz"
    data = gzip.compress("".join(json.dumps({"text": f"row {i} here"}) + "\n" for i in range(5000)).encode())
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.jsonl"
    p = run_cli("batch", str(tmp_path / "*.jsonl*"), str(out), "--task", "clean", "--workers", "2")
    assert p.returncode == 2  # the output is written, but an input file was unreadable
    err = p.stderr.decode()
    assert "b.jsonl.gz could not be read to its end (stopped after" in err
    rows = _read_jsonl(out)
    stopped = int(err.split("stopped after ")[1].split()[0])
    assert len(rows) == 4 + stopped and 0 < stopped < 5000
    assert rows[0]["unspin"]["text"] == "Short clean text."
    assert rows[1]["unspin"] is None and "E012" in rows[1]["unspin_error"] and len(rows[1]["text"]) == len(big)
    assert "not a string" in rows[2]["unspin_error"] and "missing field" in rows[3]["unspin_error"]
    assert "too-large: 1" in err and "not-a-string: 1" in err and "missing-text: 1" in err


def test_parquet_in_and_out_and_warc_in(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": i, "text": f"Row {i} of the table."} for i in range(30)]
                                        + [{"id": 30, "text": None}]), src)
    out = tmp_path / "out.parquet"
    p = run_cli("batch", str(src), str(out), "--task", "clean", "--workers", "2", "--shard-rows", "7")
    assert p.returncode == 0, p.stderr
    rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == list(range(31))
    assert json.loads(rows[3]["unspin"])["text"] == "Row 3 of the table."
    assert rows[30]["unspin"] is None and "missing field" in rows[30]["unspin_error"]
    assert not (tmp_path / "out.parquet.parts").exists()

    from test_readers import _warc

    page = ("<html><head><title>t</title></head><body><nav>Home | News</nav><article><p>" + SPUN.replace("\n", " ")
            + "</p></article></body></html>").encode()
    _warc(tmp_path / "crawl.warc.gz", [("http://x.example/a", "text/html", page),
                                      ("http://x.example/i.png", "image/png", b"\x89PNG\x00\x00")])
    out = tmp_path / "warc.jsonl"
    p = run_cli("batch", str(tmp_path / "crawl.warc.gz"), str(out), "--task", "detect", "--workers", "1")
    assert p.returncode == 0, p.stderr
    rows = _read_jsonl(out)
    assert len(rows) == 1 and rows[0]["url"] == "http://x.example/a"
    assert rows[0]["unspin"]["verdict"] == "spun"
    assert all(rows[0]["text"][s["start"]:s["end"]] == s["text"] for s in rows[0]["unspin"]["spans"])
    assert b"not HTML (image/png): 1" in p.stderr


def test_a_worker_that_renews_its_engine_gives_the_same_rows():
    from unspin.pipeline.batch import BatchConfig, Worker
    from unspin.pipeline.readers import Record

    paras = [p for p in (SPUN + "\n" + ORIGINAL).split("\n") if len(p.split()) > 8]
    recs = [Record(json.dumps({"id": i, "text": p})) for i, p in enumerate(paras[:6])]
    for task in ("detect", "restore"):
        steady = Worker(BatchConfig(task=task))
        renewing = Worker(BatchConfig(task=task, worker_mb=1))  # over budget after every chunk
        a = [o for k in range(0, len(recs), 2) for o in steady.chunk(recs[k : k + 2])]
        b = []
        for k in range(0, len(recs), 2):
            b += renewing.chunk(recs[k : k + 2])
            assert renewing._base is None  # the engine was dropped
        assert a == b and all(o.error is None for o in a)


def _spun_hosts(n):
    """Held-out Wikipedia articles spun by two simulated spinners, one per host, with their substitutions."""
    if not (SHARED / "corpora" / "wikipedia-en").exists():
        pytest.skip("shared corpora absent")
    from unspin.bench import runner
    from unspin.bench.spinners import make_spinner

    _, wiki = runner.load_docs()
    docs = []
    for host, profile in (("a.example", "wordnet"), ("b.example", "mythes")):
        sp = make_spinner(profile, 0.15, seed=7)
        docs += [(host, sp.spin(d.text)) for d in wiki[:n]]
    return docs


def _ner(docs, rows):
    from unspin.bench import metrics as M

    total = M.RestoreScore()
    for (_, d), r in zip(docs, rows, strict=True):
        total += M.score_restore(d.original, d.spun, r["unspin"]["text"], d.subs, len(r["unspin"]["changes"]), None)
    return total.summary()


def test_batch_pool_learns_each_hosts_spinner_from_the_corpus_and_resumes_with_the_same_tables(tmp_path):
    docs = _spun_hosts(30)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"host": h, "text": d.spun}) + "\n" for h, d in docs), encoding="utf-8")
    plain, pooled = tmp_path / "plain.jsonl", tmp_path / "pooled.jsonl"
    assert run_cli("batch", str(src), str(plain), "--task", "restore", "--workers", "2").returncode == 0
    p = run_cli("batch", str(src), str(pooled), "--task", "restore", "--workers", "2", "--pool", "--group-by", "host")
    assert p.returncode == 0, p.stderr
    tables = tmp_path / "pooled.jsonl.pool"
    groups = json.loads((tables / "groups.json").read_text())
    assert set(groups) == {"a.example", "b.example"}
    rows = [json.loads(line) for line in pooled.read_text().splitlines()]
    base = [json.loads(line) for line in plain.read_text().splitlines()]
    assert [r["host"] for r in rows] == [h for h, _ in docs]
    before, after = _ner(docs, base), _ner(docs, rows)
    # Pooling 30 documents per spinner lifts restoration well beyond what each document alone allows.
    assert after["net_error_reduction"] > before["net_error_reduction"] + 0.05, (before, after)
    assert after["damage"] < 0.005
    # A rerun reuses the pooled tables (same manifest) and writes the same bytes.
    stamp = (tables / "manifest.json").stat().st_mtime_ns
    again = tmp_path / "again.jsonl"
    pooled.rename(again)
    assert run_cli("batch", str(src), str(pooled), "--task", "restore", "--pool", "--group-by", "host").returncode == 0
    assert (tables / "manifest.json").stat().st_mtime_ns == stamp
    assert pooled.read_bytes() == again.read_bytes()


def test_batch_pool_refuses_what_it_cannot_do(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": SPUN}) + "\n")
    out = str(tmp_path / "out.jsonl")
    for extra in (["--task", "clean"], ["--task", "restore", "--channel-dir", str(tmp_path), "--group-by", "h"]):
        p = run_cli("batch", str(src), out, "--pool", *extra)
        assert p.returncode == 2 and b"--pool" in p.stderr, p.stderr
    p = run_cli("batch", "-", out, "--task", "detect", "--pool", stdin=src.read_bytes())
    assert p.returncode == 2 and b"standard input" in p.stderr
    # A host with fewer than 5 documents gets no table of its own, and the manifest says why.
    few = tmp_path / "few.jsonl"
    few.write_text("".join(json.dumps({"host": "x.example", "text": SPUN}) + "\n" for _ in range(3)))
    p = run_cli("batch", str(few), out, "--task", "restore", "--pool", "--group-by", "host")
    assert p.returncode == 0, p.stderr
    groups = json.loads((tmp_path / "out.jsonl.pool" / "manifest.json").read_text())["groups"]
    assert groups == {"x.example": {"docs": 3, "spun_share": 0.0, "applied": False, "entries": 0,
                                    "reason": "fewer than 5 documents"}}
    # Standard output works: the tables live in a temporary directory for the run.
    p = run_cli("batch", str(src), "-", "--task", "restore", "--pool")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["unspin"]["text"]


def test_batch_pool_leaves_a_clean_corpus_as_the_plain_run_does(tmp_path):
    if not (SHARED / "corpora" / "wikipedia-en").exists():
        pytest.skip("shared corpora absent")
    from unspin.bench import runner

    _, wiki = runner.load_docs()
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": d.text}) + "\n" for d in wiki[:12]), encoding="utf-8")
    plain, pooled = tmp_path / "plain.jsonl", tmp_path / "pooled.jsonl"
    assert run_cli("batch", str(src), str(plain), "--task", "restore", "--workers", "2").returncode == 0
    p = run_cli("batch", str(src), str(pooled), "--task", "restore", "--workers", "2", "--pool")
    assert p.returncode == 0, p.stderr
    manifest = json.loads((tmp_path / "pooled.jsonl.pool" / "manifest.json").read_text())
    assert manifest["groups"][""]["applied"] is False and manifest["groups"][""]["docs"] == 12
    assert pooled.read_bytes() == plain.read_bytes()
