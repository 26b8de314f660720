import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import ROOT, run_cli
from tracedata import wiki_docs, write_jsonl

from unspin.errors import UnspinError
from unspin.trace import Index, Shards, trace
from unspin.trace.store import DB_NAME, FORMAT_VERSION

GOLD = sorted((ROOT / "src" / "unspin" / "bench" / "gold").glob("news-*.txt"))


def _gold_docs():
    return [(p.stem, p.read_text(encoding="utf-8")) for p in GOLD]


def test_build_add_and_skip_existing_ids(tmp_path):
    docs = _gold_docs()
    idx = Index.create(tmp_path / "ix")
    st = idx.add(docs[:10])
    assert (st.added, st.skipped, st.rejected) == (10, 0, 0)
    st = idx.add(docs[5:] + [("empty", "   "), ("x", None, "no 'text' field")])
    assert (st.added, st.skipped, st.rejected) == (5, 5, 2)
    assert st.reasons == {"empty text": 1, "no 'text' field": 1}
    assert len(Index.open(tmp_path / "ix")) == 15
    assert Index.open(tmp_path / "ix").check() == []
    with pytest.raises(UnspinError, match="E054"):
        Index.create(tmp_path / "ix")


def test_gold_texts_trace_to_themselves(tmp_path):
    docs = _gold_docs()
    Index.create(tmp_path / "ix").add(docs[:12])
    idx = Index.open(tmp_path / "ix")
    for name, text in docs[:12]:
        assert trace(text, idx).matches[0].id == name
    for _, text in docs[12:]:  # indexed docs share the gold texts' style, not their content
        assert trace(text, idx).matches == []


def test_shards_are_queried_together(tmp_path):
    docs = _gold_docs()
    Index.create(tmp_path / "a").add(docs[:7])
    Index.create(tmp_path / "b").add(docs[7:])
    both = Index.open([tmp_path / "a", tmp_path / "b"])
    assert isinstance(both, Shards) and len(both) == len(docs)
    page = docs[2][1] + "\n\n" + docs[11][1]
    got = {m.id for m in trace(page, both).matches}
    assert got == {docs[2][0], docs[11][0]}


def test_index_opens_fast_and_bad_directories_get_coded_errors(tmp_path):
    Index.create(tmp_path / "ix").add(_gold_docs())
    t = time.process_time()  # CPU time: the machines are shared
    Index.open(tmp_path / "ix")
    assert time.process_time() - t < 0.5
    with pytest.raises(UnspinError, match="E050"):
        Index.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnspinError, match="E050"):
        Index.open(tmp_path / "empty")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    sqlite3.connect(foreign / DB_NAME).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(UnspinError, match="E051"):
        Index.open(foreign)
    old = tmp_path / "old"
    Index.create(old).add(_gold_docs()[:2])
    with sqlite3.connect(old / DB_NAME) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'format_version'")
    with pytest.raises(UnspinError, match=f"E052.*version 0.*version {FORMAT_VERSION}"):
        Index.open(old)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / DB_NAME).write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(UnspinError, match="E053"):
        Index.open(broken)


