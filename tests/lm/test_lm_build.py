import json
import random

import pytest

from unspin.errors import UnspinError
from unspin.lm import NgramLM, build_lm
from unspin.lm.build import find_tool, training_lines


def _have_tools() -> bool:
    try:
        find_tool("lmplz")
        find_tool("build_binary")
    except UnspinError:
        return False
    return True


needs_tools = pytest.mark.skipif(
    not _have_tools(),
    reason="KenLM's lmplz/build_binary not installed (scripts/build_kenlm_tools.sh .venv/bin)",
)

SENTENCES = [
    "The cat sat on the mat.",
    "The dog sat on the rug.",
    "A cat and a dog sat on the mat together.",
    "The white house said the stock market fell in 2004.",
    "The stock market rose on Monday, the white house said.",
    "Officials at the white house said nothing.",
]


def _corpus(tmp_path, rows):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_training_lines_use_lm_forms():
    assert list(training_lines(["The cat sat. It cost $30!"])) == ["the cat sat .", "it cost $ 00 !"]


@needs_tools
def test_build_tiny_model_prefers_seen_order(tmp_path):
    rows = [{"id": i, "text": " ".join(SENTENCES)} for i in range(20)] + [{"id": "no text"}]
    out = build_lm(_corpus(tmp_path, rows), tmp_path / "tiny.bin", order=3, prune=[0])
    lm = NgramLM(out)
    assert lm.order == 3
    assert lm.contains("cat") and not lm.contains("zebra")
    seen = "the white house said nothing .".split()
    rng = random.Random(0)
    shuffled = seen[:]
    while shuffled == seen:
        rng.shuffle(shuffled)
    assert lm.score(seen) > lm.score(shuffled)
    assert not (tmp_path / "tiny.bin.partial").exists()


@needs_tools
def test_build_reads_gzip_and_custom_field(tmp_path):
    import gzip

    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for s in SENTENCES * 5:
            fh.write(json.dumps({"body": s}) + "\n")
    lm = NgramLM(build_lm(path, tmp_path / "gz.bin", order=2, text_field="body"))
    assert lm.contains("mat")


@needs_tools
def test_build_empty_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(UnspinError, match="E006"):
        build_lm(_corpus(tmp_path, [{"title": "x"}]), tmp_path / "empty.bin")
    assert not (tmp_path / "empty.bin").exists()


def test_build_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(UnspinError, match="E004|E006"):
        build_lm(tmp_path / "nope.jsonl", tmp_path / "out.bin")


def test_bad_order_is_a_clear_error(tmp_path):
    with pytest.raises(UnspinError, match="order"):
        build_lm(_corpus(tmp_path, [{"text": "a b c."}]), tmp_path / "o.bin", order=9)
