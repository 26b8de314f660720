import threading

import pytest
from tracedata import wiki_docs, wiki_index  # noqa: F401

import unspin
from unspin.bench.spinners import make_spinner
from unspin.errors import UnspinError
from unspin.trace import Index, TraceResult, explain, harvest, trace


def test_spun_copies_find_their_source_for_every_profile(wiki_index):  # noqa: F811
    path, docs = wiki_index
    idx = Index.open(path)
    for n, profile in enumerate(("wordnet", "mythes", "moby", "distributional", "contentfarm")):
        spinner = make_spinner(profile, 0.35, seed=n)
        for doc in docs[n * 7 : n * 7 + 6]:
            spun = spinner.spin(doc["text"]).spun
            assert spun != doc["text"]
            res = trace(spun, idx)
            assert res.matches and res.matches[0].id == doc["id"], (profile, doc["id"], res)
            top = res.matches[0]
            assert 0.6 <= top.score <= 1.0 and 0.5 <= top.aligned <= 1.0
            assert top.substitutions > 0 and top.paragraphs


def test_to_dict_is_exactly_the_contract(wiki_index):  # noqa: F811
    path, docs = wiki_index
    res = unspin.trace(docs[3]["text"], Index.open(path), top=3)
    assert isinstance(res, TraceResult)
    out = res.to_dict()
    assert list(out) == ["matches"]
    assert out["matches"] and all(set(m) == {"id", "score", "aligned"} for m in out["matches"])
    assert out["matches"][0]["id"] == docs[3]["id"] and out["matches"][0]["score"] > 0.95
    assert isinstance(out["matches"][0]["score"], float) and isinstance(out["matches"][0]["aligned"], float)


def test_unrelated_documents_return_no_match(wiki_index):  # noqa: F811
    path, _ = wiki_index
    idx = Index.open(path)
    outside = wiki_docs(25, skip=3000)  # later articles of the shard: not in the index
    false = [d["id"] for d in outside if trace(d["text"], idx).matches]
    assert false == []
    res = trace(outside[0]["text"], idx)
    assert res.matches == [] and res.reason


def test_a_stitched_page_lists_every_source(wiki_index):  # noqa: F811
    path, docs = wiki_index
    idx = Index.open(path)
    spinner = make_spinner("wordnet", 0.35, seed=9)
    for start in (100, 200, 300):
        sources = docs[start : start + 3]
        page = "\n\n".join(spinner.spin(d["text"].split("\n\n")[0] + "\n\n" + d["text"].split("\n\n")[1]).spun
                           for d in sources)
        got = [m.id for m in trace(page, idx, top=5).matches]
        assert {d["id"] for d in sources} <= set(got), (got, [d["id"] for d in sources])


def test_the_module_is_callable_again_and_again(wiki_index):  # noqa: F811
    path, docs = wiki_index
    first = unspin.trace(docs[5]["text"], path).to_dict()
    assert unspin.trace(docs[5]["text"], str(path)).to_dict() == first
    assert unspin.trace.Index is Index and "trace" in unspin.__all__ and "TraceResult" in unspin.__all__


def test_queries_from_several_threads_agree(wiki_index):  # noqa: F811
    path, docs = wiki_index
    idx = Index.open(path)
    spinner = make_spinner("moby", 0.35, seed=4)
    texts = [spinner.spin(d["text"]).spun for d in docs[40:56]]
    expected = [trace(t, idx).to_dict() for t in texts]
    got: dict[int, dict] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(k % 4, len(texts), 4):
                got[i] = trace(texts[i], idx).to_dict()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [got[i] for i in range(len(texts))] == expected


def test_explain_and_harvest_show_the_substitutions(wiki_index):  # noqa: F811
    path, docs = wiki_index
    doc = docs[77]
    sd = make_spinner("contentfarm", 0.5, seed=2).spin(doc["text"])
    res = trace(sd.spun, Index.open(path))
    shown = explain(sd.spun, res)
    assert doc["id"] in shown and "→" in shown or "⇢" in shown
    rows = list(harvest(sd.spun, res))
    assert rows and all(set(r) == {"spun", "original", "source"} for r in rows)
    for r in rows:
        assert r["spun"] in sd.spun and r["original"] in doc["text"]
    # The harvested passages line up: the spinner's substitutions are inside them, swapped back.
    sub = next(s for s in sd.subs if any(s.spun_start >= sd.spun.index(r["spun"]) for r in rows))
    assert any(sub.spun in r["spun"] for r in rows)


@pytest.mark.parametrize("text, code", [
    ("", "E001"),
    ("   \n ", "E001"),
    ("Too short to trace.", "E055"),
    ("Der Rat der Stadt hat am Dienstag beschlossen, zwei öffentliche Bibliotheken zum Jahresende zu "
     "schließen, weil die Gebäude Reparaturen brauchen, die er nicht bezahlen kann.", "E056"),
    ("市议会周二投票决定在年底关闭两家公共图书馆，称这些建筑需要维修，但它负担不起。", "E056"),
])
def test_bad_queries_get_coded_errors(wiki_index, text, code):  # noqa: F811
    path, _ = wiki_index
    with pytest.raises(UnspinError, match=code):
        trace(text, Index.open(path))
