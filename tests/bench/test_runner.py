import pytest

from unspin.bench import runner
from unspin.bench.spinners import make_spinner
from unspin.learn import learn_pairs

ORIG = "The White House said it will use the new rules to cut costs. The White House will use them soon."


def test_identity_scores_zero():
    doc = make_spinner("contentfarm", 1.0).spin(ORIG)
    out = runner._score([doc], runner.identity, None)
    assert out["net_error_reduction"] == 0.0 and out["damage"] == 0.0
    assert out["err_not_in_candidates"] is None


def test_table_lookup_restores_learned_rewrites():
    doc = make_spinner("contentfarm", 1.0).spin(ORIG)
    table = learn_pairs([(doc.spun, doc.original)])
    restored, n = runner.TableLookup(table)(doc.spun)
    assert n > 0
    assert "White House" in restored
    out = runner._score([doc], runner.TableLookup(table), None)
    assert out["net_error_reduction"] > 0.5


def test_markdown_without_corpora(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "BBC", tmp_path / "absent.jsonl")
    res = runner.run("quick", tmp_path / "out")
    assert "skipped" in res
    assert "absent" in (tmp_path / "out" / "results.md").read_text()


@pytest.mark.skipif(not runner.BBC.exists() or not runner.WIKI.exists(), reason="../shared corpora absent")
def test_clean_set_holds_unused_wikipedia_and_news():
    bbc, wiki = runner.load_docs()
    for suite in ("quick", "full"):
        sets = runner.split_docs(bbc, wiki, runner.SUITES[suite])
        clean_wiki = {d.id for d in sets["clean"] if d.id.startswith("enwiki")}
        assert len(clean_wiki) == runner.SUITES[suite]["clean_docs"] // 2
        assert not clean_wiki & {d.id for d in sets["eval"] + sets["detect"]}
