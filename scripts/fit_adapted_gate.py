"""Words changed in clean text, and fixed in spun text, with tables from `adapt`, at several restore gates: how
`adapted_min_score` is picked.

Each corpus is 200 held-out Wikipedia fitting documents spun at 35 % (one profile each, its source left out of the
lexicon as in the bench's adapt section, and a two-spinner corpus of 100 WordNet and 100 LibreOffice documents);
100 other fitting documents are restored clean, and spun at 35 % by the corpus's profile, with the table and the
gate off, and a document counts at a gate when its spin score reaches it (restore changes nothing below its gate).
Zero-shot restore of the same clean documents, at its own gate, is the baseline: the shipped gate is the lowest
whose clean words changed, over all corpora, are no more than zero-shot's.

    .venv/bin/python scripts/fit_adapted_gate.py 0.32 0.4 0.5 0.6 0.7 0.8
"""

from __future__ import annotations

import dataclasses
import random
import sys

from fit_params import held_out_docs

from unspin import Engine
from unspin.adapt import Adapter
from unspin.bench import metrics as M
from unspin.bench.spinners import PROFILE_SOURCE, PROFILES, make_spinner


def _changed(res: object) -> int:
    return sum(len(c.spun.split()) for c in res.changes)  # type: ignore[attr-defined]


def main() -> int:
    gates = [float(g) for g in sys.argv[1:]] or [0.32, 0.5, 0.8]
    docs = held_out_docs(first_half=True)
    random.Random(5).shuffle(docs)
    train, held = docs[:200], docs[200:300]
    words = sum(len(t.split()) for t in held)
    base = Engine()
    ungated = dataclasses.replace(base.params, restore_min_score=0.0, tabled_min_score=0.0,
                                  aligned_min_score=0.0, adapted_min_score=0.0)
    corpora: list[tuple[str, str, list[str]]] = []
    for profile in PROFILES:
        sp = make_spinner(profile, 0.35, seed=11)
        corpora.append((profile, profile, [sp.spin(t).spun for t in train]))
    a, b = make_spinner("wordnet", 0.35, seed=11), make_spinner("mythes", 0.35, seed=11)
    corpora.append(("wordnet+mythes", "wordnet",
                    [a.spin(t).spun for t in train[:100]] + [b.spin(t).spun for t in train[100:]]))
    clean_total = {g: 0 for g in gates}
    zero_total = 0
    for label, profile, texts in corpora:
        exclude = PROFILE_SOURCE[profile] if label == profile else 0
        zs = Engine(lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, names=base.names,
                    exclude_sources=exclude)
        table = Adapter(zs).adapt(texts).table
        eng = Engine(lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, names=base.names,
                     exclude_sources=exclude, channels=[table], params=ungated)
        zero = sum(_changed(zs.restore(t)) for t in held)
        zero_total += zero
        clean = [0] * len(gates)
        for t in held:
            res = eng.restore(t)
            for k, g in enumerate(gates):
                clean[k] += _changed(res) if res.spin_score >= g else 0
        for k, g in enumerate(gates):
            clean_total[g] += clean[k]
        spinner = make_spinner(profile, 0.35, seed=12)
        spun = [spinner.spin(t) for t in held]
        scores = [M.RestoreScore() for _ in gates]
        for d in spun:
            res = eng.restore(d.spun)
            for k, g in enumerate(gates):
                ok = res.spin_score >= g
                scores[k] += M.score_restore(d.original, d.spun, res.text if ok else d.spun, d.subs,
                                             len(res.changes) if ok else 0, None)
        ner = [s.summary()["net_error_reduction"] for s in scores]
        print(f"{label}: {len(table)} entries; clean {words} words, zero-shot {zero} changed, with the table at "
              f"gates {gates}: {clean}; spun NER {ner}", flush=True)
    print("total clean words changed: zero-shot", zero_total, "table", clean_total)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
