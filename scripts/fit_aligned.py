"""Fit the decoder's weights for types with an entry from a table learned from aligned pairs (`unspin learn`).

Dev-time only; refits `aligned_w` and `aligned_keep_w` in params.json and leaves every other weight as it is
(zero-shot and adapt decoding do not change); the margin it would pick with every clean document decoded is
reported, not written (the shipped one is picked behind the gate: fit_aligned_gate.py). Tables are learned, per
profile and rate, from 200 spun Wikipedia documents of enwiki-04 outside its held-out tail (the size `unspin
learn` is benchmarked at); the types are decoded in held-out Wikipedia documents (the first half of the tail, as
fit_params.py), spun by the same spinner, and in clean held-out documents with the same table. BBC news never
enters fitting.

    .venv/bin/python scripts/fit_aligned.py [--docs 40] [--cache /tmp/aligned.pkl]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_params import HELD_OUT, WIKI, _words, fit_logit, held_out_docs, occurrence_gold, pick_threshold  # noqa: E402

from unspin.bench.spinners import PROFILES, make_spinner  # noqa: E402
from unspin.engine import Engine  # noqa: E402
from unspin.learn import learn_pairs  # noqa: E402
from unspin.params import ALIGNED_FEATURES, ALIGNED_KEEP_FEATURES, CANDIDATE_FEATURES, KEEP_FEATURES, Params  # noqa: E402
from unspin.restore import aligned_columns  # noqa: E402

LEARN_DOCS = 200


def learning_docs(n: int, max_words: int = 450) -> list[str]:
    """Wikipedia documents outside the held-out tail (the LM saw them: tables only count rewrites in them)."""
    with gzip.open(WIKI, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f][:-HELD_OUT]
    out = []
    for r in rows:
        words = r["text"].split(" ")
        if len(words) >= 120:
            out.append(" ".join(words[:max_words]))
        if len(out) >= n:
            break
    return out


def type_records(engine: Engine, text: str, subs: list) -> list[tuple]:
    """(features, keep features, aligned counts, options, [(n words, gold)]) of each aligned-table type.

    The counts, not the columns made of them (`restore.aligned_columns`), so a refit from the cache follows a
    change in how the columns are made.
    """
    an = engine.decoder.analyse(text, passes=1)
    sub_spans = sorted((s.spun_start, s.spun_end, s) for s in subs)
    out = []
    for d in an.types:
        if d.extra is None:
            continue
        occ = occurrence_gold(an, d, text, sub_spans)
        counts = engine.decoder.aligned_counts(d.key, d.rows)
        out.append((d.features, d.keep_features, counts, [o.original for o in d.options], occ))
    return out


def _job(args: tuple) -> list[tuple]:
    profile, rate, seed, learn, spun_docs, clean_docs = args
    sp = make_spinner(profile, rate, seed=seed)
    table = learn_pairs((sp.spin(d).spun, d) for d in learn)
    eng = Engine(channels=[table])
    out = []
    for d in spun_docs:
        sd = sp.spin(d)
        out.append((True, sum(1 for _ in _words(d)), type_records(eng, sd.spun, sd.subs)))
    for d in clean_docs:
        out.append((False, sum(1 for _ in _words(d)), type_records(eng, d, [])))
    return out


def _split(t: tuple) -> tuple[np.ndarray, np.ndarray]:
    feats, keep, counts, _, _ = t
    opt_x, keep_x = aligned_columns(*counts)
    return np.column_stack([feats, opt_x]), np.concatenate([keep, keep_x])


def examples(records: list) -> list[tuple[np.ndarray, np.ndarray, int]]:
    out = []
    for _, _, types in records:
        for t in types:
            opts, occ = t[3], t[4]
            labels = {g for _, g in occ}
            if len(labels) != 1 or "\x00" in labels:
                continue
            (lab,) = labels
            idx = next((k + 1 for k, o in enumerate(opts) if o == lab), 0) if lab else 0
            x, k = _split(t)
            out.append((x, k, idx))
    return out


def outcomes(records: list, w: np.ndarray, kw: np.ndarray, spun: bool | None = None) -> list[tuple[float, int, int]]:
    out = []
    for is_spun, _, types in records:
        if spun is not None and is_spun != spun:
            continue
        for t in types:
            x, k = _split(t)
            sc = np.concatenate(([k @ kw], x @ w))
            sc -= sc.max()
            post = np.exp(sc) / np.exp(sc).sum()
            b = int(np.argmax(post[1:]))
            margin = float(post[b + 1] - post[0])
            for n, gold in t[4]:
                out.append((margin, -n if gold is None else (n if gold == t[3][b] else 0), n))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=40, help="spun held-out documents per configuration")
    ap.add_argument("--clean", type=int, default=12, help="clean held-out documents per configuration")
    ap.add_argument("--params", default="src/unspin/data/params.json")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-damage", type=float, default=0.002, help="share of words changed wrongly")
    ap.add_argument("--cache", help="keep decoded records in this (local, never shipped) file to refit fast")
    a = ap.parse_args()
    t0 = time.time()
    if a.cache and Path(a.cache).exists():
        import pickle  # a local scratch file of this dev script, never shipped

        records = pickle.loads(Path(a.cache).read_bytes())
    else:
        docs = held_out_docs(first_half=True)
        learn = learning_docs(3 * LEARN_DOCS)
        rnd = random.Random(11)
        jobs = []
        seed = 300
        for profile in PROFILES:
            for rate in (0.2, 0.35, 0.5):
                seed += 1
                sample = rnd.sample(docs, a.docs + a.clean)
                jobs.append((profile, rate, seed, rnd.sample(learn, LEARN_DOCS), sample[: a.docs], sample[a.docs :]))
        with mp.get_context("fork").Pool(a.workers) as pool:
            records = [r for batch in pool.map(_job, jobs, chunksize=1) for r in batch]
        if a.cache:
            import pickle

            Path(a.cache).write_bytes(pickle.dumps(records))
    print(f"decoded {len(records)} documents in {time.time() - t0:.0f}s", flush=True)
    params = Params.load(a.params)
    ex = examples(records)
    nf, nk = len(CANDIDATE_FEATURES) + len(ALIGNED_FEATURES), len(KEEP_FEATURES) + len(ALIGNED_KEEP_FEATURES)
    theta0 = np.concatenate([params.learned_w or params.cand_w, np.zeros(len(ALIGNED_FEATURES)),
                             params.learned_keep_w or params.keep_w, np.zeros(len(ALIGNED_KEEP_FEATURES))])
    w, kw, ll = fit_logit(ex, nf, nk, theta0=theta0)
    words = sum(n for _, n, _ in records)
    tau, fixed, damage = pick_threshold(outcomes(records, w, kw), a.max_damage, words)
    clean_words = sum(n for s, n, _ in records if not s)
    clean_changed = sum(-f for m, f, _ in outcomes(records, w, kw, spun=False) if m >= tau and f < 0)
    params.aligned_w = [round(float(x), 4) for x in w]
    params.aligned_keep_w = [round(float(x), 4) for x in kw]
    # The margin restore uses is picked behind the aligned gate (fit_aligned_gate.py, fit_tabled_gate.py): this
    # run's own pick counts clean documents the gate never lets through, and is reported only.
    params.fitted_on = params.fitted_on.split("; aligned-table types:")[0] + (
        f"; aligned-table types: scripts/fit_aligned.py, {len(ex)} types in {len(records)} held-out Wikipedia "
        f"documents ({words} words), tables from {LEARN_DOCS} spun documents per profile and rate (20/35/50 %)")
    params.save(a.params)
    print(f"{len(ex)} aligned-table types, mean log-lik {ll:.4f}; "
          f"ungated margin {tau:.3f} (not written): fixed {fixed}, damaged {damage} "
          f"of {words} words; clean documents: {clean_changed} of {clean_words} words changed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
