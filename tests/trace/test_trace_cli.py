import json

from conftest import run_cli
from tracedata import wiki_docs, wiki_index, write_jsonl  # noqa: F401

from unspin.bench.spinners import make_spinner
from unspin.learn import ChannelTable


def test_trace_json_follows_the_contract_and_the_table_matches(wiki_index, tmp_path):  # noqa: F811
    path, docs = wiki_index
    spun = make_spinner("mythes", 0.35, seed=1).spin(docs[10]["text"]).spun
    f = tmp_path / "q.txt"
    f.write_text(spun, encoding="utf-8")
    p = run_cli("trace", str(f), "--index", str(path), "--format", "json", "--top", "3")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert list(out) == ["matches"] and 1 <= len(out["matches"]) <= 3
    assert all(list(m) == ["id", "score", "aligned"] for m in out["matches"])
    assert out["matches"][0]["id"] == docs[10]["id"]
    table = run_cli("trace", "-", "--index", str(path), stdin=spun.encode()).stdout.decode().splitlines()
    assert table[0].split("\t") == ["id", "score", "aligned"]
    assert table[1].split("\t")[0] == docs[10]["id"]
    assert float(table[1].split("\t")[1]) == round(out["matches"][0]["score"], 3)


def test_no_match_prints_an_empty_list_and_a_reason(wiki_index):  # noqa: F811
    path, _ = wiki_index
    text = wiki_docs(1, skip=4000)[0]["text"]
    p = run_cli("trace", "-", "--index", str(path), "--format", "json", stdin=text.encode())
    assert p.returncode == 0 and json.loads(p.stdout) == {"matches": []}
    p = run_cli("trace", "-", "--index", str(path), stdin=text.encode())
    assert p.stdout.decode().startswith("no match")


def test_several_indexes_explain_and_bad_input(wiki_index, tmp_path):  # noqa: F811
    path, docs = wiki_index
    extra = wiki_docs(3, skip=5000)
    p = run_cli("index", "build", str(write_jsonl(tmp_path / "e.jsonl", extra)), str(tmp_path / "ix2"))
    assert p.returncode == 0, p.stderr
    spinner = make_spinner("wordnet", 0.35, seed=3)
    page = spinner.spin(docs[20]["text"]).spun + "\n\n" + spinner.spin(extra[1]["text"]).spun
    p = run_cli("trace", "-", "--index", str(path), "--index", str(tmp_path / "ix2"), "--format", "json",
                stdin=page.encode())
    assert {m["id"] for m in json.loads(p.stdout)["matches"]} == {docs[20]["id"], extra[1]["id"]}
    p = run_cli("trace", "-", "--index", str(path), "--explain", stdin=page.encode())
    shown = p.stdout.decode()
    assert p.returncode == 0 and docs[20]["id"] in shown and "-- source:" in shown and "→" in shown
    p = run_cli("trace", "-", "--index", str(path), stdin=b"hello there")
    assert p.returncode == 2 and p.stderr.decode().startswith("unspin: E055")
    assert run_cli("trace", "-", "--index", str(path), "--top", "0", stdin=page.encode()).returncode == 2


def test_harvested_pairs_teach_learn_the_spinner(wiki_index, tmp_path):  # noqa: F811
    path, docs = wiki_index
    spinner = make_spinner("contentfarm", 0.5, seed=11)
    pairs = tmp_path / "pairs.jsonl"
    truth = set()
    pages = []
    for d in docs[300:308]:
        sd = spinner.spin(d["text"])
        truth |= {(s.spun.lower(), s.original.lower()) for s in sd.subs}
        pages.append(sd.spun)
    f = tmp_path / "q.txt"
    f.write_text("\n\n".join(pages), encoding="utf-8")  # one page made of eight spun sources
    p = run_cli("trace", str(f), "--index", str(path), "--harvest", str(pairs))
    assert p.returncode == 0 and len(p.stdout.decode().splitlines()) == 9, p.stdout
    rows = [json.loads(line) for line in pairs.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 16 and sum(r["spun"] != r["original"] for r in rows) >= 12
    p = run_cli("learn", str(pairs), str(tmp_path / "farm.tsv"))
    assert p.returncode == 0, p.stderr
    table = ChannelTable.load(tmp_path / "farm.tsv")
    learned = {(e.spun, e.original) for es in table.entries.values() for e in es}
    # learn also composes neighbouring rewrites into phrases, so only a floor on the exact ones is meaningful.
    assert len(learned & truth) >= 20
