import json

import pytest
from conftest import SHARED, run_cli

from unspin.adapt import Adapter, AdaptParams, read_corpus
from unspin.errors import UnspinError
from unspin.learn import ChannelTable, read_channel_dir

pytestmark = pytest.mark.skipif(not (SHARED / "corpora" / "wikipedia-en").exists(), reason="shared corpora absent")


@pytest.fixture(scope="module")
def wiki():
    from unspin.bench import runner

    if not runner.WIKI.exists():
        pytest.skip("held-out Wikipedia shard absent")
    _, wiki = runner.load_docs()
    return wiki


@pytest.fixture(scope="module")
def loso_engine():
    """The shipped models with the WordNet source left out, as a user whose lexicon lacks the spinner's."""
    from unspin import Engine
    from unspin.bench.spinners import PROFILE_SOURCE

    return Engine(exclude_sources=PROFILE_SOURCE["wordnet"])


def _spin(docs, profile="wordnet", seed=3):
    from unspin.bench.spinners import make_spinner

    sp = make_spinner(profile, 0.35, seed=seed)
    return [sp.spin(d.text) for d in docs]


def _score(engine, spun):
    from unspin.bench import metrics as M

    total = M.RestoreScore()
    for d in spun:
        res = engine.restore(d.spun)
        total += M.score_restore(d.original, d.spun, res.text, d.subs, len(res.changes), None)
    return total.summary()


@pytest.fixture(scope="module")
def adapted(wiki, loso_engine):
    train = _spin(wiki[:40])
    return train, Adapter(loso_engine).adapt([d.spun for d in train])


def test_adapted_table_restores_other_documents_better_than_zero_shot(wiki, loso_engine, adapted, tmp_path):
    from unspin import Engine

    _, rep = adapted
    path = tmp_path / "t.tsv"
    rep.table.save(path)
    table = ChannelTable.load(path)  # the file `--channel` reads
    assert len(table) == len(rep.table) > 0
    assert all(0.0 < e.prob <= 1.0 for v in table.entries.values() for e in v)
    test = _spin(wiki[60:68])
    zero = _score(loso_engine, test)
    eng = Engine(lexicon=loso_engine.lexicon, lm=loso_engine.lm, channels=[table],
                 exclude_sources=loso_engine.decoder.exclude)
    got = _score(eng, test)
    assert got["net_error_reduction"] > zero["net_error_reduction"] + 0.05
    assert got["damage"] <= max(zero["damage"], 0.005)


def test_probabilities_are_honest(adapted):
    """Confident entries are mostly right: the share of their form's occurrences that came from the original."""
    from collections import Counter

    from unspin.bench.adapt import gold_of
    from unspin.text import tokenize

    train, rep = adapted
    toks = [tokenize(d.spun) for d in train]
    by_key = {t.key: t for t in rep.types}
    sure, actual = [], []
    for key, entries in rep.table.entries.items():
        t = by_key.get(key)
        if t is None or entries[0].prob < 0.8:
            continue
        golds = Counter(gold_of(train[n], toks[n], i, j) for n, i, j in t.occurrences)
        sure.append(entries[0].prob)
        actual.append(golds[entries[0].original] / sum(golds.values()))
    assert len(sure) >= 20
    assert sum(actual) / len(actual) >= sum(sure) / len(sure) - 0.2


def test_tiny_and_clean_corpora_do_no_more_damage_than_zero_shot(wiki, loso_engine):
    from unspin import Engine
    from unspin.bench import metrics as M

    tiny = Adapter(loso_engine).adapt([d.spun for d in _spin(wiki[40:50])]).table
    clean_rep = Adapter(loso_engine).adapt([d.text for d in wiki[:30]])
    # A corpus that does not look like a spinner's output gets no table at all, and says why.
    assert clean_rep.spun_share < 0.3 and not clean_rep.table.entries
    assert clean_rep.summary().startswith("no table")
    clean = clean_rep.table
    for table in (tiny, clean):
        eng = Engine(lexicon=loso_engine.lexicon, lm=loso_engine.lm, channels=[table],
                     exclude_sources=loso_engine.decoder.exclude)
        changed = {0: 0, 1: 0}
        words = 0
        for d in wiki[70:76]:
            for k, e in enumerate((loso_engine, eng)):
                c, w = M.clean_changes(d.text, e.restore(d.text).text)
                changed[k] += c
            words += w
        assert changed[1] <= changed[0] + max(2, 0.001 * words)
    test = _spin(wiki[60:66])
    eng = Engine(lexicon=loso_engine.lexicon, lm=loso_engine.lm, channels=[tiny],
                 exclude_sources=loso_engine.decoder.exclude)
    assert _score(eng, test)["damage"] <= _score(loso_engine, test)["damage"] + 0.002


