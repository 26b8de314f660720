"""Names a spinner rewrote word by word ("White House" -> "White Home") are read back with the shipped names file."""

import pytest

from unspin.names import Names, name_run
from unspin.restore import NAME_CONFIDENCE, NAME_MIN_COUNT
from unspin.text import tokenize


@pytest.fixture(scope="module")
def names():
    return Names.default()


def test_names_file_counts_names_the_corpus_writes(names):
    assert names.count("White House") >= NAME_MIN_COUNT
    assert names.count("middle east") >= NAME_MIN_COUNT
    assert names.count("White Home") == 0
    assert names.count("Center East") == 0


def _run(text, word):
    toks = tokenize(text)
    i = next(k for k, t in enumerate(toks) if t.text == word)
    run = name_run(text, toks, i, i + 1)
    return None if run is None else " ".join(t.text for t in toks[run[0]:run[1]])


def test_name_run_leaves_out_what_only_opens_a_sentence():
    assert _run("The White Home said so.", "Home") == "White Home"
    assert _run("Tensions in the Center East grew.", "Center") == "Center East"
    assert _run('He said. "Although I agree," she wrote.', "Although") is None  # opens the sentence
    assert _run("Both World War I and World War II ended.", "War") == "World War I"  # "and" splits two names
    assert _run("The NATO Council met.", "NATO") is None  # an acronym


def test_spun_names_are_restored_and_detected(engine):
    text = ("The White Home said on Tuesday that talks would go on. Tensions in the Center East grew as oil prices "
            "rose and the markets fell.")
    res = engine.restore(text)
    assert "The White House said" in res.text
    assert "in the Middle East grew" in res.text
    named = [c for c in res.changes if c.confidence == NAME_CONFIDENCE]
    assert any(c.spun.endswith("Home") and c.original.endswith("House") for c in named)
    for c in res.changes:
        assert text[c.start:c.end] == c.spun
    spans = engine.detect(text).spans
    assert any(s.start <= text.index("Home") < s.end for s in spans)


def test_known_and_unknown_names_in_clean_text_stay(engine):
    text = ("The White House said on Tuesday that the Middle East talks would resume. Holcombe Hockey Club and the "
            "Atlantic Sea Turtle Trust thanked the Prime Minister. Home prices rose.")
    engine.min_score, before = 0.0, engine.min_score  # decode every suspect, whatever the document score
    try:
        res = engine.restore(text)
    finally:
        engine.min_score = before
    assert not [c for c in res.changes if c.confidence == NAME_CONFIDENCE]
