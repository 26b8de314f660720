"""Store the lexicon's candidate lists of the most frequent English words in it, for the decoder's limits.

`Lexicon.ranked` then reads them instead of merging and ranking each word's records the first time a process meets
the word (about a quarter of a restore's time on documents new to the engine). Run after building the lexicon:

    PYTHONPATH=src .venv/bin/python scripts/store_ranked.py [--lexicon PATH] [--words 100000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from wordfreq import top_n_list

from unspin.lexicon import Lexicon
from unspin.params import Params
from unspin.text import lm_form, tokenize

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lexicon", type=Path, default=ROOT / "src" / "unspin" / "data" / "lexicon.sqlite")
    ap.add_argument("--words", type=int, default=100_000, help="wordfreq's most frequent English words to store")
    args = ap.parse_args()
    params = Params.load()
    limits = (params.detect_max_candidates, params.max_candidates)
    # Only what the decoder can ask for: one word token, in its LM form.
    keys = [w for w in top_n_list("en", args.words)
            if len(toks := tokenize(w)) == 1 and toks[0].is_word and toks[0].text == w == lm_form(w)]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "lexicon.sqlite"
        shutil.copyfile(args.lexicon, copy)
        lex = Lexicon(copy)
        n = lex.store_ranked(copy, keys, limits)
        lex.close()
        shutil.copyfile(copy, args.lexicon)
    took = time.perf_counter() - t0
    print(f"{n} answers ({len(keys)} words, limits {limits}) stored in {args.lexicon} in {took:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
