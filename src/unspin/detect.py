"""Document spin probability and suspicious spans, read off the same type decisions the restorer makes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .restore import Analysis, TypeDecision, never_written

SPAN_THRESHOLD = 0.5
SUSPECT_MIN = 0.01  # below this a type's suspicion is not worth checking
_SOURCE_NAMES = ((1, "WordNet"), (2, "LibreOffice"), (4, "Moby"), (8, "embeddings"), (16, "spinner table"))


@dataclass(frozen=True, slots=True)
class Span:
    """A suspicious span at [start, end) of the input, with the probability it was substituted and why."""

    start: int
    end: int
    text: str
    score: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        # The JSON contract has no "reason" field; the reason is for people (text output, API, web page).
        return {"start": self.start, "end": self.end, "text": self.text, "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class DetectResult:
    """A calibrated probability that the document was spun, its verdict, and the suspicious spans."""

    spin_score: float
    verdict: str
    spans: list[Span]

    def to_dict(self) -> dict[str, Any]:
        return {
            "spin_score": round(self.spin_score, 4),
            "verdict": self.verdict,
            "spans": [s.to_dict() for s in self.spans],
        }


def features_of_views(views: Sequence[tuple[np.ndarray, float]]) -> np.ndarray:
    """The detector's feature vector from the token views of a document's segments."""
    p = np.concatenate([pt for pt, _ in views]) if views else np.zeros(0)
    return features_from(p, sum(g for _, g in views))


def token_view(an: Analysis) -> tuple[np.ndarray, float]:
    """P(substituted) of every word token (the likeliest covering type), and the summed LM gain of changes."""
    best = [0.0] * len(an.tokens)  # a list: per-token numpy slices cost more than the maxima they take
    gain = 0.0
    for d in an.types:
        p = suspicion(d, an)
        for i, j in d.occurrences:
            for k in range(i, j):
                if p > best[k]:
                    best[k] = p
        if d.best >= 0 and d.margin > 0 and p == d.p_spun:
            gain += max(0.0, float(d.features[d.best, 1])) * len(d.occurrences)
    return np.array([b for b, t in zip(best, an.tokens, strict=True) if t.is_word], dtype=np.float64), gain


def suspicion(d: TypeDecision, an: Analysis) -> float:
    """P(substituted) of a type, less its best reading's share when restore would never write that reading
    (a respelling, a guess at a name: restore.never_written), since such a reading is no evidence of spinning."""
    p = d.p_spun
    if d.best >= 0 and p >= SUSPECT_MIN and never_written(d, an.text, an.tokens):
        p = max(0.0, p - d.p_best)
    return p


def features_from(p_words: np.ndarray, gain: float) -> np.ndarray:
    n = len(p_words)
    if not n:
        return np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    return np.array([p_words.mean(), float((p_words > 0.5).mean()), float((p_words > 0.8).mean()),
                     gain / n / 10.0, math.log1p(n) / 10.0, 1.0])


def spin_probability(features: np.ndarray, weights: Sequence[float]) -> float:
    z = float(features @ np.asarray(weights))
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def reason(d: TypeDecision) -> str:
    if d.best < 0:
        return "unusual here, but no candidate original fits clearly better"
    o = d.options[d.best]
    srcs = [name for bit, name in _SOURCE_NAMES if o.sources & bit]
    if o.learned_p > 0:
        srcs.insert(0, "learned channel table")
    gain = float(d.features[d.best, 1])
    return (
        f"a known substitute for '{o.original}' ({', '.join(srcs) or 'lexicon'}); "
        f"the language model prefers '{o.original}' here by {gain:.1f} nats per occurrence"
    )


def spans(analyses: Sequence[Analysis], threshold: float = SPAN_THRESHOLD) -> list[Span]:
    out: list[Span] = []
    for an in analyses:
        taken: set[int] = set()
        scored = [(p, d) for d in an.types if d.p_spun >= threshold and (p := suspicion(d, an)) >= threshold]
        for p, d in sorted(scored, key=lambda x: -x[0]):
            why = reason(d)
            for i, j in d.occurrences:
                if any(k in taken for k in range(i, j)):
                    continue
                taken.update(range(i, j))
                s, e = an.tokens[i].start, an.tokens[j - 1].end
                out.append(Span(s + an.offset, e + an.offset, an.text[s:e], p, why))
    out.sort(key=lambda s: s.start)
    return out
