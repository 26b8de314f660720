"""Words changed in clean text with tables from `learn`, at several restore gates and aligned-table margins: how
`tabled_min_score`, `aligned_min_score` and `aligned_threshold` are picked.

Each profile's table is learned from 200 held-out Wikipedia fitting documents spun at 35 %; 100 other fitting
documents are restored clean with it, with the gate off, and a document counts at a gate when its spin score
reaches it (restore changes nothing below its gate). The shipped gate is the lowest that changes no more clean
words than the previous release did with its own gate (see `fitted_on` in data/params.json); the aligned gate and
margin, the pair with the most words fixed in spun text (scripts/fit_aligned_gate.py) that changes no more.

    .venv/bin/python scripts/fit_tabled_gate.py 0.32 0.5 0.6 0.7 0.8 [--margins 0.4,0.1]
    .venv/bin/python scripts/fit_tabled_gate.py 0.9 --unseen off,0.35,0.2,0.05

With `--unseen`, the shipped aligned margin and these `unseen_threshold`s instead (see fit_aligned_gate.py).
"""

from __future__ import annotations

import dataclasses
import random
import sys

from fit_aligned_gate import set_unseen
from fit_params import held_out_docs

from unspin import Engine
from unspin.bench.spinners import PROFILES, make_spinner
from unspin.learn import learn_pairs


def main() -> int:
    args = sys.argv[1:]
    margins: list = [None]  # None: the shipped aligned_threshold
    if "--margins" in args:
        k = args.index("--margins")
        margins = [float(m) for m in args[k + 1].split(",")]
        del args[k : k + 2]
    unseen = "--unseen" in args
    if unseen:
        k = args.index("--unseen")
        margins = args[k + 1].split(",")
        del args[k : k + 2]
    gates = [float(g) for g in args] or [0.8]
    docs = held_out_docs(first_half=True)
    random.Random(5).shuffle(docs)
    train, clean = docs[:200], docs[200:300]
    words = sum(len(t.split()) for t in clean)
    base = Engine()
    ungated = dataclasses.replace(base.params, restore_min_score=0.0, tabled_min_score=0.0, aligned_min_score=0.0)
    total = {(m, g): 0 for m in margins for g in gates}
    for profile in PROFILES:
        spinner = make_spinner(profile, 0.35, seed=11)
        table = learn_pairs((spinner.spin(t).spun, t) for t in train)
        eng = Engine(lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, channels=[table], params=ungated)
        for m in margins:
            if unseen:
                set_unseen(eng, table, m)
            elif m is not None:
                eng.decoder.a_threshold = m
            changed = [0] * len(gates)
            for t in clean:
                res = eng.restore(t)
                n = sum(len(c.spun.split()) for c in res.changes)
                for k, gate in enumerate(gates):
                    changed[k] += n if res.spin_score >= gate else 0
            for k, gate in enumerate(gates):
                total[m, gate] += changed[k]
            label = "" if m is None else f" at margin {m}"
            print(f"{profile}{label}: {words} clean words, changed at gates {gates}: {changed}", flush=True)
    for m in margins:
        print("total" + ("" if m is None else f" at margin {m}"), {g: total[m, g] for g in gates})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
