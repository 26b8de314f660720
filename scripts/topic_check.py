"""Does the wider-context (topic) signal separate correct originals beyond the other features? (dev-time only)

Reads the decoded records `scripts/fit_params.py --cache FILE` wrote (held-out Wikipedia, simulated spinners)
and compares the type-level conditional logit fitted with and without the topic columns: log-likelihood,
how often the gold original is the best option when it is among the candidates, and the words fixed net of
damage at the best margin under the damage cap. Also the topic features' own AUC, gold vs other candidates.

    PYTHONPATH=src .venv/bin/python scripts/topic_check.py /tmp/cache.pkl
"""

from __future__ import annotations

import pickle  # the local scratch file of fit_params.py --cache, never shipped
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_params import examples_of, fit_logit, outcomes_of, pick_threshold  # noqa: E402

from unspin.params import CANDIDATE_FEATURES, KEEP_FEATURES  # noqa: E402

TOPIC = [CANDIDATE_FEATURES.index(n) for n in ("topic_win", "topic_doc")]


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    both = np.concatenate([pos, neg])
    ranks = both.argsort().argsort() + 1.0
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / max(len(pos) * len(neg), 1))


def _zeroed(records: list[dict], cols: list[int]) -> list[dict]:
    out = []
    for r in records:
        types = []
        for feats, keepf, opts, occ in r["types"]:
            f = feats.copy()
            f[:, cols] = 0.0
            types.append((f, keepf, opts, occ))
        out.append({**r, "types": types})
    return out


def _report(name: str, records: list[dict], words: int, max_damage: float = 0.0015) -> None:
    ex = examples_of(records)
    w, kw, ll = fit_logit(ex, len(CANDIDATE_FEATURES), len(KEEP_FEATURES))
    hit = n = 0
    for feats, _, lab in ex:
        if lab > 0:
            n += 1
            hit += int(np.argmax(feats @ w)) + 1 == lab
    outcomes = outcomes_of(records, w, kw)
    tau, fixed, damage = pick_threshold(outcomes, max_damage, words)
    topic_w = [round(float(w[c]), 3) for c in TOPIC]
    print(f"{name}: mean log-lik {ll:.4f}; gold ranked first in {hit}/{n} spun types with gold among options "
          f"({hit / max(n, 1):.4f}); margin {tau:.3f}: fixed {fixed}, damaged {damage}, net {fixed - damage}; "
          f"topic weights {topic_w}", flush=True)


def main() -> int:
    records = pickle.loads(Path(sys.argv[1]).read_bytes())
    words = sum(r["words"] for r in records)
    print(f"{len(records)} documents, {words} words")
    # Univariate: topic value of the gold original vs the other candidates of the same spun types.
    for c, name in zip(TOPIC, ("topic_win", "topic_doc"), strict=True):
        pos, neg, first, n = [], [], 0, 0
        for feats, _, lab in examples_of(records):
            if lab > 0:
                col = feats[:, c]
                pos.append(col[lab - 1])
                neg.extend(np.delete(col, lab - 1))
                n += 1
                first += int(np.argmax(col)) == lab - 1
        print(f"{name}: AUC gold vs other candidates {_auc(np.array(pos), np.array(neg)):.4f}; gold has the "
              f"highest value in {first}/{n} types; mean gold {np.mean(pos):.3f}, others {np.mean(neg):.3f}")
    _report("without topic", _zeroed(records, TOPIC), words)
    for keep, name in ((TOPIC[0], "topic_win only"), (TOPIC[1], "topic_doc only")):
        _report(name, _zeroed(records, [c for c in TOPIC if c != keep]), words)
    _report("with both", records, words)
    return 0


if __name__ == "__main__":
    sys.exit(main())
