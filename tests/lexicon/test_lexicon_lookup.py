import sqlite3
import time

import pytest

from unspin.errors import UnspinError
from unspin.lexicon import Candidate, Lexicon, Source


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.default()


def originals(lex: Lexicon, spun: str, exclude: Source = Source.LEARNED) -> list[str]:
    return [c.original for c in lex.candidates(spun, exclude)]


@pytest.mark.parametrize(
    ("spun", "original"),
    [
        ("capturing", "shooting"),
        ("home", "house"),
        ("courtroom", "court"),
        ("make use of", "use"),
        ("so as to", "in order to"),
        ("inventory", "stock"),
        ("making use of", "using"),
        ("taking pictures", "shooting"),
        ("utilized", "used"),
        ("arrived", "came"),
        ("marketplace", "market"),
        ("nonetheless", "however"),
    ],
)
def test_original_among_top_candidates(lex: Lexicon, spun: str, original: str) -> None:
    assert original in originals(lex, spun)[:60]


def test_candidates_are_typed_and_sorted(lex: Lexicon) -> None:
    cands = lex.candidates("capturing")
    assert cands and all(isinstance(c, Candidate) for c in cands)
    assert cands[0].original == "shooting" or "shooting" in [c.original for c in cands[:10]]
    top = cands[0]
    assert isinstance(top.sources, Source) and 0.0 <= top.rank <= 1.0 and -1.0 <= top.similarity <= 1.0
    assert len({c.original for c in cands}) == len(cands)
    assert "capturing" not in {c.original for c in cands}


def test_exclude_drops_only_pairs_from_excluded_sources(lex: Lexicon) -> None:
    full = {c.original: c.sources for c in lex.candidates("inventory")}
    excluded = Source.MOBY | Source.EMBED
    kept = {c.original: c.sources for c in lex.candidates("inventory", exclude=excluded)}
    for orig, src in full.items():
        if src & ~excluded:
            assert orig in kept and not kept[orig] & excluded
        else:
            assert orig not in kept


def test_builtin_only_pair_disappears_when_builtin_excluded(lex: Lexicon) -> None:
    assert "in order to" in originals(lex, "so as to")
    c = next(c for c in lex.candidates("so as to") if c.original == "in order to")
    if c.sources == Source.BUILTIN:
        assert "in order to" not in originals(lex, "so as to", exclude=Source.BUILTIN)


def test_is_key(lex: Lexicon) -> None:
    assert lex.is_key("capturing") and lex.is_key("make use of") and lex.is_key("making use of")
    assert not lex.is_key("qzxv blorp")
    assert lex.max_words >= 4


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(UnspinError, match="E007"):
        Lexicon(tmp_path / "nope.sqlite")


def test_garbage_file_raises(tmp_path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database at all\n" * 100)
    with pytest.raises(UnspinError, match="E007"):
        Lexicon(bad)


def test_old_format_raises(tmp_path) -> None:
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('format_version', '0')")
    db.commit()
    db.close()
    with pytest.raises(UnspinError, match="format version"):
        Lexicon(old)


def test_load_is_fast() -> None:
    t = time.process_time()  # CPU time: the machines are shared
    lex = Lexicon.default()
    assert lex.meta["format_version"]
    assert time.process_time() - t < 1.0


# Frequent words, their inflections, function words, a word without candidates and one lemminflect strips to "".
STORED_SAMPLE = ("house", "houses", "running", "ran", "utilized", "marketplace", "nonetheless", "the", "of",
                 "capturing", "arrived", "happiest", "quickly", "zebra", "rina")


@pytest.mark.parametrize("limit", [12, 40])
def test_stored_answers_are_the_computed_ones(lex: Lexicon, limit: int) -> None:
    # The shipped lexicon stores the decoder's lists of frequent words; each must be what ranking gives.
    assert limit in lex._limits_stored()
    for word in STORED_SAMPLE:
        stored = lex._stored(word, limit)
        assert stored is not None, word
        assert repr(stored) == repr(lex._compute_ranked(word, Source(0), limit, limit)), word
        assert lex.ranked(word, Source(0), limit, top=limit) == stored
    assert lex._stored("qzxvblorp", limit) is None


@pytest.mark.parametrize("limit", [12, 40])
def test_stored_answers_match_across_the_word_list(limit: int) -> None:
    # Every 500th stored word: a change to ranking, inflection or frequencies must come with re-stored lists.
    lex = Lexicon.default()
    keys = [k for (k,) in lex._db.execute("SELECT key FROM ranked WHERE lim = ? ORDER BY key", (limit,))][::500]
    assert len(keys) > 150
    for word in keys:
        assert repr(lex._stored(word, limit)) == repr(lex._compute_ranked(word, Source(0), limit, limit)), word


def test_stored_answers_need_the_same_packages(tmp_path) -> None:
    import shutil

    copy = tmp_path / "lexicon.sqlite"
    shutil.copyfile(Lexicon.default().path, copy)
    db = sqlite3.connect(copy)
    with db:
        db.execute("UPDATE meta SET value = 'format 1; lemminflect 0; wordfreq 0' WHERE key = 'ranked_stamp'")
    db.close()
    other = Lexicon(copy)
    assert other._limits_stored() == frozenset()
    assert other.ranked("house", Source(0), 12, top=12) == Lexicon.default().ranked("house", Source(0), 12, top=12)


def test_store_ranked_writes_what_ranked_computes(tmp_path) -> None:
    import shutil

    copy = tmp_path / "lexicon.sqlite"
    shutil.copyfile(Lexicon.default().path, copy)
    built = Lexicon(copy)
    assert built.store_ranked(copy, ["houses", "make use of", "zebra"], [7]) == 2  # phrases are not stored
    reread = Lexicon(copy)
    assert reread._limits_stored() == frozenset({7})
    assert reread._stored("make use of", 7) is None
    for word in ("houses", "zebra"):
        assert repr(reread._stored(word, 7)) == repr(reread._compute_ranked(word, Source(0), 7, 7))


@pytest.mark.parametrize("spun", ["making use of", "took part in", "points of view", "glorbing of the", "rina of",
                                  "bread and butters", "in order to", "the of"])
def test_phrase_key_is_a_stored_reading(spun: str) -> None:
    # is_key answers for a phrase without reading every part of speech: the same as testing each reading.
    lex = Lexicon.default()
    readings = any(" " in key and key in lex._phrases_index() for key, _, _ in lex._analyse(spun))
    assert lex.is_key(spun) == readings
