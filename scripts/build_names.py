#!/usr/bin/env python
"""Build src/unspin/data/names.npy, the names written in the Wikipedia corpus, with their counts (dev-time only).

A name here is two to four capitalised words in a row ("White House", "Bank of England"), lower-cased, counted
wherever its first word does not open a sentence. The file holds a sorted column of 64-bit BLAKE2b hashes of the
names seen at least MIN_COUNT times and a column of their counts, so it is memory-mapped and searched in place.

    .venv/bin/python scripts/build_names.py         # writes src/unspin/data/names.npy

Training text: the same Wikipedia articles as the language model (scripts/build_lm.py: all five shards of
../shared/corpora/wikipedia-en, CC BY-SA 3.0, without the last 200 articles of the last shard). No BBC text.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from build_lm import train_texts  # noqa: E402

from unspin.names import CONNECTORS, MAX_WORDS, name_hash  # noqa: E402
from unspin.text import sentences, starts_sentence, tokenize  # noqa: E402

OUT = ROOT / "src" / "unspin" / "data" / "names.npy"
MIN_COUNT = 3


def count_names(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        for para in text.split("\n"):
            toks = tokenize(para)
            for a, b in sentences(toks):
                i = a
                while i < b:
                    t = toks[i].text
                    if not (t[0].isupper() and t[0].isalpha()):
                        i += 1
                        continue
                    j = i + 1  # the run of capitalised words (and the connectors between them) from i
                    while j < b and (toks[j].text[0].isupper() and toks[j].text[0].isalpha()
                                     or toks[j].text in CONNECTORS and j + 1 < b and toks[j + 1].text[0].isupper()):
                        j += 1
                    words = [x.text.lower() for x in toks[i:j]]
                    first = 1 if starts_sentence(para, toks, i) else 0
                    for s in range(first, len(words)):
                        if words[s] in CONNECTORS:
                            continue
                        for n in range(2, MAX_WORDS + 1):
                            if s + n > len(words):
                                break
                            if words[s + n - 1] not in CONNECTORS:
                                counts[" ".join(words[s : s + n])] += 1
                    i = j
    return counts


def main() -> int:
    t0 = time.time()
    counts = count_names(train_texts())
    kept = [(name_hash(k), min(n, 2**32 - 1)) for k, n in counts.items() if n >= MIN_COUNT]
    arr = np.array(sorted(kept), dtype=np.uint64).reshape(-1, 2)
    np.save(OUT, arr)
    print(f"{len(counts)} names seen, {len(arr)} kept (>= {MIN_COUNT}), {OUT.stat().st_size / 1e6:.1f} MB, "
          f"{time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
