"""Train word2vec on the English Wikipedia corpus (dev-time only; output stays in .build/, out of git).

Usage: .venv/bin/python scripts/train_embeddings.py [--corpus DIR] [--out .build/w2v.kv]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from gensim.models import Word2Vec

from unspin.text import lm_sentences

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path("/work/shared/corpora/wikipedia-en")


class Sentences:
    """Re-iterable lower-cased token lists from every enwiki shard (gensim makes several passes)."""

    def __init__(self, files: list[Path], holdout: int) -> None:
        self.files = files
        self.holdout = holdout

    def __iter__(self) -> Iterator[list[str]]:
        for n, f in enumerate(self.files):
            with gzip.open(f, "rt", encoding="utf-8") as fh:
                lines = fh.readlines()
            # The last articles of the last shard are held out for measuring (as for lm.bin).
            if n == len(self.files) - 1 and self.holdout:
                lines = lines[: -self.holdout]
            for line in lines:
                for sent in lm_sentences(json.loads(line)["text"]):
                    if len(sent) > 2:
                        yield sent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--out", type=Path, default=ROOT / ".build" / "w2v.kv")
    ap.add_argument("--dim", type=int, default=150)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--holdout", type=int, default=200, help="last articles of the last shard to leave out")
    args = ap.parse_args()
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)
    # Only CC BY-SA Wikipedia shards: nothing from the BBC corpus may reach shipped data.
    files = sorted(args.corpus.glob("enwiki-*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no enwiki-*.jsonl.gz in {args.corpus}")
    t0 = time.time()
    model = Word2Vec(
        Sentences(files, args.holdout),
        vector_size=args.dim,
        window=args.window,
        min_count=args.min_count,
        workers=args.workers,
        epochs=args.epochs,
        sg=0,
        sample=1e-4,
        negative=10,
        seed=1,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.wv.save(str(args.out))
    logging.info("saved %d vectors to %s in %.0f s", len(model.wv), args.out, time.time() - t0)


if __name__ == "__main__":
    main()
