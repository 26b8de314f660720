#!/usr/bin/env python
"""Build the shipped language model src/unspin/data/lm.bin from the Wikipedia corpus (dev-time only).

Exactly how the shipped file was made (see src/unspin/data/SOURCES.md):

    scripts/build_kenlm_tools.sh .venv/bin
    .venv/bin/python scripts/build_lm.py            # writes src/unspin/data/lm.bin
    .venv/bin/python scripts/build_lm.py --eval     # also reports perplexities and speed

Training text: all five shards of ../shared/corpora/wikipedia-en (CC BY-SA 3.0), except the last
HELD_OUT articles of the last shard, which are kept for measuring perplexity. Nothing from the BBC
corpus is used for training; --eval only measures perplexity on it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from unspin.lm import NgramLM  # noqa: E402
from unspin.lm.build import build_from_lines, training_lines  # noqa: E402

WIKI = ROOT.parent / "shared" / "corpora" / "wikipedia-en"
SHARDS = [WIKI / f"enwiki-0{i}.jsonl.gz" for i in range(5)]
BBC_DEV = ROOT.parent / "shared" / "corpora" / "bbc" / "dev.jsonl"
OUT = ROOT / "src" / "unspin" / "data" / "lm.bin"
HELD_OUT = 200  # last articles of the last shard, never trained on
ORDER = 4
# lmplz --prune: keep every bigram, drop trigrams seen once and 4-grams seen at most twice. Measured on the
# held-out articles: keeping singleton bigrams is worth 5% perplexity; the 4-gram threshold 1 -> 2 costs
# under 1% and saves 4 MB (49.7 MB in all with -a 22 -q 8 -b 8).
PRUNE = [0, 0, 1, 2]
QUANTIZE_BITS = 8


def _rows(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def train_texts() -> Iterator[str]:
    for shard in SHARDS[:-1]:
        for row in _rows(shard):
            yield row["text"]
    last = list(_rows(SHARDS[-1]))
    for row in last[:-HELD_OUT]:
        yield row["text"]


def held_out_texts() -> list[str]:
    return [row["text"] for row in list(_rows(SHARDS[-1]))[-HELD_OUT:]]


def perplexity(lm: NgramLM, texts: list[str]) -> tuple[float, int, float]:
    """Per-token perplexity (</s> counted as a token) and the out-of-vocabulary rate."""
    logprob, tokens, oov = 0.0, 0, 0
    for line in training_lines(texts):
        words = line.split()
        logprob += lm.score(words)
        tokens += len(words) + 1
        oov += sum(not lm.contains(w) for w in words)
    return 10 ** (-logprob / tokens), tokens, oov / tokens


def evaluate(path: Path) -> None:
    import kenlm

    t0 = time.perf_counter()
    lm = NgramLM(path)
    lm.model  # noqa: B018 - force the (lazy, mmap) load to time it
    print(
        f"load: {time.perf_counter() - t0:.3f} s, size {path.stat().st_size / 1e6:.1f} MB, order {lm.order}"
    )
    ppl, n, oov = perplexity(lm, held_out_texts())
    print(f"wikipedia held-out ({HELD_OUT} articles, {n} tokens): perplexity {ppl:.1f}, OOV {oov:.2%}")
    bbc = [json.loads(line)["text"] for line in BBC_DEV.open(encoding="utf-8")]
    ppl, n, oov = perplexity(lm, bbc)
    print(f"bbc dev (evaluation only, {n} tokens): perplexity {ppl:.1f}, OOV {oov:.2%}")
    words = [w for line in training_lines(bbc[:200]) for w in line.split()]
    model, state, out = lm.model, kenlm.State(), kenlm.State()
    t0 = time.perf_counter()
    model.BeginSentenceWrite(state)
    for w in words:
        model.BaseScore(state, w, out)
        state, out = out, state
    rate = len(words) / (time.perf_counter() - t0)
    print(f"BaseScore: {rate:,.0f} calls/s from Python")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--order", type=int, default=ORDER)
    ap.add_argument("--prune", type=int, nargs="+", default=PRUNE)
    ap.add_argument("--memory", default="40%", help="lmplz/build_binary memory (-S)")
    ap.add_argument("--eval", action="store_true", help="report perplexities and speed afterwards")
    ap.add_argument("--eval-only", action="store_true", help="evaluate --out without building")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.eval_only:
        t0 = time.perf_counter()
        build_from_lines(
            training_lines(train_texts()), args.out, args.order, args.prune, args.memory, QUANTIZE_BITS
        )
        print(f"built {args.out} in {time.perf_counter() - t0:.0f} s")
    if args.eval or args.eval_only:
        evaluate(args.out)


if __name__ == "__main__":
    main()