def test_cli_writes_a_table_and_a_group_directory(wiki, tmp_path):
    a = _spin(wiki[50:56])
    b = _spin(wiki[56:60], profile="mythes")
    corpus = tmp_path / "c.jsonl"
    with corpus.open("w", encoding="utf-8") as f:
        for d in a:
            f.write(json.dumps({"host": "a.example", "body": d.spun}) + "\n")
        for d in b:
            f.write(json.dumps({"host": "b/ex ample", "body": d.spun}) + "\n")
        f.write(json.dumps({"body": "A row without a host."}) + "\n")
    out = tmp_path / "t.tsv"
    r = run_cli("adapt", str(corpus), str(out), "--text-field", "body")
    assert r.returncode == 0, r.stderr
    assert len(ChannelTable.load(out)) > 0
    spun = tmp_path / "s.txt"
    spun.write_text(a[0].spun, encoding="utf-8")
    r = run_cli("restore", str(spun), "--channel", str(out), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["changes"]
    d = tmp_path / "dir"
    r = run_cli("adapt", str(corpus), str(d), "--text-field", "body", "--group-by", "host")
    assert r.returncode == 0, r.stderr
    index = read_channel_dir(d)
    assert set(index) == {"a.example", "b/ex ample"}
    assert all(len(ChannelTable.load(p)) > 0 for p in index.values())
    assert b"1 rows without" in r.stderr


def test_bad_corpora_fail_with_a_coded_reason(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\nnot json\n', encoding="utf-8")
    r = run_cli("adapt", str(bad), str(tmp_path / "o.tsv"))
    assert r.returncode == 2 and b"E060" in r.stderr and b"line 2" in r.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"title": "no text"}\n', encoding="utf-8")
    r = run_cli("adapt", str(empty), str(tmp_path / "o.tsv"))
    assert r.returncode == 2 and b"E060" in r.stderr
    r = run_cli("adapt", str(tmp_path / "missing.jsonl"), str(tmp_path / "o.tsv"))
    assert r.returncode == 2 and b"E004" in r.stderr
    with pytest.raises(UnspinError):
        list(read_corpus(bad))


def test_params_round_trip(tmp_path):
    p = AdaptParams.load()
    p.save(tmp_path / "a.json")
    assert AdaptParams.load(tmp_path / "a.json") == p


def test_a_phrase_can_stand_for_one_of_its_own_words(loso_engine):
    """Thesauri list "state of war" for "war": adapt offers the phrase's content words, and counts them outside it."""
    ad = Adapter(loso_engine)
    ad.evidence(["The state of war went on. The state of war ended in a state of war. Peace came."])
    originals = [o.original for o in ad._options("state of war")]
    assert "war" in originals and "state" in originals and "of" not in originals
    # "war" occurs three times, all inside the phrase: outside it, it is missing.
    assert ad._count("war") == 3
    assert ad._anomaly("war", inside="state of war") < ad._anomaly("war")
    assert -6.0 <= ad._balance("state of war", "war") <= 0.0


def test_a_repeated_phrase_no_lexicon_lists_becomes_a_type(loso_engine):
    """A farm writes "really quite" for "very": the corpus repeats it far beyond what the LM expects after "really"."""
    from collections import defaultdict

    from unspin.adapt import _Doc

    words = ["good", "bad", "long", "hard", "late", "cold", "busy", "quiet", "early", "close", "slow", "high"]
    verbs = ["was", "looked", "felt", "seemed", "became", "got"]
    docs = [_Doc(f"On day {k} the game {verbs[k % 6]} really quite {w}.") for k, w in enumerate(words * 2)]
    ad = Adapter(loso_engine)
    occ: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for n, d in enumerate(docs):
        ad._unigrams.update(f for f, t in zip(d.forms, d.tokens, strict=True) if t.is_word)
        for key, where in ad.decoder.spans(d.text, d.tokens, d.forms).items():
            occ[key].extend((n, i, j) for i, j in where)
    ad._n_words = sum(ad._unigrams.values())
    found = ad._new_phrases(docs, occ)
    assert len(found["really quite"]) == 24
    assert not any(k.startswith(("was ", "looked ")) for k in found)  # each verb only 4 times: not repeated enough


def test_a_missing_word_of_another_inflection_is_proposed(loso_engine):
    """A spinner that ignores inflection writes "lingual" for "said": the missing "said" is still a candidate."""
    names = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker"]
    # Long enough (about 4,000 words) for clean English to expect "said" at least three times.
    docs = [f"\"We will win the vote next week,\" Mr {n} lingual. \"The plan will work,\" he lingual. "
            "Officials and ministers met in the city on Monday to discuss the budget and the new rules for "
            f"schools, and the talks went on until day {k}." for k in range(10) for n in names]
    ad = Adapter(loso_engine)
    ad.evidence(docs)
    assert "said" in [o.original for o in ad._extra.get("lingual", [])]  # proposed by the corpus, not a thesaurus


def test_a_small_confident_claim_does_not_explain_away_a_large_form(loso_engine):
    """"lingual" stands for "said" 600 times: a phrase seen 9 times that claims "said" leaves it missing for it."""
    from collections import Counter

    import numpy as np

    from unspin.adapt import OPTION_FEATURES, TypeEvidence

    miss = OPTION_FEATURES.index("missing")
    ad = Adapter(loso_engine)
    ad._unigrams = Counter({"lingual": 600, "remarked": 200, "the": 6000})
    ad._n_words = 100_000

    def typ(key, n, p):
        rows = np.zeros((1, len(OPTION_FEATURES)))
        rows[0, miss] = ad._anomaly("said")
        return TypeEvidence(key, [(0, k, k + 1) for k in range(n)], ["said"], rows, posterior=np.array([1 - p, 0, p]))

    big, small = typ("lingual", 600, 0.3), typ("shed light on", 9, 0.6)
    ad._explain_away([big, small])
    assert ad._anomaly("said") < -3.0
    assert big.option_rows[0, miss] == ad._anomaly("said")  # 0.6 x 9 claimed elsewhere: less than its own 0.3 x 600
    small, strong = typ("shed light on", 9, 0.6), typ("remarked", 200, 0.9)
    ad._explain_away([small, strong])
    assert small.option_rows[0, miss] > ad._anomaly("said") + 2.0  # "remarked" accounts for the missing "said"
    assert strong.option_rows[0, miss] == ad._anomaly("said")


def test_an_over_represented_form_spread_over_every_document_is_less_likely_kept(loso_engine):
    """A spinner's "commented" is in every story; a topical word as frequent clusters in a few documents."""
    import numpy as np

    from unspin.adapt import KEEP_FEATURES, TypeEvidence

    ad = Adapter(loso_engine)
    ad._n_docs = 200
    spread = TypeEvidence("commented", [(n, 5, 6) for n in range(200)] * 3)
    bursty = TypeEvidence("goalkeeper", [(n % 10, 5 + n, 6 + n) for n in range(600)])
    assert ad._spread(spread) > 0.9 and ad._spread(bursty) < 0.1
    w = np.asarray(ad.params.keep_w)
    assert len(w) == len(KEEP_FEATURES)

    def keep_logit(s: float) -> float:
        return float(w @ np.array([6.0, 3.9 / 8.0, np.log1p(600), 0.0, s, 6.0 * s]))

    assert keep_logit(ad._spread(spread)) < keep_logit(ad._spread(bursty)) - 2.0
