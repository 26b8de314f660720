"""Words changed in clean text with tables from `learn`, at several restore gates: how `tabled_min_score` is picked.

Each profile's table is learned from 200 held-out Wikipedia fitting documents spun at 35 %; 100 other fitting
documents are restored clean with it. The shipped gate is the lowest that changes no more clean words than the
previous release did with its own gate (see `fitted_on` in data/params.json).

    .venv/bin/python scripts/fit_tabled_gate.py 0.32 0.5 0.6 0.7 0.8
"""

from __future__ import annotations

import dataclasses
import random
import sys

from fit_params import held_out_docs

from unspin import Engine
from unspin.bench.spinners import PROFILES, make_spinner
from unspin.learn import learn_pairs


def main() -> int:
    gates = [float(g) for g in sys.argv[1:]] or [0.8]
    docs = held_out_docs(first_half=True)
    random.Random(5).shuffle(docs)
    train, clean = docs[:200], docs[200:300]
    words = sum(len(t.split()) for t in clean)
    base = Engine()
    total = [0] * len(gates)
    for profile in PROFILES:
        spinner = make_spinner(profile, 0.35, seed=11)
        table = learn_pairs((spinner.spin(t).spun, t) for t in train)
        row = []
        for k, gate in enumerate(gates):
            eng = Engine(lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, channels=[table],
                         params=dataclasses.replace(base.params, restore_min_score=gate, tabled_min_score=gate))
            changed = sum(len(c.spun.split()) for t in clean for c in eng.restore(t).changes)
            row.append(changed)
            total[k] += changed
        print(f"{profile}: {words} clean words, changed at gates {gates}: {row}", flush=True)
    print("total", dict(zip(gates, total, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
