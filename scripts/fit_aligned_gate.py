"""Spun text restored with tables from `learn` at several aligned-table margins and restore gates: the other half of
picking `aligned_threshold` and `aligned_min_score` (scripts/fit_tabled_gate.py counts the clean words they change).

Each profile's table is learned from 200 spun Wikipedia documents outside the held-out tail (as fit_aligned.py);
40 held-out fitting documents spun by the same spinner at 35 % are restored with the gate off, and a document
counts as left as it was below a gate. Prints net error reduction and damage per profile, gate and margin.

    .venv/bin/python scripts/fit_aligned_gate.py 0.4,0.1,0.0 [0.8,0.9]
    .venv/bin/python scripts/fit_aligned_gate.py --unseen off,0.35,0.2,0.05 [0.9]

With `--unseen`, the shipped aligned margin and these `unseen_threshold`s instead ("off": the table without the
words its pairs left alone, as tables were before they were counted; "0.2x0.5": margin 0.2, unseen_lemma_weight 0.5).
"""

from __future__ import annotations

import dataclasses
import random
import sys

from fit_aligned import learning_docs
from fit_params import held_out_docs

from unspin import Engine
from unspin.bench import metrics as M
from unspin.bench.spinners import PROFILES, make_spinner
from unspin.learn import ChannelTable, learn_pairs
from unspin.restore import SpinnerDictionary


def main() -> int:
    args = sys.argv[1:]
    unseen = args[0] == "--unseen" if args else False
    if unseen:
        args.pop(0)
    margins: list = [x if unseen else float(x) for x in args[0].split(",")] if args else [0.4]
    gates = [float(x) for x in args[1].split(",")] if len(args) > 1 else [0.8]
    docs = held_out_docs(first_half=True)
    random.Random(7).shuffle(docs)
    test = docs[:40]
    learn = learning_docs(200)
    base = Engine()
    ungated = dataclasses.replace(base.params, restore_min_score=0.0, tabled_min_score=0.0, aligned_min_score=0.0)
    for profile in PROFILES:
        spinner = make_spinner(profile, 0.35, seed=21)
        table = learn_pairs((spinner.spin(t).spun, t) for t in learn)
        eng = Engine(lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, channels=[table], params=ungated)
        total = {(g, m): M.RestoreScore() for g in gates for m in margins}
        for text in test:
            d = spinner.spin(text)
            left = M.score_restore(d.original, d.spun, d.spun, d.subs, 0)
            for m in margins:
                if unseen:
                    set_unseen(eng, table, m)
                else:
                    eng.decoder.a_threshold = m
                res = eng.restore(d.spun)
                got = M.score_restore(d.original, d.spun, res.text, d.subs, len(res.changes))
                for g in gates:
                    total[g, m] += got if res.spin_score >= g else left
        for g in gates:
            row = {m: (total[g, m].summary()["net_error_reduction"], total[g, m].summary()["damage"]) for m in margins}
            print(f"{profile} gate {g}: margin -> (net error reduction, damage) {row}", flush=True)
    return 0


def set_unseen(eng: Engine, table: ChannelTable, m: float | str) -> None:
    """Decide the forms no aligned table holds at margin `m`, or as before the kept words were counted ("off")."""
    dec = eng.decoder
    dec.clear_memo()
    if m == "off":
        dec._dictionary, dec.u_threshold = None, None
    else:
        margin, _, weight = str(m).partition("x")  # "0.2x0.5": margin 0.2, lemma weight 0.5
        dec._dictionary = SpinnerDictionary.of([table], eng.lexicon.lemma_set, float(weight or 1.0))
        dec.u_threshold = float(margin)


if __name__ == "__main__":
    raise SystemExit(main())
