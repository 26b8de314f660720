#!/usr/bin/env python
"""Measure how often restore's reading of an unknown name as a known one is right (NAME_CONFIDENCE; dev-time only).

Held-out Wikipedia fitting documents (the first half of scripts/fit_params.py's held-out articles) are spun by
every thesaurus profile with names spun too (`capitalised_names`), in and out of lexicon; every change
`Decoder.renamed` makes is checked against the spinner's record. Clean documents count the names it rewrites
that nobody spun. No BBC text.

    .venv/bin/python scripts/fit_name_confidence.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_params import held_out_docs  # noqa: E402

from unspin.bench.spinners import PROFILE_SOURCE, make_spinner  # noqa: E402
from unspin.engine import Engine  # noqa: E402
from unspin.restore import NAME_CONFIDENCE  # noqa: E402


def main() -> int:
    docs = held_out_docs(True)
    base = Engine()
    right = wrong = clean = 0
    for profile in ("wordnet", "mythes", "moby"):
        for loso in (False, True):
            eng = Engine(lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, names=base.names,
                         exclude_sources=PROFILE_SOURCE[profile] if loso else 0)
            sp = make_spinner(profile, 0.15, seed=11)
            sp.capitalised_names = True
            for d in docs:
                sd = sp.spin(d)
                subs = {(s.spun_start, s.spun_end): s.original for s in sd.subs}
                for c in eng.restore(sd.spun).changes:
                    if c.confidence != NAME_CONFIDENCE:
                        continue
                    gold = subs.get((c.start, c.end))
                    right += gold is not None and gold.lower() == c.original.lower()
                    wrong += gold is None or gold.lower() != c.original.lower()
            print(profile, "LOSO" if loso else "in lexicon", f"right {right} wrong {wrong}", flush=True)
    eng = Engine(lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, names=base.names)
    eng.min_score = 0.0  # every document decoded, so the rule sees every name
    words = 0
    for d in docs:
        words += len(d.split())
        clean += sum(c.confidence == NAME_CONFIDENCE for c in eng.restore(d).changes)
    print(f"spun: {right} right of {right + wrong} ({right / max(1, right + wrong):.3f}); "
          f"clean, ungated: {clean} names rewritten in {words} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
