"""Benchmark metrics: word error rates and their breakdown for restore, ranking and calibration for detect."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from unspin.bench.spinners import Sub
from unspin.text import tokenize

Opcodes = Sequence[tuple[str, int, int, int, int]]


def words(text: str) -> list[tuple[str, int, int]]:
    """Word and number tokens with their offsets (punctuation is not scored)."""
    return [(t.text, t.start, t.end) for t in tokenize(text) if t.text[0].isalnum()]


def _opcodes(a: Sequence[str], b: Sequence[str]) -> Opcodes:
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()


def edit_distance(hyp: Sequence[str], ref: Sequence[str]) -> int:
    """Word edit distance from difflib's alignment (exact for the local rewrites spinning makes)."""
    cost = 0
    for op, i1, i2, j1, j2 in _opcodes(hyp, ref):
        if op != "equal":
            cost += max(i2 - i1, j2 - j1)
    return cost


def wer(hyp: str, ref: str) -> float:
    """Word error rate of `hyp` against `ref` (case-sensitive)."""
    r = [w for w, _, _ in words(ref)]
    return edit_distance([w for w, _, _ in words(hyp)], r) / max(len(r), 1)


def net_error_reduction(wer_spun: float, wer_restored: float) -> float:
    """1 − WER(restored)/WER(spun): 1 undoes all spinning, 0 changes nothing, < 0 makes it worse."""
    if wer_spun <= 0:
        return 0.0 if wer_restored <= 0 else -1.0
    return 1.0 - wer_restored / wer_spun


def _kept_mask(a: list[str], b: list[str]) -> np.ndarray:
    """For each token of `a`, whether it is aligned unchanged to `b`."""
    mask = np.zeros(len(a), dtype=bool)
    for op, i1, i2, _, _ in _opcodes(a, b):
        if op == "equal":
            mask[i1:i2] = True
    return mask


@dataclass
class RestoreScore:
    """Counts for one or more (original, spun, restored) triples; add them up, then read the rates."""

    ref_words: int = 0
    spun_errors: int = 0
    restored_errors: int = 0
    gold: int = 0
    restored: int = 0
    changed_wrongly: int = 0  # the spun span was edited, but not back to the original
    not_in_candidates: int = 0
    candidate_not_chosen: int = 0
    untouched: int = 0
    damaged: int = 0
    changes: int = 0
    examples: list[dict[str, str]] = field(default_factory=list)

    def __iadd__(self, other: RestoreScore) -> RestoreScore:
        for k in (
            "ref_words",
            "spun_errors",
            "restored_errors",
            "gold",
            "restored",
            "changed_wrongly",
            "not_in_candidates",
            "candidate_not_chosen",
            "untouched",
            "damaged",
            "changes",
        ):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.examples = (self.examples + other.examples)[:40]
        return self

    def summary(self) -> dict[str, float | int]:
        w_spun = self.spun_errors / max(self.ref_words, 1)
        w_rest = self.restored_errors / max(self.ref_words, 1)
        return {
            "words": self.ref_words,
            "wer_spun": round(w_spun, 5),
            "wer_restored": round(w_rest, 5),
            "net_error_reduction": round(net_error_reduction(w_spun, w_rest), 4),
            "gold_subs": self.gold,
            "recall": round(self.restored / max(self.gold, 1), 4),
            "damage": round(self.damaged / max(self.untouched, 1), 5),
            "changes": self.changes,
            "err_not_in_candidates": round(self.not_in_candidates / max(self.gold, 1), 4),
            "err_candidate_not_chosen": round(self.candidate_not_chosen / max(self.gold, 1), 4),
            "changed_wrongly": round(self.changed_wrongly / max(self.gold, 1), 4),
        }


