"""Fit adapt's type-level logit (`src/unspin/data/adapt.json`) on corpora spun by simulated spinners.

Dev-time only. Text: the Wikipedia articles the shipped LM never saw that also fit `params.json` (the first
half of the held-out tail of enwiki-04); the benchmark evaluates adapt on BBC news, which never enters fitting.
Corpora: every benchmark profile, mostly with its source left out of the lexicon, rates 15-50 %, 10 to 200
documents, plus clean corpora, half-clean corpora and two spinners mixed, so that the probabilities stay
honest when the corpus is small or not what the user presumed.

    .venv/bin/python scripts/fit_adapt.py [--out src/unspin/data/adapt.json] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fit_params import held_out_docs  # noqa: E402

from unspin.adapt import KEEP_FEATURES, OPTION_FEATURES, OTHER_FEATURES, Adapter, AdaptParams  # noqa: E402
from unspin.bench.adapt import gold_of  # noqa: E402
from unspin.bench.spinners import PROFILE_SOURCE, make_spinner  # noqa: E402
from unspin.engine import Engine  # noqa: E402

NF, NK, NO = len(OPTION_FEATURES), len(KEEP_FEATURES), len(OTHER_FEATURES)


def examples(adapter: Adapter, docs, spun_docs, types) -> list[tuple]:
    out = []
    for t in types:
        labels = [gold_of(spun_docs[n], docs[n].tokens, i, j) for n, i, j in t.occurrences]
        y = np.zeros(2 + len(t.options))
        for g in labels:
            if g == t.key:
                y[0] += 1
            elif g in t.options:
                y[2 + t.options.index(g)] += 1
            else:
                y[1] += 1
        y /= max(1, len(labels))
        out.append((t.option_rows.copy(), t.keep_row.copy(), t.other_row.copy(), y, float(min(len(labels), 8))))
    return out


def job(args: tuple) -> list:
    texts_spec, exclude, seed = args
    eng = Engine(exclude_sources=exclude)
    ad = Adapter(eng)
    texts, spun_docs = [], []
    for profile, rate, doc_texts in texts_spec:
        sp = make_spinner(profile, rate, seed=seed) if profile else None
        for d in doc_texts:
            sd = sp.spin(d) if sp is not None else None
            texts.append(sd.spun if sd else d)
            spun_docs.append(sd)
    # First-round features only: the second round's contexts depend on the weights being fitted.
    docs, types = ad.evidence(texts)
    return examples(ad, docs, spun_docs, types)


def configs(docs: list[str]) -> list[tuple]:
    rng = random.Random(7)
    out = []
    profiles = ("wordnet", "mythes", "moby", "distributional", "contentfarm")
    k = 0
    for profile in profiles:
        for rate, size, loso in ((0.35, 200, True), (0.15, 60, True), (0.5, 10, True), (0.35, 30, False)):
            start = rng.randrange(0, len(docs) - size)
            out.append(([(profile, rate, docs[start : start + size])],
                        PROFILE_SOURCE[profile] if loso else 0, 10 + k))
            k += 1
    out.append(([("", 0.0, docs[:100])], 0, 1))  # clean
    out.append(([("", 0.0, docs[300:310])], 0, 1))  # tiny clean
    out.append(([("wordnet", 0.35, docs[100:180]), ("", 0.0, docs[180:260])], PROFILE_SOURCE["wordnet"], 2))
    out.append(([("mythes", 0.35, docs[400:480]), ("moby", 0.35, docs[480:560])], PROFILE_SOURCE["mythes"], 3))
    out.append(([("contentfarm", 0.35, docs[200:260]), ("", 0.0, docs[260:320])], PROFILE_SOURCE["contentfarm"], 4))
    return out


def fit(ex: list, l2: float = 1e-4) -> np.ndarray:
    from scipy.optimize import minimize

    seg = np.cumsum([0] + [2 + len(o) for o, _, _, _, _ in ex])
    rows = np.zeros((seg[-1], NK + NO + NF))
    y = np.zeros(seg[-1])
    wt = np.zeros(len(ex))
    for n, (o, k, oth, lab, w) in enumerate(ex):
        a = seg[n]
        rows[a, :NK] = k
        rows[a + 1, NK : NK + NO] = oth
        rows[a + 2 : seg[n + 1], NK + NO :] = o
        y[a : seg[n + 1]] = lab
        wt[n] = w
    owner = np.repeat(np.arange(len(ex)), np.diff(seg))
    wrow = wt[owner]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        s = rows @ theta
        mx = np.maximum.reduceat(s, seg[:-1])
        e = np.exp(s - mx[owner])
        z = np.add.reduceat(e, seg[:-1])
        logp = s - mx[owner] - np.log(z)[owner]
        nll = -(wrow * y * logp).sum() + l2 * (theta @ theta) * wt.sum()
        p = np.exp(logp)
        g = rows.T @ (wrow * (p * np.add.reduceat(y, seg[:-1])[owner] - y))
        g += 2 * l2 * theta * wt.sum()
        return float(nll), g

    theta0 = np.concatenate([AdaptParams().keep_w, AdaptParams().other_w, AdaptParams().option_w])
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    print(f"fit: {res.message}, nll {res.fun:.1f}", file=sys.stderr)
    return res.x


def calibration(ex: list, theta: np.ndarray) -> None:
    """Predicted vs actual probability of the best option, in bins (how honest the table's prob column is)."""
    bins: dict[int, list[tuple[float, float]]] = {}
    for o, k, oth, lab, _ in ex:
        if not len(o):
            continue
        s = np.concatenate(([k @ theta[:NK], oth @ theta[NK : NK + NO]], o @ theta[NK + NO :]))
        p = np.exp(s - s.max())
        p /= p.sum()
        b = int(np.argmax(p[2:])) + 2
        bins.setdefault(min(int(p[b] * 10), 9), []).append((p[b], lab[b]))
    for b in sorted(bins):
        v = np.array(bins[b])
        print(f"  p in [{b / 10:.1f}, {(b + 1) / 10:.1f}): {len(v)} types, predicted {v[:, 0].mean():.3f}, "
              f"actual {v[:, 1].mean():.3f}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "src/unspin/data/adapt.json"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", default="/tmp/fit_adapt.pkl", help="the examples are kept here for refitting")
    ap.add_argument("--from-cache", action="store_true", help="refit on the examples of the last run")
    args = ap.parse_args()
    import pickle

    docs = held_out_docs(first_half=True)
    jobs = configs(docs)
    if args.from_cache:
        ex = pickle.loads(Path(args.cache).read_bytes())
    else:
        print(f"{len(docs)} fitting documents", file=sys.stderr)
        t0 = time.time()
        ex = []
        with mp.get_context("fork").Pool(args.workers) as pool:
            for n, got in enumerate(pool.imap_unordered(job, jobs), 1):
                ex += got
                print(f"  {n}/{len(jobs)} configs, {len(ex)} type examples, {time.time() - t0:.0f} s",
                      file=sys.stderr)
        Path(args.cache).write_bytes(pickle.dumps(ex))
    theta = fit(ex)
    calibration(ex, theta)
    p = AdaptParams(
        keep_w=[round(float(x), 4) for x in theta[:NK]],
        other_w=[round(float(x), 4) for x in theta[NK : NK + NO]],
        option_w=[round(float(x), 4) for x in theta[NK + NO :]],
        fitted_on=f"{len(jobs)} simulated corpora ({len(ex)} type examples) from the first half of the held-out "
        "Wikipedia tail; profiles wordnet, mythes, moby, distributional, contentfarm; scripts/fit_adapt.py",
    )
    p.save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
