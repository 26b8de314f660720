"""Document spin probability and suspicious spans, read off the same type decisions the restorer makes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .lm import NgramLM
from .restore import Analysis, TypeDecision, unwritten
from .text import FUNCTION_WORDS

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


class TokenView(NamedTuple):
    """What detect reads off one segment: P(substituted) of every word token (the likeliest covering type), the
    summed LM gain of the changes the decoder would make, the summed suspicion and number of the types it
    weighed (P(spun) >= SUSPECT_MIN), and the number of content and function words (`word_logp`) and the LM's
    summed log10 probabilities of each in context."""

    p: np.ndarray
    gain: float
    type_p: float
    types: int
    content: int = 0
    content_logp: float = 0.0
    function: int = 0
    function_logp: float = 0.0


def features_of_views(views: Sequence[TokenView]) -> np.ndarray:
    """The detector's feature vector from the token views of a document's segments."""
    p = np.concatenate([v.p for v in views]) if views else np.zeros(0)
    content, function = sum(v.content for v in views), sum(v.function for v in views)
    logp = 0.0
    if content and function:
        logp = sum(v.content_logp for v in views) / content - sum(v.function_logp for v in views) / function
    return features_from(p, sum(v.gain for v in views), sum(v.type_p for v in views), sum(v.types for v in views),
                         logp)


def word_logp(an: Analysis, lm: NgramLM) -> tuple[int, float, int, float]:
    """(content words, their summed LM log10 probability in context, function words, theirs).

    Content words are the lower-case words the LM knows that are not FUNCTION_WORDS. A substitute, whatever
    dictionary it came from, is seldom the word the context predicts: a lexicon-free sign of spinning. Text unlike
    the LM's lowers both means, so detect reads their difference.
    """
    lattice = an.lattice
    if lattice is None:  # the decoder's analyses always keep theirs
        return 0, 0.0, 0, 0.0
    tokens, forms, bounds = lattice.tokens, lattice.forms, lattice.bounds
    full_scores = lm.model.full_scores
    content = function = 0
    content_logp = function_logp = 0.0
    k = 0
    while k < len(tokens):
        a, b = bounds[k]
        b = max(b, k + 1)
        for t, f, (lp, _, oov) in zip(tokens[a:b], forms[a:b], full_scores(" ".join(forms[a:b])), strict=False):
            if not f.isalpha():
                continue
            if f in FUNCTION_WORDS:
                function += 1
                function_logp += lp
            elif not oov and not t.text[0].isupper():
                content += 1
                content_logp += lp
        k = b
    return content, content_logp, function, function_logp


def token_view(an: Analysis, lm: NgramLM) -> TokenView:
    best = [0.0] * len(an.tokens)  # a list: per-token numpy slices cost more than the maxima they take
    gain = type_p = 0.0
    types = 0
    for d in an.types:
        p = suspicion(d, an)
        if d.p_spun >= SUSPECT_MIN:
            type_p += p
            types += 1
        for i, j in d.occurrences:
            for k in range(i, j):
                if p > best[k]:
                    best[k] = p
        if d.best >= 0 and d.margin > 0 and p == d.p_spun:
            gain += max(0.0, float(d.features[d.best, 1])) * len(d.occurrences)
    p_words = np.array([b for b, t in zip(best, an.tokens, strict=True) if t.is_word], dtype=np.float64)
    return TokenView(p_words, gain, type_p, types, *word_logp(an, lm))


def suspicion(d: TypeDecision, an: Analysis) -> float:
    """P(substituted) of a type, less the share of the readings restore never writes (a respelling, a guess at a
    name: restore.unwritten), since such readings are no evidence of spinning."""
    p = d.p_spun
    if p >= SUSPECT_MIN:
        for k in unwritten(d, an.text, an.tokens):
            p -= float(d.posterior[k + 1])
    return max(0.0, p)


def features_from(p_words: np.ndarray, gain: float, type_p: float = 0.0, types: int = 0,
                  logp: float = 0.0) -> np.ndarray:
    # type_mean_p: how suspicious the types the decoder weighed are on average. News and other text unlike the
    # LM's Wikipedia raise many types a little (more of them per word, each weakly: clean BBC news 0.25 weighed
    # types per word, clean Wikipedia 0.21); a spinner's substitutions raise few types a lot.
    # content_logp: the mean LM log10 probability of content words less that of function words.
    n = len(p_words)
    if not n:
        return np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    return np.array([p_words.mean(), float((p_words > 0.5).mean()), float((p_words > 0.8).mean()),
                     gain / n / 10.0, math.log1p(n) / 10.0, type_p / types if types else 0.0, logp, 1.0])


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