def test_a_corrupted_page_is_reported_not_answered(tmp_path):
    docs = wiki_docs(300)
    ix = tmp_path / "ix"
    Index.create(ix).add([(d["id"], d["text"]) for d in docs])
    db = ix / DB_NAME
    raw = bytearray(db.read_bytes())
    # Overwrite pages in the second half of the file (document and bucket pages), keep the header.
    for off in range(len(raw) // 2, len(raw) - 4096, 8192):
        raw[off : off + 4096] = os.urandom(4096)
    db.write_bytes(bytes(raw))
    try:
        idx = Index.open(ix)
    except UnspinError as exc:
        assert "E053" in str(exc)
        return
    try:
        assert idx.check() != []
    except UnspinError as exc:
        assert "E053" in str(exc)
    outcomes = set()
    for d in docs[::10]:
        try:
            res = trace(d["text"], idx)
            outcomes.add("found" if res.matches and res.matches[0].id == d["id"] else "other")
        except UnspinError as exc:
            assert "E053" in str(exc)
            outcomes.add("E053")
    assert "E053" in outcomes and "other" not in outcomes, outcomes


def _count(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM doc").fetchone()[0]
    except sqlite3.Error:
        return 0


_ADD_IN_BATCHES_OF_500 = """
import sys
from unspin.trace.store import Index, read_corpus
Index.for_writing(sys.argv[2]).add(read_corpus(sys.argv[1]), batch=500)
"""


def test_sigkill_during_index_add_leaves_a_consistent_index_and_a_rerun_completes(tmp_path):
    docs = wiki_docs(2100)
    corpus = write_jsonl(tmp_path / "corpus.jsonl", docs)
    ix = tmp_path / "ix"
    assert run_cli("index", "build", str(write_jsonl(tmp_path / "seed.jsonl", docs[:20])), str(ix)).returncode == 0
    db = ix / DB_NAME
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    kills = 0
    cut_short = False  # a kill left the index part-way (not only after the last commit)
    for _ in range(2):  # kill it twice, each time after one more batch was committed
        before = _count(db)
        # `unspin index add` through the library, with transactions of 500 documents instead of the CLI's 5,000
        # so that 2,100 documents make several (the final rerun below is the CLI's own).
        proc = subprocess.Popen([sys.executable, "-c", _ADD_IN_BATCHES_OF_500, str(corpus), str(ix)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while proc.poll() is None and _count(db) < before + 500 and time.time() < deadline:
            time.sleep(0.05)
        killed = proc.poll() is None
        if killed:
            time.sleep(0.3)  # inside the next batch's transaction
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        idx = Index.open(ix)
        assert idx.check() == []
        n = len(idx)
        assert n >= before
        # Batches of 500 corpus rows are atomic: a killed run leaves whole batches, never part of one.
        assert n % 500 == 0 or n in (20, len(docs))
        cut_short |= killed and n < len(docs)
        # Every indexed document is findable: its text and its buckets were committed together.
        for d in docs[n - 25 : n - 20] if n > 45 else docs[:5]:
            assert trace(d["text"], idx).matches[0].id == d["id"]
        idx.close()
    assert kills >= 1 and cut_short
    p = run_cli("index", "add", str(corpus), str(ix))
    assert p.returncode == 0, p.stderr
    assert "skipped" in p.stderr.decode()
    idx = Index.open(ix)
    assert len(idx) == len(docs) and idx.check() == []
    assert trace(docs[-1]["text"], idx).matches[0].id == docs[-1]["id"]
    rows = sqlite3.connect(db).execute("SELECT COUNT(DISTINCT v / 4096) FROM band").fetchone()[0]
    assert rows == len(docs)


def test_cli_build_rejects_bad_rows_and_reports(tmp_path):
    corpus = tmp_path / "c.jsonl"
    docs = _gold_docs()
    lines = [json.dumps({"doc": n, "body": t}) for n, t in docs[:4]] + ["{not json", json.dumps({"doc": 9})]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = run_cli("index", "build", str(corpus), str(tmp_path / "ix"), "--id-field", "doc", "--text-field", "body")
    assert p.returncode == 0, p.stderr
    err = p.stderr.decode()
    assert "added 4" in err and "rejected 2" in err and "not JSON: 1" in err
    p = run_cli("index", "build", str(corpus), str(tmp_path / "ix"))
    assert p.returncode == 2 and b"E054" in p.stderr
    p = run_cli("index", "add", str(corpus), str(tmp_path / "nothere"))
    assert p.returncode == 2 and b"E050" in p.stderr


def test_batched_candidates_equal_datasketch_lsh_query(tmp_path):
    from unspin.trace.signature import chunks, features, word_arrays, words

    docs = wiki_docs(200)
    Index.create(tmp_path / "ix").add([(d["id"], d["text"]) for d in docs])
    idx = Index.open(tmp_path / "ix")
    for d in docs[::20]:
        w = words(d["text"])
        arrays = word_arrays(w)
        sketches = [idx.sketcher.sketch(features(w, a, b, arrays)) for a, b in chunks(d["text"], w)]
        got = idx.candidates(sketches)
        assert [set(g) for g in got] == [set(idx.query(s)) for s in sketches]
        assert all(n >= 1 for g in got for n in g.values())
        assert max(n for g in got for n in g.values()) == idx.bands  # the document's own chunks: every band
