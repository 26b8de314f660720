"""Adapt: estimate a spinner's channel table from a corpus of its output alone, with no originals.

Decipherment over word types (after Knight et al. 2006; Ravi & Knight 2011): a spinner rewrites a word the
same way everywhere, so across a corpus the words it replaces go missing, its synonyms turn up over-represented,
and the language model prefers the missing word in the synonym's contexts. For every word or phrase type of the
corpus, the language-model evidence of all its occurrences (up to a cap) is pooled for each candidate original
from the lexicon, joined with the frequency anomalies of both sides against clean English (wordfreq), and a
conditional logit fitted on simulated spinners (`data/adapt.json`, `scripts/fit_adapt.py`) turns that into
P(original | spun form). A second round re-scores every type with the confident rewrites applied to its
contexts (hard EM: the contexts of a spun word are themselves spun), and, since a spinner's dictionary is a
function, no longer counts an original as missing where other forms already confidently account for it. The
probabilities are the table's `prob` column, what the decoder weighs a learned entry by; forms that look kept
get no entry.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kenlm
import numpy as np

from .errors import E, UnspinError
from .learn import ChannelTable, Entry, _inflections, group_key
from .params import read_json
from .restore import LN10, SHORTLIST, Decoder, Option
from .text import FUNCTION_WORDS, lm_form, sentences, tokenize

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("unspin")

# A corpus where fewer than this share of the documents score as spun (detect >= params.corpus_spun_score) gets no
# table: pooled, a clean corpus still yields "rewrites" (rare words next to common ones they resemble). Clean
# corpora score 3-16 % (BENCHMARKS.md, false alarms), a spinner's output at 15 % mostly 60-97 %. Scored on a sample.
MIN_SPUN_SHARE = 0.3
SHARE_SAMPLE = 200

# Features of a candidate original o for a spun type s; keep and "spun, original not among the candidates"
# have their own (see _rows). The order is the contract with the fitted weights in data/adapt.json.
OPTION_FEATURES = (
    "lm_mean",  # mean log-probability gain of o over s per occurrence (nats, clipped)
    "lm_q25",  # its lower quartile: an original fits nearly everywhere, a look-alike only sometimes
    "pos_share",  # share of occurrences where o reads better than s
    "ctx_mean",  # mean gain beyond what the unigram frequencies alone predict
    "lm_sum",  # summed gain over the occurrences scored (clipped, /4)
    "zipf_gain",  # (zipf(o) - zipf(s)) / 8
    "missing",  # log((count of o in the corpus + 1) / (count clean English predicts + 1)): inputs go missing
    "n_sources",
    "rank",
    "similarity",
    "len_diff",
    "oov",
    "builtin",
    "embed",
    "lm_mean_n",  # lm_mean * log(1 + occurrences scored): consistent evidence from many contexts
    "pos_n",  # (pos_share - 0.5) * log(1 + occurrences scored)
    "missing_pos",  # missing * pos_share: the missing word that also fits the contexts
    "best_lm",  # 1 for the option with the highest lm_mean of its type
    "corpus",  # proposed by the corpus (a word gone missing), not by the lexicon
    "contained",  # a word of the spun phrase itself ("state of war" <- "war": thesauri list such pairs)
    "balance",  # how far the expected counts of the type and o together are from the type's count
    "pair",  # min(how over-represented the type is, how missing o is), at least 0: both sides of one rewrite
    "bias",
)
# spread: documents holding the type against those a Poisson spread of its count would reach (a spinner's form
# is spread like its original, "commented" in every news story; a topical word clusters in a few documents).
KEEP_FEATURES = ("over", "zipf", "log_count", "oov", "spread", "over_spread")
OTHER_FEATURES = ("over", "log_count", "bias", "over_spread")
MAX_OCCURRENCES = 32  # occurrences of one type scored per round; more add little evidence and cost LM calls
MISSING_VOCAB = 30_000  # the most frequent English words: the ones whose absence from a corpus is noticed
CORPUS_CANDIDATES = 3  # missing words proposed per over-represented type
# A missing word of another inflection than the over-represented form is still proposed (spinners that ignore
# inflection write "lingual" for "said"), behind the same-inflection ones: this many log10 units per context.
TAG_MISMATCH = 0.5
OVER_PHRASES = True  # over-represented phrases the lexicon knows ("common man") get missing words proposed too
RESCORE_RIGHT = 30  # missing words shortlisted by the left context, re-scored with both sides
NEW_PHRASE_WORDS = 5  # longest phrase no lexicon lists that the corpus itself can propose as a spun form
NEW_PHRASE_OVER = math.log(20.0)  # how much more often than the LM predicts (after its first word) it must occur
MIN_PROB = 0.35  # entries less likely than this are left out: an entry switches its form to the learned weights


@dataclass
class AdaptParams:
    """Weights of the type-level logit over {kept, spun from an unlisted word, each candidate original}."""

    option_w: list[float] = field(default_factory=lambda: [
        0.6, 0.8, 1.0, 0.3, 0.2, 0.5, -0.6, 0.3, 0.5, 0.5, -0.5, -2.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0,
        0.0, 0.0, -4.0])
    keep_w: list[float] = field(default_factory=lambda: [-0.8, 1.0, 0.3, 0.0, 0.0, 0.0])
    other_w: list[float] = field(default_factory=lambda: [0.5, 0.0, -3.0, 0.0])
    min_prob: float = MIN_PROB
    fitted_on: str = "hand-set starting point (not fitted)"

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> AdaptParams:
        data = read_json("adapt.json", path)
        if data is None:
            return cls()
        p = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        if (len(p.option_w), len(p.keep_w), len(p.other_w)) != (
                len(OPTION_FEATURES), len(KEEP_FEATURES), len(OTHER_FEATURES)):
            return cls()  # weights of another feature set: the defaults are safer than a misaligned vector
        return p

    def save(self, path: str | os.PathLike[str]) -> None:
        data: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data.update(option_features=list(OPTION_FEATURES), keep_features=list(KEEP_FEATURES),
                    other_features=list(OTHER_FEATURES))
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


@dataclass
class TypeEvidence:
    """One spun word or phrase type across the corpus: where it occurs, its candidates and their features."""

    key: str
    occurrences: list[tuple[int, int, int]]  # (document, first token, end token)
    options: list[str] = field(default_factory=list)
    option_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, len(OPTION_FEATURES))))
    keep_row: np.ndarray = field(default_factory=lambda: np.zeros(len(KEEP_FEATURES)))
    other_row: np.ndarray = field(default_factory=lambda: np.zeros(len(OTHER_FEATURES)))
    posterior: np.ndarray = field(default_factory=lambda: np.ones(1))  # keep, other, options...

    @property
    def count(self) -> int:
        return len(self.occurrences)


@dataclass
class AdaptReport:
    """What adapt found: the table, and counts that say how much evidence it had."""

    table: ChannelTable
    documents: int
    words: int
    types_scored: int
    seconds: float
    types: list[TypeEvidence] = field(default_factory=list)
    spun_share: float = 1.0  # share of the (sampled) documents that detect scores >= params.corpus_spun_score
    declined: bool = False  # too few documents looked spun for the corpus to be a spinner's output

    def summary(self) -> str:
        if self.declined:
            return (f"no table: {100 * self.spun_share:.0f} % of {self.documents} documents look spun "
                    f"(a spinner's corpus needs {100 * MIN_SPUN_SHARE:.0f} %)")
        probs = [e.prob for v in self.table.entries.values() for e in v]
        sure = sum(p >= 0.8 for p in probs)
        likely = sum(0.5 <= p < 0.8 for p in probs)
        return (f"{len(self.table)} rewrites of {len(self.table.entries)} spun forms from {self.documents} documents "
                f"({self.words} words, {self.types_scored} types scored, {self.seconds:.0f} s); "
                f"prob >= 0.8: {sure}, 0.5-0.8: {likely}, below: {len(probs) - sure - likely}")


class _Doc:
    __slots__ = ("forms", "sent", "reading", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.forms = [lm_form(t.text) for t in self.tokens]
        self.sent = [0] * len(self.tokens)
        for s, (a, b) in enumerate(sentences(self.tokens)):
            for k in range(a, b):
                self.sent[k] = s
        self.reading: list[list[str]] = [[f] for f in self.forms]


class Adapter:
    """Estimates channel tables from unpaired spun documents with an engine's lexicon and language model."""

    def __init__(self, engine: Engine | None = None, params: AdaptParams | None = None,
                 max_occurrences: int = MAX_OCCURRENCES, rounds: int = 2, corpus_candidates: bool = True,
                 explain_away: bool = True, min_spun_share: float = MIN_SPUN_SHARE, new_phrases: bool = True) -> None:
        from .engine import Engine

        self.engine = engine if engine is not None else Engine()
        self.params = params if params is not None else AdaptParams.load()
        # A decoder of our own with no learned tables: candidates come from the lexicon alone.
        self.decoder = Decoder(self.engine.lexicon, self.engine.lm, [], self.engine.params,
                               exclude_sources=self.engine.decoder.exclude, vectors=self.engine.vectors)
        self.max_occurrences = max_occurrences
        self.rounds = rounds
        self.corpus_candidates = corpus_candidates
        self.explain_away = explain_away
        self.min_spun_share = min_spun_share
        self.new_phrases = new_phrases
        self._unigrams: Counter[str] = Counter()
        self._phrases: Counter[str] = Counter()
        self._n_words = 1
        self._n_docs = 1
        self._extra: dict[str, list[Option]] = {}
        self._marks: dict[int, set[int]] = {}

    # -- public -------------------------------------------------------------------------------------------
    def adapt(self, texts: Iterable[str], name: str = "adapted") -> AdaptReport:
        """Estimate the spinner's table from `texts` (documents presumed to come from one spinner)."""
        t0 = time.perf_counter()
        texts = [t for t in texts if t and t.strip()]
        share = self.spun_share(texts) if self.min_spun_share > 0 else 1.0
        if share < self.min_spun_share:
            rep = AdaptReport(ChannelTable(name=name), len(texts), sum(len(t.split()) for t in texts), 0,
                              time.perf_counter() - t0, spun_share=share, declined=True)
            log.info("adapt: %s", rep.summary())
            return rep
        docs, types = self.evidence(texts)
        for r in range(self.rounds):
            if r > 0 and self.explain_away:
                self._explain_away(types)
            self.decide(types)
            if r + 1 < self.rounds and not self._reread(docs, types):
                break
            if r + 1 < self.rounds:
                self._score(docs, types, rescore=True)
        table = self.table(types, name)
        words = sum(sum(t.is_word for t in d.tokens) for d in docs)
        rep = AdaptReport(table, len(docs), words, len(types), time.perf_counter() - t0, types, share)
        log.info("adapt: %s", rep.summary())
        return rep

    def spun_share(self, texts: list[str]) -> float:
        """Share of the documents (an even sample of at most SHARE_SAMPLE) that detect scores as spun."""
        if not texts:
            return 0.0
        step = max(1, len(texts) // SHARE_SAMPLE)
        sample = texts[::step][:SHARE_SAMPLE]
        at = self.engine.params.corpus_spun_score
        return sum(self.engine.detect(t).spin_score >= at for t in sample) / len(sample)

    def evidence(self, texts: Iterable[str]) -> tuple[list[_Doc], list[TypeEvidence]]:
        """Tokenise the corpus, gather every type with candidates, and score them (first round)."""
        docs = [_Doc(t) for t in texts if t and t.strip()]
        occ: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        self._unigrams = Counter()
        for n, d in enumerate(docs):
            self._unigrams.update(f for f, t in zip(d.forms, d.tokens, strict=True) if t.is_word)
            for key, where in self.decoder.spans(d.text, d.tokens, d.forms).items():
                occ[key].extend((n, i, j) for i, j in where)
        self._n_words = max(1, sum(self._unigrams.values()))
        self._n_docs = max(1, len(docs))
        types = []
        self._extra = {}
        if self.corpus_candidates:
            if self.new_phrases:
                occ.update(self._new_phrases(docs, occ))
            self._extra = self._missing_candidates(docs, occ)
        for key, found in occ.items():
            if any(c.isdigit() for c in key):
                continue
            opts = self._options(key)
            if opts:
                types.append(TypeEvidence(key, found, [o.original for o in opts]))
        self._phrase_counts(docs, types)
        self._score(docs, types, rescore=False)
        return docs, types

    def decide(self, types: list[TypeEvidence]) -> None:
        """Posterior over {kept, spun from an unlisted word, each option} for every type."""
        w = np.asarray(self.params.option_w)
        kw = np.asarray(self.params.keep_w)
        ow = np.asarray(self.params.other_w)
        for t in types:
            sc = np.concatenate(([t.keep_row @ kw, t.other_row @ ow], t.option_rows @ w))
            sc -= sc.max()
            p = np.exp(sc)
            t.posterior = p / p.sum()

    def table(self, types: list[TypeEvidence], name: str = "adapted") -> ChannelTable:
        """Entries for options at least `min_prob` likely, plus unseen inflections of confident one-word entries."""
        entries: dict[str, list[Entry]] = defaultdict(list)
        seen = {t.key for t in types}
        general: dict[str, Entry] = {}
        for t in types:
            for k, o in enumerate(t.options):
                p = float(t.posterior[k + 2])
                if p < self.params.min_prob:
                    continue
                entries[t.key].append(Entry(t.key, o, round(p * t.count, 3), p))
                if p >= 0.5:
                    for gs, go in _inflections(t.key, o):
                        if gs not in seen and gs != go and (gs not in general or general[gs].prob < p / 2):
                            general[gs] = Entry(gs, go, 0.0, p / 2)  # never seen here: half the confidence
        for gs, e in general.items():
            entries[gs].append(e)
        for v in entries.values():
            v.sort(key=lambda e: -e.prob)
        return ChannelTable(dict(entries), name=name)

    # -- evidence ----------------------------------------------------------------------------------------
    def _options(self, key: str) -> list[Option]:
        opts = self.decoder.options(key, self.engine.params.max_candidates)
        extra = self._extra.get(key, [])
        if " " in key:
            # The decoder never reads a phrase as one of its own words (spinners swap words, they do not add
            # modifiers), but thesauri list "state of war" for "war": a spinner that used it leaves the phrase
            # over-represented and the word missing outside it, which the corpus shows.
            extra = extra + [Option(w, 0, 0.0, 0.0, self._zipf(w)) for w in dict.fromkeys(key.split())
                             if w.isalpha() and len(w) > 2 and w not in FUNCTION_WORDS and self.decoder._in_lm(w)]
        if extra:
            have = {o.original for o in opts}
            opts = opts + [o for o in extra if o.original not in have]
        return opts

    def _missing_candidates(self, docs: list[_Doc],
                            occ: dict[str, list[tuple[int, int, int]]]) -> dict[str, list[Option]]:
        """Words clean English would use here that the corpus lacks, proposed for its over-represented words.

        A spinner's inputs go missing from its output; a missing word of the same inflection that the language
        model prefers in an over-represented word's contexts is a candidate even if no thesaurus lists the pair.
        """
        from wordfreq import top_n_list

        from .lexicon._morph import Morph

        morph = Morph()
        tags_of: dict[str, frozenset[str]] = {}

        def tags(w: str) -> frozenset[str]:
            got = tags_of.get(w)
            if got is None:
                got = frozenset(t for upos, lemmas in morph.lemmas(w).items() for lm in lemmas
                                for t, forms in morph.table(lm, upos).items() if w in forms)
                tags_of[w] = got
            return got

        missing = [w for w in top_n_list("en", MISSING_VOCAB)
                   if w.isalpha() and w.islower() and len(w) > 2 and self._expected(w) >= 3.0
                   and self._count(w) <= 0.25 * self._expected(w) and self.decoder._in_lm(w) and tags(w)]
        def over_represented(k: str, n: int) -> bool:
            if " " in k:  # phrases are not counted yet (_phrase_counts): their occurrences are their count
                return (OVER_PHRASES and all(w.isalpha() for w in k.split())
                        and math.log((n + 1.0) / (self._expected(k) + 1.0)) >= math.log(2.0))
            return k.isalpha() and self._anomaly(k) >= math.log(2.0) and bool(tags(k))

        over = [k for k, where in occ.items() if len(where) >= 3 and over_represented(k, len(where))]
        if not missing or not over:
            return {}
        model = self.decoder.lm.model
        order = self.decoder.lm.order
        out: dict[str, list[Option]] = {}
        st, st2 = kenlm.State(), kenlm.State()
        for key in over:
            kt = tags(key)
            cands = [w for w in missing if w != key]
            if not cands:
                continue
            score = np.array([0.5 * -self._anomaly(w) for w in cands])
            sample = self._sample(occ[key])[:6]
            score -= np.array([0.0 if tags(w) & kt else TAG_MISMATCH * len(sample) for w in cands])
            for n, i, _ in sample:
                d = docs[n]
                left, bos = Decoder._left(d.reading, d.sent, i, order - 1)
                base = Decoder.left_state(model, left, bos)
                if " " in key:
                    ref = Decoder._tail(model, base, key.split(), [], False, st, st2)
                else:
                    ref = model.BaseScore(base, key, st)
                score += np.array([model.BaseScore(base, w, st) - ref for w in cands])
            best = np.argsort(-score, kind="stable")[:CORPUS_CANDIDATES]
            if RESCORE_RIGHT:
                # The left context alone shortlists; both sides choose ("lingual" <- "said" shows after the quote).
                short = np.argsort(-score, kind="stable")[:RESCORE_RIGHT]
                full = np.array([0.0 if tags(cands[c]) & kt else -TAG_MISMATCH * len(sample) for c in short])
                full += np.array([0.5 * -self._anomaly(cands[c]) for c in short])
                for n, i, j in sample:
                    d = docs[n]
                    left, bos = Decoder._left(d.reading, d.sent, i, order - 1)
                    right, eos = Decoder._right(d.reading, d.sent, j, order - 1)
                    base = Decoder.left_state(model, left, bos)
                    full += np.array([Decoder._tail(model, base, [cands[c]], right, eos, st, st2) for c in short])
                best = short[np.argsort(-full, kind="stable")[:CORPUS_CANDIDATES]]
            out[key] = [Option(cands[c], 0, 0.0, 0.0, self._zipf(cands[c])) for c in best]
        log.debug("adapt: %d missing words proposed for %d over-represented types", len(missing), len(out))
        return out

    def _new_phrases(self, docs: list[_Doc], occ: dict[str, list[tuple[int, int, int]]]
                     ) -> dict[str, list[tuple[int, int, int]]]:
        """Phrases no lexicon lists that the corpus repeats far more often than the language model expects.

        A farm's own dictionary writes "owing to the fact that" for "because": the phrase is a type like any other,
        its originals proposed from the words gone missing. Counted level by level (a phrase only where its prefix
        repeats), and a phrase inside a longer one that holds most of its occurrences gives way to it.
        """
        model = self.decoder.lm.model
        where: dict[str, list[tuple[int, int, int]]] = {}
        frontier: set[str] | None = None
        for size in range(2, NEW_PHRASE_WORDS + 1):
            found: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
            for n, d in enumerate(docs):
                toks, f = d.tokens, d.forms
                for i in range(len(toks) - size + 1):
                    ok = True
                    for j in range(i, i + size):
                        if not (toks[j].is_word and f[j].isalpha()):
                            ok = False
                            break
                        if j > i:
                            gap = d.text[toks[j - 1].end : toks[j].start]
                            if not gap or not gap.isspace() or "\n" in gap:
                                ok = False
                                break
                    if not ok:
                        continue
                    key = " ".join(f[i : i + size])
                    if frontier is not None and key.rsplit(" ", 1)[0] not in frontier:
                        continue
                    found[key].append((n, i, i + size))
            found = {k: v for k, v in found.items() if len(v) >= 3}
            frontier = set(found)
            where.update(found)
            if not found:
                break
        st_a, st_b = kenlm.State(), kenlm.State()
        over: dict[str, float] = {}
        for key, at in where.items():
            if key in occ:
                continue
            words = key.split()
            # One content word among function words ("healthy to") is a word in its usual company: the word's own
            # type stands for it; a farm's phrase rewrites more than one word's worth ("really quite").
            if sum(w not in FUNCTION_WORDS for w in words) < 2:
                continue
            base = Decoder.left_state(model, words[:1], False)
            p = Decoder._tail(model, base, words[1:], [], False, st_a, st_b) * LN10
            expected = self._unigrams.get(words[0], 0) * math.exp(p)
            ratio = math.log((len(at) + 1.0) / (expected + 1.0))
            # Both the LM and clean English word frequencies must find it over-represented: news repeats "this year".
            if ratio < NEW_PHRASE_OVER or math.log((len(at) + 1.0) / (self._expected(key) + 1.0)) < math.log(4.0):
                continue
            # "he commented" repeats because "commented" does: a word over-represented outside the phrase explains it.
            if any(math.log((max(0, self._unigrams.get(w, 0) - len(at) * words.count(w)) + 1.0)
                            / (self._expected(w) + 1.0))
                   >= math.log(4.0) for w in words):
                continue
            over[key] = ratio
        # A phrase inside a longer over-represented one that holds most of its occurrences gives way to it.
        inside: set[str] = set()
        for o in [*over, *(k for k, at in occ.items() if " " in k and len(at) >= 3)]:
            w = o.split()
            for a in range(len(w)):
                for b in range(a + 1, len(w) + 1):
                    g = " ".join(w[a:b])
                    if b - a < len(w) and g in over and len(where.get(o) or occ[o]) >= 0.7 * len(where[g]):
                        inside.add(g)
        keep = {k: where[k] for k in over if k not in inside}
        log.debug("adapt: %d repeated phrases, %d over-represented, %d kept", len(where), len(over), len(keep))
        return keep

    def _zipf(self, phrase: str) -> float:
        return self.decoder._zipf(phrase)

    def _expected(self, phrase: str) -> float:
        return self._n_words * 10.0 ** (self._zipf(phrase) - 9.0) if phrase else 0.0

    def _count(self, phrase: str) -> int:
        return self._unigrams.get(phrase, 0) if " " not in phrase else self._phrases.get(phrase, 0)

    def _anomaly(self, phrase: str, inside: str = "", extra: float = 0.0) -> float:
        """log((observed + 1) / (expected in clean English + 1)), clipped: < 0 missing, > 0 over-represented.

        With `inside`, the occurrences of `phrase` within the phrase `inside` are not counted; `extra`
        occurrences are added (those other spun forms already account for).
        """
        count: float = self._count(phrase)
        if inside:
            count = max(0, count - self._count(inside) * inside.split().count(phrase))
        return max(-6.0, min(6.0, math.log((count + extra + 1.0) / (self._expected(phrase) + 1.0))))

    def _explain_away(self, types: list[TypeEvidence]) -> None:
        """A missing word explains one spun form: count the occurrences other forms confidently claim as its own.

        A spinner's dictionary is a function, so an original that went missing because it became "state of war"
        is no evidence that "conflict" stood for it too. Only claims larger than the type's own (posterior times
        occurrences) count: a form seen 600 times that reads as "said" everywhere keeps the missing "said" even
        when a phrase seen 9 times claims it more confidently.
        """
        f = {name: i for i, name in enumerate(OPTION_FEATURES)}
        claims: dict[str, list[float]] = defaultdict(list)
        for t in types:
            for k, o in enumerate(t.options):
                p = float(t.posterior[k + 2])
                if p >= 0.5:
                    claims[o].append(p * t.count)
        for t in types:
            for k, o in enumerate(t.options):
                own = float(t.posterior[k + 2]) * t.count
                other = sum(m for m in claims.get(o, ()) if m > own)
                if other < 0.5:
                    continue
                inside = t.key if " " in t.key and o in t.key.split() else ""
                row = t.option_rows[k]
                row[f["missing"]] = self._anomaly(o, inside, other)
                row[f["missing_pos"]] = row[f["missing"]] * row[f["pos_share"]]
                row[f["pair"]] = max(0.0, min(self._anomaly(t.key), -row[f["missing"]]))

    def _balance(self, spun: str, original: str) -> float:
        """-|log((expected count of spun + expected count of original + 1) / (count of spun + 1))|, at least -6.

        A spinner moves all of an original's occurrences to its spun form: the two expected counts together
        should explain what the corpus holds of the form, neither far more nor far less.
        """
        total = self._expected(spun) + self._expected(original) + 1.0
        return max(-6.0, -abs(math.log(total / (self._count(spun) + 1.0))))

    def _phrase_counts(self, docs: list[_Doc], types: list[TypeEvidence]) -> None:
        want: dict[int, set[str]] = defaultdict(set)
        for t in types:
            for o in (t.key, *t.options):
                if " " in o:
                    want[o.count(" ") + 1].add(o)
        self._phrases = Counter()
        for n, phrases in want.items():
            for d in docs:
                f = d.forms
                for i in range(len(f) - n + 1):
                    g = " ".join(f[i : i + n])
                    if g in phrases:
                        self._phrases[g] += 1

    def _sample(self, occ: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        if len(occ) <= self.max_occurrences:
            return occ
        step = len(occ) / self.max_occurrences  # spread over the corpus, not the first documents
        return [occ[int(k * step)] for k in range(self.max_occurrences)]

    def _score(self, docs: list[_Doc], types: list[TypeEvidence], rescore: bool) -> None:
        model = self.decoder.lm.model
        order = self.decoder.lm.order
        st_a, st_b = kenlm.State(), kenlm.State()
        tail = Decoder._tail
        for t in types:
            use = self._sample(t.occurrences)
            if rescore and not any(self._near_change(n, i, j, order) for n, i, j in use):
                continue
            contexts = []
            for n, i, j in use:
                d = docs[n]
                left, bos = Decoder._left(d.reading, d.sent, i, order - 1)
                right, eos = Decoder._right(d.reading, d.sent, j, order - 1)
                base = Decoder.left_state(model, left, bos)
                contexts.append((base, right, eos))
            spun_words = t.key.split()
            opts = self._options(t.key)
            if not rescore and len(opts) > SHORTLIST:
                pre = np.zeros(len(opts))
                for base, _, _ in contexts[:6]:
                    ref = tail(model, base, spun_words, [], False, st_a, st_b)
                    for c, o in enumerate(opts):
                        pre[c] += tail(model, base, o.original.split(), [], False, st_a, st_b) - ref
                # The corpus may be missing a word entirely: keep the candidates it lacks in the shortlist.
                pre += np.array([0.5 * max(0.0, -self._anomaly(o.original)) for o in opts])
                # A phrase's own words are scored beyond the shortlist: they read well in its contexts by design.
                own = [c for c, o in enumerate(opts) if o.original in spun_words]
                rest = [c for c in np.argsort(-pre, kind="stable") if c not in own][:SHORTLIST]
                keep_idx = sorted(rest) + own
                opts = [opts[c] for c in keep_idx]
            elif rescore:
                by_name = {o.original: o for o in opts}
                opts = [by_name[o] for o in t.options if o in by_name]
            gains = np.zeros((len(opts), len(use)))
            for k, (base, right, eos) in enumerate(contexts):
                ref = tail(model, base, spun_words, right, eos, st_a, st_b)
                for c, o in enumerate(opts):
                    gains[c, k] = tail(model, base, o.original.split(), right, eos, st_a, st_b) - ref
            gains = np.clip(gains * LN10, -15.0, 15.0)
            t.options = [o.original for o in opts]
            t.option_rows, t.keep_row, t.other_row = self._rows(t, opts, gains)

    def _rows(self, t: TypeEvidence, opts: list[Any], gains: np.ndarray) -> tuple[np.ndarray, ...]:
        f = {name: i for i, name in enumerate(OPTION_FEATURES)}
        zs = self._zipf(t.key)
        n_spun = t.key.count(" ") + 1
        rows = np.zeros((len(opts), len(OPTION_FEATURES)))
        over = self._anomaly(t.key)
        if len(opts):
            prior = np.clip(np.array([(o.zipf - zs) * LN10 for o in opts]), -15.0, 15.0)
            rows[:, f["lm_mean"]] = gains.mean(axis=1)
            rows[:, f["lm_q25"]] = np.quantile(gains, 0.25, axis=1)
            rows[:, f["pos_share"]] = (gains > 0).mean(axis=1)
            rows[:, f["ctx_mean"]] = (gains - prior[:, None]).mean(axis=1)
            rows[:, f["lm_sum"]] = np.clip(gains.sum(axis=1), -40.0, 40.0) / 4.0
            logn = math.log1p(gains.shape[1])
            rows[:, f["lm_mean_n"]] = rows[:, f["lm_mean"]] * logn
            rows[:, f["pos_n"]] = (rows[:, f["pos_share"]] - 0.5) * logn
            rows[int(np.argmax(rows[:, f["lm_mean"]])), f["best_lm"]] = 1.0
        for c, o in enumerate(opts):
            r = rows[c]
            r[f["zipf_gain"]] = (o.zipf - zs) / 8.0
            contained = n_spun > 1 and o.original in t.key.split()
            r[f["missing"]] = self._anomaly(o.original, t.key if contained else "")
            r[f["n_sources"]] = bin(o.sources & 31).count("1") / 2.0
            r[f["rank"]] = o.rank
            r[f["similarity"]] = o.similarity
            r[f["len_diff"]] = (o.original.count(" ") + 1 if o.original else 0) - n_spun
            r[f["oov"]] = float(not self.decoder._in_lm(o.original)) if o.original else 0.0
            r[f["builtin"]] = float(bool(o.sources & 16))
            r[f["embed"]] = float(bool(o.sources & 8))
            r[f["corpus"]] = float(o.sources == 0 and not contained)
            r[f["contained"]] = float(contained)
            r[f["balance"]] = self._balance(t.key, o.original)
            r[f["missing_pos"]] = r[f["missing"]] * r[f["pos_share"]]
            r[f["pair"]] = max(0.0, min(over, -r[f["missing"]]))
            r[f["bias"]] = 1.0
        spread = self._spread(t)
        keep = np.array([over, zs / 8.0, math.log1p(t.count), float(not self.decoder._in_lm(t.key)), spread,
                         over * spread])
        other = np.array([over, math.log1p(t.count), 1.0, over * spread])
        return rows, keep, other

    def _spread(self, t: TypeEvidence) -> float:
        """Documents holding the type / documents a Poisson spread of its occurrences would reach, at most 1."""
        n = self._n_docs
        expected = n * (1.0 - math.exp(-t.count / n))
        return min(1.0, len({d for d, _, _ in t.occurrences}) / max(expected, 1e-9))

    # -- hard EM: re-read the corpus with the confident rewrites applied ---------------------------------
    def _reread(self, docs: list[_Doc], types: list[TypeEvidence]) -> bool:
        for d in docs:
            d.reading = [[f] for f in d.forms]
        changed = False
        marks: dict[int, set[int]] = defaultdict(set)
        for t in sorted(types, key=lambda t: -float(t.posterior[2:].max(initial=0.0))):
            if len(t.options) == 0:
                continue
            b = int(np.argmax(t.posterior[2:]))
            p = float(t.posterior[b + 2])
            if p < 0.5 or p <= t.posterior[0]:
                continue
            words = t.options[b].split()
            for n, i, j in t.occurrences:
                if any(k in marks[n] for k in range(i, j)):
                    continue
                d = docs[n]
                d.reading[i] = words
                for k in range(i + 1, j):
                    d.reading[k] = []
                marks[n].update(range(i, j))
                changed = True
        self._marks = dict(marks)
        return changed

    def _near_change(self, n: int, i: int, j: int, order: int) -> bool:
        marks = self._marks.get(n, set())
        return any(k in marks for k in range(i - order + 1, j + order - 1))


def adapt(texts: Iterable[str], engine: Engine | None = None, name: str = "adapted") -> ChannelTable:
    """Estimate a spinner's channel table from its output alone (documents presumed from one spinner)."""
    return Adapter(engine).adapt(texts, name).table


# --- corpus input -----------------------------------------------------------------------------------------

def read_corpus(path: str | os.PathLike[str], text_field: str = "text",
                group_by: str | None = None) -> Iterator[tuple[str, str]]:
    """Yield (group value, text) for each row of a JSON Lines corpus (plain, .gz or - for standard input).

    Rows without the text field, or (with `group_by`) without the group field, are skipped and logged.
    """
    p = str(path)
    try:
        if p == "-":
            import io
            import sys

            f: Any = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
        else:
            f = gzip.open(p, "rt", encoding="utf-8") if p.endswith(".gz") else open(p, encoding="utf-8")
    except OSError as exc:
        raise UnspinError(E.NOT_FOUND.format(path=path, detail=exc.strerror or exc)) from None
    skipped = 0
    n = 0
    try:
        with f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise UnspinError(E.BAD_CORPUS.format(path=path, detail=f"line {n}: {exc}")) from None
                if not isinstance(row, dict):
                    raise UnspinError(E.BAD_CORPUS.format(path=path, detail=f"line {n}: not a JSON object"))
                text = row.get(text_field)
                group = group_key(row.get(group_by)) if group_by else ""
                if not isinstance(text, str) or group is None:
                    skipped += 1
                    continue
                yield group, text
    except (EOFError, OSError, UnicodeDecodeError) as exc:
        raise UnspinError(E.BAD_CORPUS.format(path=path, detail=f"{exc} after line {n}")) from None
    if skipped:
        log.warning("%s: %d rows without a usable %r%s field skipped", path, skipped, text_field,
                    f" or {group_by!r}" if group_by else "")


def adapt_file(corpus: str | os.PathLike[str], out: str | os.PathLike[str], text_field: str = "text",
               group_by: str | None = None, engine: Engine | None = None) -> list[AdaptReport]:
    """Write one table to `out`, or with `group_by` one table per group into directory `out` (groups.json)."""
    from .learn import write_channel_dir

    groups: dict[str, list[str]] = defaultdict(list)
    for group, text in read_corpus(corpus, text_field, group_by):
        groups[group].append(text)
    if not any(t.strip() for texts in groups.values() for t in texts):
        what = f"{text_field!r}" + (f" and {group_by!r} fields" if group_by else " field")
        raise UnspinError(E.BAD_CORPUS.format(path=corpus, detail=f"no document with a non-empty {what}"))
    adapter = Adapter(engine)
    reports = {}
    for group in sorted(groups):
        reports[group] = adapter.adapt(groups[group], name=group or Path(out).name)
        log.info("group %r: %s", group, reports[group].summary())
    if group_by:
        write_channel_dir({g: r.table for g, r in reports.items()}, out)
    else:
        reports[""].table.save(out)
    return list(reports.values())