def score_restore(
    original: str,
    spun: str,
    restored: str,
    subs: Sequence[Sub],
    n_changes: int = 0,
    has_candidate: Callable[[str, str], bool] | None = None,
) -> RestoreScore:
    """Score a restoration against the gold subs; `has_candidate(spun, original)` splits the misses."""
    o, s, r = words(original), words(spun), words(restored)
    ow, sw, rw = [w for w, _, _ in o], [w for w, _, _ in s], [w for w, _, _ in r]
    sc = RestoreScore(
        ref_words=len(ow),
        spun_errors=edit_distance(sw, ow),
        restored_errors=edit_distance(rw, ow),
        gold=len(subs),
        changes=n_changes,
    )
    o_kept = _kept_mask(ow, rw)  # original word survives in the restored text
    s_kept = _kept_mask(sw, rw)  # spun word left as it was by the restorer
    s_shared = _kept_mask(sw, ow)  # spun word that the original has too ("White" of "White Home")
    o_starts = np.array([st for _, st, _ in o], dtype=np.int64)
    s_starts = np.array([st for _, st, _ in s], dtype=np.int64)
    in_sub = np.zeros(len(o), dtype=bool)
    for sub in subs:
        oi = slice(int(np.searchsorted(o_starts, sub.orig_start)), int(np.searchsorted(o_starts, sub.orig_end)))
        si = slice(int(np.searchsorted(s_starts, sub.spun_start)), int(np.searchsorted(s_starts, sub.spun_end)))
        in_sub[oi] = True
        # Restored: every original word is back and every word the spinner brought in is gone.
        if o_kept[oi].all() and not (s_kept[si] & ~s_shared[si]).any():
            sc.restored += 1
            continue
        if not s_kept[si].all():
            sc.changed_wrongly += 1
        if has_candidate is not None and not has_candidate(sub.spun, sub.original):
            sc.not_in_candidates += 1
        else:
            sc.candidate_not_chosen += 1
        if len(sc.examples) < 10:
            sc.examples.append(
                {
                    "spun": sub.spun,
                    "original": sub.original,
                    "restored": " ".join(rw[j] for j in _aligned(ow, rw, oi)),
                }
            )
    sc.untouched = int((~in_sub).sum())
    sc.damaged = int((~in_sub & ~o_kept).sum())
    return sc


def _aligned(a: list[str], b: list[str], sl: slice) -> list[int]:
    """Indexes of `b` aligned to the tokens a[sl] (for showing what a missed substitution became)."""
    out: list[int] = []
    for _, i1, i2, j1, j2 in _opcodes(a, b):
        if i1 < sl.stop and i2 > sl.start or (i1 == i2 and sl.start <= i1 < sl.stop):
            out.extend(range(j1, j2))
    return out


def clean_changes(clean: str, restored: str) -> tuple[int, int]:
    """(words changed, words) when restoring clean, unspun text."""
    c = [w for w, _, _ in words(clean)]
    return edit_distance([w for w, _, _ in words(restored)], c), len(c)


# --- detection ------------------------------------------------------------------------------------


def roc_auc(labels: Iterable[int], scores: Iterable[float]) -> float:
    """Area under the ROC curve (Mann–Whitney, ties count half); nan without both classes."""
    y = np.asarray(list(labels), dtype=bool)
    s = np.asarray(list(scores), dtype=float)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_s = s[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_curve(labels: Iterable[int], scores: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates) over all thresholds, from (0, 0) to (1, 1)."""
    y = np.asarray(list(labels), dtype=bool)
    s = np.asarray(list(scores), dtype=float)
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    distinct = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1] if len(s) else np.array([], dtype=int)
    tps = np.cumsum(y)[distinct]
    fps = (distinct + 1) - tps
    tpr = np.r_[0.0, tps / max(int(y.sum()), 1)]
    fpr = np.r_[0.0, fps / max(int((~y).sum()), 1)]
    return fpr, tpr


def f1_at(labels: Iterable[int], scores: Iterable[float], threshold: float = 0.5) -> dict[str, float]:
    y = np.asarray(list(labels), dtype=bool)
    p = np.asarray(list(scores), dtype=float) >= threshold
    tp, fp, fn = int((y & p).sum()), int((~y & p).sum()), int((y & ~p).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0}


def expected_calibration_error(labels: Iterable[int], scores: Iterable[float], bins: int = 10) -> float:
    """Mean |observed share of spun − mean score| over equal-width score bins, weighted by bin size."""
    y = np.asarray(list(labels), dtype=float)
    s = np.asarray(list(scores), dtype=float)
    if not len(s):
        return float("nan")
    idx = np.minimum((s * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            err += m.sum() / len(s) * abs(y[m].mean() - s[m].mean())
    return float(err)


def span_overlap(pred: Sequence[tuple[int, int]], gold: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """(predicted spans overlapping some gold span, gold spans overlapped by some predicted span)."""

    def hits(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> int:
        return sum(any(s < e2 and s2 < e for s2, e2 in b) for s, e in a)

    return hits(pred, gold), hits(gold, pred)
