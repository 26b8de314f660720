"""Noisy-channel restoration: a lattice of candidate originals over word spans, decided per spun word type.

A spinner rewrites every occurrence of a word the same way, so the decoder pools the language-model evidence
of all occurrences of a spun form before choosing its original, and scores options with a conditional logit
whose weights (`params.json`) were fitted on simulated spinners: P(option) ∝ exp(w · features).
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, Final

import kenlm
import numpy as np

from .learn import GLUE_WORDS
from .lexicon import Source
from .names import Names, name_run, renamed
from .params import CANDIDATE_FEATURES, Params
from .text import Token, is_name, lm_form, match_case_phrase, names, sentences, starts_sentence, tokenize

if TYPE_CHECKING:
    from .learn import ChannelTable
    from .lexicon import Lexicon
    from .lm import NgramLM
    from .vectors import Vectors

LN10 = math.log(10.0)
MAX_OCCURRENCES = 24  # evidence from more occurrences of one type adds little and costs LM calls
# A thesaurus reading of a span that spells a learned table's multiword original: its candidates per word,
# and the table probability it is given.
TERM_CANDIDATES = 60
TERM_P = 0.5
# A phrase-list table's collocation readings of a span with a learned word: candidates per word (the lexicon's
# first few besides every learned swap), the probability such a reading is given, and its margin.
COLLOC_CANDIDATES = 40
COLLOC_LEXICON_P = 0.1
COLLOC_THRESHOLD = 0.3
# An aligned table's pairs must show this many names left as they were, and rewrites of at most this share of
# them, before the decoder leaves names alone.
NAME_EVIDENCE = 20
NAME_REWRITES = 0.01
SPOKEN_FOR = 2  # times the pairs must show a word rewritten, always to one form, before it is nobody else's original
SHORTLIST = 12  # candidates scored with full right context, after a cheap first pass over all of them
TOPIC_WINDOW = 10  # tokens either side of an occurrence whose word vectors make its topic_win context
TOPIC_SCALE = 4.0  # cosine differences are small: scaled to the range of the other features
_F = {name: i for i, name in enumerate(CANDIDATE_FEATURES)}
_INNER_WORDS = frozenset(("of", "and", "-"))  # function words a term holds inside ("region of interest")
_SOURCE_FEATURES = (("wordnet", 1), ("mythes", 2), ("moby", 4), ("embed", 8), ("builtin", 16))
_POPCOUNT = [bin(i).count("1") for i in range(32)]
# Column indices of the static features, looked up once (the row is built per new candidate).
_SOURCE_COLUMNS = tuple((_F[name], bit) for name, bit in _SOURCE_FEATURES)


def _source_row(bits: int) -> list[float]:
    """A candidate's feature row before the per-candidate values: its source columns, their count and the bias."""
    r = [0.0] * len(CANDIDATE_FEATURES)
    for i, bit in _SOURCE_COLUMNS:
        r[i] = float(bool(bits & bit))
    r[_F["n_sources"]] = _POPCOUNT[bits] / 2.0
    r[_F["bias"]] = 1.0
    return r


_SOURCE_ROWS = np.array([_source_row(bits) for bits in range(32)], dtype=np.float64)
_SOURCE_ROWS.flags.writeable = False
_I_LEARNED, _I_LEARNED_LOGP, _I_RANK, _I_SIMILARITY, _I_ZIPF, _I_ZIPF_GAIN = (
    _F[n] for n in ("learned", "learned_logp", "rank", "similarity", "zipf", "zipf_gain")
)
_I_LEN_DIFF, _I_OOV = _F["len_diff"], _F["oov"]
_I_LM_SUM, _I_LM_MEAN, _I_LM_MIN, _I_CTX_MEAN, _I_CTX_SUM = (
    _F[n] for n in ("lm_sum", "lm_mean", "lm_min", "ctx_mean", "ctx_sum")
)
_I_TOPIC_WIN, _I_TOPIC_DOC = _F["topic_win"], _F["topic_doc"]


@dataclass(frozen=True, slots=True)
class Change:
    """One restored span: `spun` at [start, end) of the input most likely read `original`."""

    start: int
    end: int
    spun: str
    original: str
    confidence: float
    alternatives: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "spun": self.spun,
            "original": self.original,
            "confidence": round(self.confidence, 4),
            "alternatives": list(self.alternatives),
        }


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """The restored text, the document's spin probability, and every change with offsets into the input."""

    text: str
    spin_score: float
    changes: list[Change]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "spin_score": round(self.spin_score, 4),
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(slots=True)
class Option:
    """A candidate original for a spun type, with where it came from."""

    original: str
    sources: int = 0
    rank: float = 0.0
    similarity: float = 0.0
    zipf: float = 0.0
    learned_p: float = 0.0
    # Times an aligned table (`learn_pairs`) saw this rewrite (0: guessed from another inflection); -1 for
    # thesaurus and adapt options; TERM for a phrase-list entry or a phrase built word by word from learned tables.
    learned_n: float = -1.0
    words: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.words = tuple(self.original.split())


# An Option's fields in order, as a plain tuple: option lists are cached for every span key met, and the garbage
# collector stops tracking tuples of strings and numbers (it would walk every cached Option in each full pass).
OptionRow = tuple[str, int, float, float, float, float, float]
_ORIGINAL: Final = 0
# A name is read as another only if the corpus wrote that one this often and the one read never, and the other
# is among the type's first few options with at least this posterior (scripts/fit_name_confidence.py).
NAME_MIN_COUNT: Final = 10
NAME_OPTIONS: Final = 5
NAME_MIN_P: Final = 0.1
NAME_CONFIDENCE: Final = 0.8  # 77 of 95 right on spun held-out Wikipedia
_LEARNED_P: Final = 5
_LEARNED_N: Final = 6
TERM: Final = -2.0


def _row(o: Option) -> OptionRow:
    return (o.original, o.sources, o.rank, o.similarity, o.zipf, o.learned_p, o.learned_n)


@dataclass(slots=True)
class _Choices:
    """A span key's options, and (once it is first decided) what its decisions share whatever the context."""

    rows: tuple[OptionRow, ...]
    words: tuple[tuple[str, ...], ...] = ()
    static: np.ndarray | None = None  # (len(rows), n_features) with the context columns still zero
    prior: np.ndarray | None = None  # each option's unigram log-ratio, clipped as the context features use it
    learned: bool = False
    aligned: bool = False  # some option comes from an aligned table
    keep_zipf: float = 0.0
    keep_oov: float = 0.0
    # For the shortlist (more options than SHORTLIST): each option's word if it is one word, else None; whether
    # some option has more (or fewer) words; the options a learned or aligned table vouches for.
    firsts: list[str | None] = field(default_factory=list)
    multi: bool = False
    tabled: list[int] = field(default_factory=list)
    # The topic features' unit vectors (span first, then each option), or None without a vector; unset until asked.
    units: np.ndarray | None = None
    units_done: bool = False
    # The keep features and their score, per (number of occurrences, id of the weight vector); read-only arrays.
    keeps: dict[tuple[int, int], tuple[np.ndarray, Any]] = field(default_factory=dict)
    kinds: tuple[int, ...] | None = None  # what `unwritten` makes of each option whatever the text; unset until asked

    def keep_of(self, n_occ: int, weights: np.ndarray) -> tuple[np.ndarray, Any]:
        """The features of keeping this span when it occurs `n_occ` times, and their score under `weights`."""
        got = self.keeps.get((n_occ, id(weights)))
        if got is None:
            keep = np.array([self.keep_zipf, math.log1p(n_occ), self.keep_oov])
            keep.flags.writeable = False  # shared by every decision of the span with that many occurrences
            got = self.keeps[n_occ, id(weights)] = (keep, keep @ weights)
        return got


# (left words, sentence start, right words, sentence end) of one occurrence.
Context = tuple[list[str], bool, list[str], bool]


@dataclass(slots=True)
class _Pending:
    """A type whose LM gains are known, waiting for its features and posterior (see Decoder._score_many)."""

    gkey: str
    key: str
    occ: list[tuple[int, int]]
    choices: _Choices
    rows: tuple[OptionRow, ...]
    static: np.ndarray
    prior: np.ndarray
    topic: np.ndarray | None
    learned: bool
    extra: tuple[np.ndarray, np.ndarray] | None
    gains: list[list[float]]  # log10 gains per occurrence used, one per option


@functools.cache
def _zeros2(n: int) -> np.ndarray:
    """An (n, 2) array of zeros (the topic columns of a type without a vector); read-only, shared."""
    z = np.zeros((n, 2))
    z.flags.writeable = False
    return z


@dataclass
class TypeDecision:
    """Everything the decoder concluded about one spun word type (all occurrences of one lower-cased span)."""

    key: str
    occurrences: list[tuple[int, int]]
    rows: tuple[OptionRow, ...]  # the options, built as `Option`s when asked for
    features: np.ndarray  # (len(options), n_features)
    keep_features: np.ndarray
    posterior: np.ndarray  # (1 + len(options)): keep first
    best: int  # index into options, or -1 for keep
    learned: bool = False  # decided with the learned-table weights
    aligned: bool = False  # decided with the aligned-table weights
    # (ALIGNED_FEATURES per option, ALIGNED_KEEP_FEATURES) when an option comes from an aligned table.
    extra: tuple[np.ndarray, np.ndarray] | None = None
    # The span key's options when `rows` are all of them, for what decisions of the key share (`kinds`).
    choices: _Choices | None = field(default=None, repr=False, compare=False)
    # Options the aligned table shows this spun form written for that are inflections of the best one's lemma
    # ("take" for get, got and getting): their posterior counts together against keeping the span, and each
    # occurrence takes the one its own context prefers (`at`), as one pooled answer cannot fit them all.
    forms: tuple[int, ...] = ()
    per_occurrence: tuple[int, ...] = ()  # the option each occurrence takes, in occurrence order; () for `best`
    _options: list[Option] | None = field(default=None, init=False, repr=False, compare=False)
    _kinds: tuple[int, ...] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def options(self) -> list[Option]:
        if self._options is None:
            self._options = [Option(*r) for r in self.rows]
        return self._options

    @property
    def kinds(self) -> tuple[int, ...]:
        """What `unwritten` makes of each option whatever the text (_TERM, _KEPT, _RESPELT, _NAME, _NAME_IF_SPAN)."""
        if self._kinds is None:
            shared = self.choices
            if shared is None:
                self._kinds = _kinds(self.key, self.rows)
            else:
                if shared.kinds is None:
                    shared.kinds = _kinds(self.key, shared.rows)
                self._kinds = shared.kinds
        return self._kinds

    @property
    def p_spun(self) -> float:
        return float(1.0 - self.posterior[0])

    @property
    def p_best(self) -> float:
        return float(self.posterior[self.best + 1])

    @property
    def margin(self) -> float:
        """How much likelier the best original (with its inflections, `forms`) is than the span standing for itself.

        Under word error rate, rewriting a substituted span with a wrong synonym costs nothing, while
        rewriting an untouched one costs a word: so the change is decided on this margin, not on p_best.
        """
        if self.best < 0:
            return -1.0
        if self.forms:
            return float(sum(self.posterior[k + 1] for k in self.forms) - self.posterior[0])
        return float(self.posterior[self.best + 1] - self.posterior[0])

    def at(self, n: int) -> int:
        """The option the n-th occurrence takes."""
        return self.per_occurrence[n] if n < len(self.per_occurrence) else self.best


@dataclass
class Analysis:
    """The decoder's view of one text segment: tokens, type decisions and the changes it would make."""

    text: str
    offset: int
    tokens: list[Token]
    types: list[TypeDecision] = field(default_factory=list)
    n_words: int = 0
    # What the decoder read off the text before deciding anything, for a second analysis of the same text.
    lattice: Lattice | None = field(default=None, repr=False, compare=False)


@dataclass
class Lattice:
    """A segment's tokens, their sentences and LM forms, and the occurrences of every candidate span key."""

    tokens: list[Token]
    n_words: int
    sent: list[int]  # each token's sentence
    bounds: list[tuple[int, int]]  # each token's sentence as a [start, end) token range
    forms: list[str]
    groups: dict[str, list[tuple[int, int]]]
    csum: np.ndarray | None = None  # cumulative context vectors of the tokens (topic features), made on first use


class Decoder:
    """Scores candidate originals for every spun span with a language model and a channel model."""

    def __init__(
        self,
        lexicon: Lexicon,
        lm: NgramLM,
        channels: list[ChannelTable],
        params: Params,
        exclude_sources: int = 0,
        pool: bool = True,
        vectors: Vectors | None = None,
        names: Names | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.names = names  # None: names are read only as the rest of the text
        self.lm = lm
        self.vectors = vectors  # None: the topic features stay 0
        self.channels = channels
        self.params = params
        self.exclude = exclude_sources
        self.pool = pool
        self.w = np.asarray(params.cand_w, dtype=np.float64)
        self.kw = np.asarray(params.keep_w, dtype=np.float64)
        self.lw = np.asarray(params.learned_w or params.cand_w, dtype=np.float64)
        self.lkw = np.asarray(params.learned_keep_w or params.keep_w, dtype=np.float64)
        self.l_threshold = params.learned_threshold if params.learned_w else params.threshold
        # Tables learned from aligned pairs count real rewrites: their types have weights of their own.
        self.aw = np.asarray(params.aligned_w, dtype=np.float64) if params.aligned_w else None
        self.akw = np.asarray(params.aligned_keep_w, dtype=np.float64)
        self.a_threshold = params.aligned_threshold
        # With a learned table the spinner's own dictionary is known: the thesaurus alone must be surer.
        self.threshold = max(params.threshold, params.tabled_threshold) if channels else params.threshold
        self.max_words = max([lexicon.max_words, *(c.max_words for c in channels)])
        self._zipf_cache: dict[str, float] = {}
        self._opt_cache: dict[tuple[str, int], _Choices] = {}
        self._known: dict[str, bool] = {}
        # Composed phrase originals per span key: asked for every occurrence of a span, and again for its options.
        self._comp_cache: dict[str, dict[str, float]] = {}
        # Unit vectors of a span and its options, per (key, limit) like the options themselves (see _topics).
        self._terms = _term_index(channels)
        self._phrase_tables = [c for c in channels if c.kind == "phrases"]
        self._colloc_cache: dict[str, dict[str, float]] = {}  # collocation readings per span key (_collocations)
        self.colloc_threshold = COLLOC_THRESHOLD
        self._vocab: frozenset[str] | None = None
        # Tables learned from text key hyphenated words as "red - hot": spans may then run across a hyphen.
        self._hyphens = any(" - " in k for c in channels for k in c.entries)
        # Aligned tables whose pairs show the spinner leaving names (acronyms, capitalised words inside sentences)
        # as they are, and never or all but never rewriting one: the names being read are not its rewrites.
        counted = [c.names for c in channels if c.kind == "aligned" and sum(c.names) > 0]
        self._keep_names = bool(counted) and all(
            kept >= NAME_EVIDENCE and rewritten <= NAME_REWRITES * kept for kept, rewritten in counted)
        # How often the aligned tables saw each original rewritten (to anything): the spinner's coverage of it.
        self._rewritten: dict[str, float] = defaultdict(float)
        for c in channels:
            if c.kind == "aligned":
                for entries in c.entries.values():
                    for e in entries:
                        if e.count > 0:
                            self._rewritten[e.original] += e.count
        self._dictionary = SpinnerDictionary.of(channels, lexicon.lemma_set, params.unseen_lemma_weight)
        self.u_threshold = params.unseen_threshold if self._dictionary is not None else None

    def memo_size(self) -> int:
        vec = self.vectors.memo_size() if self.vectors is not None else 0
        return (len(self._zipf_cache) + len(self._opt_cache) + len(self._known) + len(self._comp_cache)
                + len(self._colloc_cache) + vec)

    def clear_memo(self) -> None:
        for table in (self._zipf_cache, self._opt_cache, self._known, self._comp_cache, self._colloc_cache):
            table.clear()
        if self.vectors is not None:
            self.vectors.clear_memo()

    # -- candidates -------------------------------------------------------------------------------------
    def _has_key(self, key: str) -> bool:
        return (any(key in c.entries for c in self.channels) or self.lexicon.is_key(key)
                or bool(self._composed(key)) or bool(self.collocations(key)))

    def collocations(self, key: str) -> dict[str, float]:
        """`_collocations` of a span key, memoised; {} without a phrase-list table."""
        if not self._phrase_tables or " " not in key:
            return {}
        got = self._colloc_cache.get(key)
        if got is None:
            if len(self._colloc_cache) > 100_000:
                self._colloc_cache.clear()
            got = self._colloc_cache[key] = self._collocations(key)
        return got

    def _composed(self, key: str) -> dict[str, float]:
        """Phrase originals built word by word from learned tables, when two or more words have entries.

        A spinner's dictionary rewrites words independently ("include choice" <- "feature selection"), so
        adjacent learned words must be scored together: apart, each reads oddly next to the other.
        """
        if not self.channels or " " not in key or key.count(" ") > 2:
            return {}
        got = self._comp_cache.get(key)
        if got is None:
            if len(self._comp_cache) > 100_000:  # every multiword span of a long run passes here
                self._comp_cache.clear()
            got = self._comp_cache[key] = self._compose(key)
        return got

    def _compose(self, key: str) -> dict[str, float]:
        per_word: list[list[tuple[str, float]]] = []
        learned = 0
        for w in key.split(" "):
            # Only confident entries compose: a noisy table multiplies its noise in every combination.
            entries = [(e.original, e.prob) for c in self.channels for e in c.get(w) if e.prob >= 0.5][:2]
            if entries:
                learned += 1
            stay = max(0.05, 1.0 - sum(p for _, p in entries))
            per_word.append([(w, stay), *entries])
        out: dict[str, float] = self._term_matches(key) if self._terms else {}
        if learned < 2:
            return out
        combos: list[tuple[list[str], float]] = [([], 1.0)]
        for choices in per_word:
            combos = [(words + [o], p * q) for words, p in combos for o, q in choices]
        for words, p in combos:
            phrase = " ".join(w for w in words if w)
            if phrase != key and p > out.get(phrase, 0.0):
                out[phrase] = p
        return out

    def _is_ngram(self, words: Sequence[str]) -> bool:
        """Every word of `words` after the first is scored by the LM with its whole n-gram: a phrase the corpus has."""
        model = self.lm.model
        a, b = kenlm.State(), kenlm.State()
        model.NullContextWrite(a)
        order = model.order
        for k, w in enumerate(words):
            n = model.BaseFullScore(a, w, b).ngram_length
            if k and n < min(k + 1, order):
                return False
            a, b = b, a
        return True

    def _collocations(self, key: str) -> dict[str, float]:
        """Readings of a span with a word a phrase list rewrites that the language model knows as a phrase while
        it does not know the span, each with its probability: the word's learned swaps (however rare) and, for one
        other content word, the lexicon's first candidates ("ocean degree" -> "sea level" once "ocean" -> "sea" is
        learned, even if "ocean" stood for something else more often); and in a two-word span, a confident swap next
        to a word of the list's terms. Only noun-phrase-like spans have them: no function word at either end, none
        inside but "of" and "and".
        """
        spun = key.split(" ")
        if (not 2 <= len(spun) <= 3 or spun[0] in GLUE_WORDS or spun[-1] in GLUE_WORDS
                or any(w in GLUE_WORDS and w not in _INNER_WORDS for w in spun[1:-1])):
            return {}
        swaps = [{e.original: e.prob for c in self._phrase_tables for e in c.get(w)
                  if e.original and " " not in e.original} for w in spun]
        if not any(swaps) or self._is_ngram(spun):
            return {}
        per_word: list[list[tuple[str, float, int]]] = []  # (word, probability, 1 for a lexicon candidate)
        for w, learned in zip(spun, swaps, strict=True):
            opts = [(w, 1.0, 0), *((o, p, 0) for o, p in sorted(learned.items()))]
            if w not in GLUE_WORDS:
                ranked = self.lexicon.ranked(w, self.exclude, COLLOC_CANDIDATES, top=COLLOC_CANDIDATES)
                opts += [(c[0], COLLOC_LEXICON_P, 1) for c in ranked
                         if c[0] and " " not in c[0] and c[0] not in learned and c[0] not in GLUE_WORDS]
            per_word.append(opts)
        model = self.lm.model
        null = kenlm.State()
        model.NullContextWrite(null)
        # (words, probability, lexicon candidates used, LM state after the words), grown while the LM knows them
        prefixes: list[tuple[list[str], float, int, Any]] = []
        for o, p, x in per_word[0]:
            st = kenlm.State()
            model.BaseFullScore(null, o, st)
            prefixes.append(([o], p, x, st))
        for n in range(1, len(spun)):
            need = min(n + 1, model.order)
            grown = []
            for head, p, x, st in prefixes:
                for o, q, y in per_word[n]:
                    if x + y > 1:
                        continue
                    nxt = kenlm.State()
                    if model.BaseFullScore(st, o, nxt).ngram_length >= need:
                        grown.append(([*head, o], p * q, x + y, nxt))
            prefixes = grown
        out = {}
        for words, p, x, _ in prefixes:
            phrase = " ".join(words)
            if phrase != key and sum(a != b for a, b in zip(words, spun, strict=True)) > x:  # a learned swap in it
                out[phrase] = p
        if len(spun) == 2:
            # A two-word span, one word the list's confident swap and the other a word of its terms: a term the
            # LM may be too small to know ("ocean animal" -> "sea animal").
            vocab = self._originals_vocab()
            for k, table in enumerate(swaps):
                if spun[1 - k] not in vocab:
                    continue
                for o, p in table.items():
                    if p >= 0.5:
                        phrase = " ".join([*spun[:k], o, *spun[k + 1:]])
                        out.setdefault(phrase, p)
        return out

    def _originals_vocab(self) -> frozenset[str]:
        """The words of the phrase lists' originals."""
        if self._vocab is None:
            self._vocab = frozenset(w for c in self._phrase_tables for v in c.entries.values() for e in v
                                    for w in e.original.split(" ") if w not in GLUE_WORDS)
        return self._vocab

    def _term_matches(self, key: str) -> dict[str, float]:
        """Multiword originals of the learned tables (terms such as "smart device") that this span could be,
        word by word, by the thesaurus: a spinner that wrote "brilliant gadget" for a known term writes
        "shrewd gadget" too, so terms generalise beyond the spun phrases a table lists.
        """
        spun = key.split(" ")
        by_first = self._terms.get(len(spun))
        if not by_first:
            return {}
        per_word = [{w, *(e.original for table in self.channels for e in table.get(w)),
                     *(c[0] for c in self.lexicon.ranked(w, self.exclude, TERM_CANDIDATES))}
                    for w in spun]
        out: dict[str, float] = {}
        for first in per_word[0]:
            for term in by_first.get(first, ()):
                if all(t in ws for t, ws in zip(term[1:], per_word[1:], strict=True)):
                    phrase = " ".join(term)
                    if phrase != key:
                        out[phrase] = TERM_P
        return out

    def options(self, key: str, limit: int) -> list[Option]:
        return [Option(*r) for r in self._choices(key, limit).rows]

    def _choices(self, key: str, limit: int) -> _Choices:
        got = self._opt_cache.get((key, limit))
        if got is None:
            if len(self._opt_cache) > 100_000:  # bounded memo tables for long corpus runs
                self.clear_memo()
            got = self._opt_cache[key, limit] = _Choices(self._options(key, limit))
        return got

    def _options(self, key: str, limit: int) -> tuple[OptionRow, ...]:
        found: dict[str, Option] = {}
        for table in self.channels:
            aligned = table.kind == "aligned"
            n = TERM if table.kind == "phrases" else -1.0
            for e in table.get(key):
                if e.original != key and e.original not in found:
                    found[e.original] = Option(e.original, learned_p=e.prob, zipf=self._zipf(e.original),
                                               learned_n=e.count if aligned else n)
        for phrase, p in self._composed(key).items():
            if phrase not in found:
                found[phrase] = Option(phrase, learned_p=p, zipf=self._zipf(phrase), learned_n=TERM)
        if limit > self.params.detect_max_candidates:
            # Collocation readings are restore's alone (stage 2): detect's score, and so restore's gate, is the same
            # with or without them.
            for phrase, p in self.collocations(key).items():
                opt = found.get(phrase)
                if opt is None:
                    found[phrase] = Option(phrase, learned_p=p, zipf=self._zipf(phrase), learned_n=TERM)
                else:
                    opt.learned_p = max(opt.learned_p, p)
        spun = key.split(" ")
        multi = " " in key
        ranked = self.lexicon.ranked(key, self.exclude, limit, top=limit)
        if self._dictionary is not None and not any(o.learned_n >= 0 for o in found.values()):
            # A form no aligned table holds: its original is none of the words the spinner was seen to leave alone
            # or to rewrite to a form of their own.
            outside = self._dictionary.outside
            ranked = tuple([c for c in ranked if c[0] not in outside])
        if not found:  # the thesaurus alone (no learned tables): its originals are distinct, rows built directly
            return tuple([(original, bits, rank, similarity, zipf, 0.0, -1.0)
                          for original, bits, rank, similarity, zipf in ranked
                          if original != key and not (multi and _drops_words(original, spun, bits))])
        for original, bits, rank, similarity, zipf in ranked:
            if original == key or (multi and _drops_words(original, spun, bits)):
                continue
            opt = found.get(original)
            if opt is None:
                found[original] = Option(original, bits, rank, similarity, zipf)
            else:
                opt.sources, opt.rank, opt.similarity = bits, rank, similarity
        return tuple(map(_row, found.values()))

    def _zipf(self, phrase: str) -> float:
        z = self._zipf_cache.get(phrase)
        if z is None:
            if phrase.isascii() and phrase.isalpha() and phrase.islower():
                # One lower-case word: the lexicon's table gives wordfreq's value (checked on its whole list)
                # without tokenising; phrases keep wordfreq's own rounding.
                z = self.lexicon.zipf(phrase)
            else:
                from wordfreq import zipf_frequency

                z = zipf_frequency(phrase, "en") if phrase else 0.0
            self._zipf_cache[phrase] = z
        return z

    def _in_lm(self, phrase: str) -> bool:
        k = self._known.get(phrase)
        if k is None:
            k = all(self.lm.contains(w) for w in phrase.split())
            self._known[phrase] = k
        return k

    # -- lattice ----------------------------------------------------------------------------------------
    def spans(self, text: str, tokens: list[Token], forms: list[str]) -> dict[str, list[tuple[int, int]]]:
        """Map each candidate span's lower-cased key to its occurrences (token index ranges)."""
        out: dict[str, list[tuple[int, int]]] = defaultdict(list)
        n = len(tokens)
        if not self.channels:
            return self._thesaurus_spans(text, tokens, forms, out)
        for i in range(n):
            if not tokens[i].is_word:
                continue
            key = forms[i]
            out[key].append((i, i + 1))
            for j in range(i + 1, min(n, i + self.max_words)):
                t = tokens[j]
                gap = text[tokens[j - 1].end : t.start]
                if (self._hyphens and t.text == "-" and not gap and j + 1 < n and tokens[j + 1].is_word
                        and t.end == tokens[j + 1].start):
                    key = key + " -"  # inside a hyphenated word: learned tables key "red-hot" as "red - hot"
                    continue
                if not t.is_word or "\n" in gap or (gap and not gap.isspace()):
                    break
                key = key + " " + forms[j]
                if self._has_key(key):
                    out[key].append((i, j + 1))
        return out

    def _thesaurus_spans(self, text: str, tokens: list[Token], forms: list[str],
                         out: dict[str, list[tuple[int, int]]]) -> dict[str, list[tuple[int, int]]]:
        """`spans` with the lexicon as the only source of keys: a span stops growing once no key can extend it."""
        n = len(tokens)
        is_key, continues = self.lexicon.is_key, self.lexicon.continues
        is_word = [t.is_word for t in tokens]
        # joins[j]: token j may extend a span ending at token j - 1 (a word after spaces, on the same line).
        joins = [False] * n
        for j in range(1, n):
            if is_word[j]:
                gap = text[tokens[j - 1].end : tokens[j].start]
                joins[j] = not gap or (gap.isspace() and "\n" not in gap)
        for i in range(n):
            if not is_word[i]:
                continue
            key = forms[i]
            out[key].append((i, i + 1))
            middle = ""
            for j in range(i + 1, min(n, i + self.max_words)):
                if not joins[j] or (middle and not continues(middle)):
                    break
                key = key + " " + forms[j]
                middle = middle + " " + forms[j] if middle else forms[j]
                if is_key(key):
                    out[key].append((i, j + 1))
        return out

    # -- scoring ----------------------------------------------------------------------------------------
    def lattice(self, text: str) -> Lattice:
        """What `analyse` reads off `text` before deciding anything."""
        tokens = tokenize(text)
        sent = [0] * len(tokens)
        bounds = [(0, 0)] * len(tokens)
        for s, (a, b) in enumerate(sentences(tokens)):
            sent[a:b] = [s] * (b - a)
            bounds[a:b] = [(a, b)] * (b - a)
        forms = [lm_form(t.text) for t in tokens]
        groups = self.spans(text, tokens, forms) if tokens else {}
        return Lattice(tokens, sum(t.is_word for t in tokens), sent, bounds, forms, groups)

    def analyse(self, text: str, offset: int = 0, limit: int | None = None, passes: int = 2,
                only: Collection[str] | None = None, lattice: Lattice | None = None) -> Analysis:
        """Decide every spun-looking type of `text` (only the types keyed in `only`, when given).

        `lattice` is `text`'s own from an earlier analysis (`Analysis.lattice`), to save reading it again.
        """
        limit = limit or self.params.max_candidates
        if lattice is None:
            lattice = self.lattice(text)
        tokens = lattice.tokens
        an = Analysis(text, offset, tokens, n_words=lattice.n_words, lattice=lattice)
        if not tokens:
            return an
        sent, forms, groups = lattice.sent, lattice.forms, lattice.groups
        if self._keep_names:
            named = names(text, tokens)
            groups = {k: occ for k, o in groups.items() if (occ := [(i, j) for i, j in o if not any(named[i:j])])}
        if only is not None:
            groups = {k: v for k, v in groups.items() if k in only}
        if not self.pool:  # per-token decisions: every occurrence is its own type (for measuring pooling)
            groups = {f"{k}\x00{o[0]}": [o] for k, occ in groups.items() for o in occ}
        cands = {}
        for gkey in groups:
            key = gkey.split("\x00", 1)[0]
            choices = self._choices(key, limit)
            if choices.rows:
                cands[gkey] = choices
        n_ctx = self.lm.order - 1
        if n_ctx:  # the first pass reads the input itself: its contexts are slices of the forms
            bounds = lattice.bounds
            seen = {gkey: self._first_contexts(groups[gkey], forms, bounds, n_ctx) for gkey in cands}
        else:
            reading = [[f] for f in forms]
            seen = {gkey: self._contexts(groups[gkey], reading, sent, n_ctx) for gkey in cands}
        topics = self._topics(lattice, groups, cands)
        decided = self._decide_many([(g, g.split("\x00", 1)[0], groups[g], choices, seen[g], topics.get(g))
                                     for g, choices in cands.items()])
        for _ in range(passes - 1):
            # Re-decide only the types whose context window now holds a change from the previous pass.
            reading, changed = self._apply_reading(forms, list(decided.values()))
            if not changed:
                break
            near = {k for i in changed for k in range(i - self.lm.order + 1, i + self.lm.order)}
            redo = []
            for gkey, d in decided.items():
                if any(k in near for i, j in d.occurrences for k in range(i, j)):
                    ctx = self._contexts(groups[gkey], reading, sent, n_ctx)
                    # A decision depends on its occurrences' context words only: unchanged ones stand.
                    if ctx != seen[gkey]:
                        seen[gkey] = ctx
                        redo.append((gkey, d.key, groups[gkey], cands[gkey], ctx, topics.get(gkey)))
            decided.update(self._decide_many(redo))
        an.types = list(decided.values())
        return an

    def _contexts(self, occ: list[tuple[int, int]], reading: list[list[str]], sent: list[int],
                  n: int) -> list[tuple[list[str], bool, list[str], bool]]:
        """(left words, sentence start, right words, sentence end) around each occurrence the decoder uses."""
        out = []
        for i, j in occ[:MAX_OCCURRENCES]:
            left, bos = self._left(reading, sent, i, n)
            right, eos = self._right(reading, sent, j, n)
            out.append((left, bos, right, eos))
        return out

    @staticmethod
    def _first_contexts(occ: list[tuple[int, int]], forms: list[str], bounds: list[tuple[int, int]],
                        n: int) -> list[Context]:
        """`_contexts` while the reading is the input's own forms, one per token (n > 0): slices of the sentence."""
        out = []
        for i, j in occ[:MAX_OCCURRENCES]:
            a = bounds[i][0]
            b = bounds[j - 1][1]
            out.append((forms[max(a, i - n) : i], i - a <= n, forms[j : min(b, j + n)], b - j <= n))
        return out

    def _topics(self, lattice: Lattice, groups: dict[str, list[tuple[int, int]]], cands: dict[str, _Choices]
                ) -> dict[str, np.ndarray]:
        """The topic_win and topic_doc columns of each type's options, (len(options), 2).

        They read the input's words, not the decoder's reading, so they are computed once per segment and hold
        for every pass; types whose span has no vector get none (their columns stay 0).
        """
        vectors = self.vectors
        if vectors is None or not cands:
            return {}
        mats = {g: m for g in cands if (m := self._unit_matrix(g.split("\x00", 1)[0], cands[g])) is not None}
        if not mats:
            return {}
        n = len(lattice.forms)
        csum = lattice.csum
        if csum is None:
            rows = vectors.context_rows(lattice.forms)
            csum = lattice.csum = np.zeros((n + 1, rows.shape[1]), dtype=np.float32)
            np.cumsum(rows, axis=0, out=csum[1:])
        # Every occurrence of every type at once: i, j, and where each type's occurrences start.
        occ = [groups[g] for g in mats]
        sizes = np.fromiter(map(len, occ), dtype=np.int64, count=len(occ))
        flat = np.fromiter(chain.from_iterable(chain.from_iterable(occ)), dtype=np.int64,
                           count=2 * int(sizes.sum())).reshape(-1, 2)
        i, j = flat[:, 0], flat[:, 1]
        starts = np.zeros(len(occ), dtype=np.int64)
        np.cumsum(sizes[:-1], out=starts[1:])
        # The segment without the type's own occurrences.
        doc = csum[n] - np.add.reduceat(csum[j] - csum[i], starts, axis=0)
        doc /= np.maximum(np.sqrt(np.einsum("ij,ij->i", doc, doc)), 1e-9)[:, None]
        # The windows of the occurrences the decoder uses (the first MAX_OCCURRENCES of each type).
        used = np.minimum(sizes, MAX_OCCURRENCES)
        wstarts = np.zeros(len(occ), dtype=np.int64)
        np.cumsum(used[:-1], out=wstarts[1:])
        pick = np.arange(int(used.sum())) + np.repeat(starts - wstarts, used)
        i, j = i[pick], j[pick]
        win = (csum[np.minimum(j + TOPIC_WINDOW, n)] - csum[j]) + (csum[i] - csum[np.maximum(i - TOPIC_WINDOW, 0)])
        win /= np.maximum(np.sqrt(np.einsum("ij,ij->i", win, win)), 1e-9)[:, None]
        # The mean cosine with the windows is the cosine with their mean: one vector per type, like doc.
        wbar = np.add.reduceat(win, wstarts, axis=0) / used[:, None]
        ctx = np.stack([wbar, doc], axis=2)  # (types, dim, 2)
        out = {}
        for (g, V), c in zip(mats.items(), ctx, strict=True):
            both = V @ c  # row 0 is the spun form itself
            out[g] = both[1:] - both[0]
        return out

    def _unit_matrix(self, key: str, choices: _Choices) -> np.ndarray | None:
        """Unit vectors of the span and then of each option, times TOPIC_SCALE; None when the span has no vector.

        An option without a vector gets the span's own row, so its topic columns come out exactly 0.
        """
        if not choices.units_done:
            assert self.vectors is not None
            unit = self.vectors.unit
            spun = unit(key)
            if spun is not None:
                units = [unit(r[_ORIGINAL]) for r in choices.rows]
                # np.array of rows of one length and dtype: np.stack's array, without its Python-level steps.
                choices.units = np.array([spun, *(spun if u is None else u for u in units)]) * TOPIC_SCALE
            choices.units_done = True
        return choices.units

    def _decide_many(self, jobs: Sequence[tuple[str, str, list[tuple[int, int]], _Choices, list[Context],
                                               np.ndarray | None]]) -> dict[str, TypeDecision]:
        """Decide the types of `jobs`, (group key, span key, occurrences, options, contexts, topic columns) each.

        The LM gains are found type by type; the features and posteriors of all the types are then built in a few
        array operations over their stacked options, with the same floats as one type at a time: element-wise
        operations and row-wise reductions of rows of one length do not depend on what else is in the array, and
        each type's scores and posterior sum are still taken on its own rows (BLAS and pairwise summation do).
        """
        if not jobs:
            return {}
        model = self.lm.model
        st_a, st_b = kenlm.State(), kenlm.State()
        left_state = self.left_state
        gains_of = self._gains
        decided: dict[str, TypeDecision] = {}
        batch: list[_Pending] = []
        new = {id(job[3]): (job[1], job[3]) for job in jobs if job[3].static is None}
        if new:
            self._prepare(list(new.values()))
        for gkey, key, occ, choices, around, topic in jobs:
            spun_words = key.split()
            contexts = [(left_state(model, left, bos), right, eos) for left, bos, right, eos in around]
            rows, alt_words, static, prior = choices.rows, choices.words, choices.static, choices.prior
            assert static is not None and prior is not None
            if len(rows) > SHORTLIST:
                keep_idx = self._shortlist(model, spun_words, choices, contexts, st_a, st_b)
                rows = tuple([rows[c] for c in keep_idx])
                alt_words = tuple([alt_words[c] for c in keep_idx])
                static, prior = static[keep_idx], prior[keep_idx]
                if topic is not None:
                    topic = topic[keep_idx]
                learned = bool(np.logical_or.reduce(static[:, _I_LEARNED]))  # .any() without its wrapper
                aligned = any(r[_LEARNED_N] >= 0 for r in rows)
            else:
                learned, aligned = choices.learned, choices.aligned
            # One list of gains per occurrence used, in nats once multiplied by LN10 below.
            gains = [gains_of(model, base, spun_words, alt_words, right, eos, st_a, st_b)
                     for base, right, eos in contexts]
            extra = self._aligned_columns(key, rows) if aligned else None
            if extra is not None and self.aw is not None:
                decided[gkey] = self._decide_aligned(key, occ, choices, rows, static, prior, topic, gains, learned,
                                                     extra)
            else:
                batch.append(_Pending(gkey, key, occ, choices, rows, static, prior, topic, learned, extra, gains))
        if batch:
            decided.update(self._score_many(batch))
        return {job[0]: decided[job[0]] for job in jobs}

    def _shortlist(self, model: Any, spun_words: list[str], choices: _Choices,
                   contexts: list[tuple[Any, list[str], bool]], st_a: Any, st_b: Any) -> np.ndarray:
        """The SHORTLIST options (indices, in order) that score best after their left context in a few occurrences."""
        tail = self._tail
        alt_words = choices.words
        score = model.BaseScore
        firsts, multi = choices.firsts, choices.multi
        pre = np.zeros(len(choices.rows))
        for base, _, _ in contexts[:4]:
            ref = tail(model, base, spun_words, [], False, st_a, st_b)
            # Most candidates are one word: one LM lookup each, mapped without a Python loop.
            if multi:
                pre += [score(base, w, st_a) if w is not None else
                        tail(model, base, alt_words[c], [], False, st_a, st_b) for c, w in enumerate(firsts)]
            else:
                pre += list(map(score, repeat(base), firsts, repeat(st_a)))
            pre -= ref
        # A learned table's entries always reach stage 2: the table outranks the left context alone.
        # An aligned table's entries all do: each one is a rewrite the spinner was seen to make.
        pre[choices.tabled] = np.inf
        return np.sort((-pre).argsort(kind="stable")[:SHORTLIST])

    def _decide_aligned(self, key: str, occ: list[tuple[int, int]], choices: _Choices, rows: tuple[OptionRow, ...],
                        static: np.ndarray, prior: np.ndarray, topic: np.ndarray | None, gains_lists: list[list[float]],
                        learned: bool, extra: tuple[np.ndarray, np.ndarray]) -> TypeDecision:
        """Decide a type with an option from an aligned table, with the aligned-table weights."""
        feats = static.copy()
        self._lm_features(feats, prior, gains_lists, len(rows))
        if topic is not None:
            feats[:, _I_TOPIC_WIN : _I_TOPIC_DOC + 1] = topic
        keep = np.array([choices.keep_zipf, math.log1p(len(occ)), choices.keep_oov])
        opt_x, keep_x = extra
        assert self.aw is not None
        nc, nk = len(CANDIDATE_FEATURES), len(keep)
        scores = np.concatenate(([keep @ self.akw[:nk] + keep_x @ self.akw[nk:]],
                                 feats @ self.aw[:nc] + opt_x @ self.aw[nc:]))
        # ufunc reductions: what .max() and .sum() compute, without their Python-level wrappers.
        scores -= np.maximum.reduce(scores)
        post = np.exp(scores)
        post /= np.add.reduce(post)
        best = int(post.argmax()) - 1
        forms: tuple[int, ...] = ()
        per_occ: tuple[int, ...] = ()
        if best >= 0 and len(rows) > 1:
            forms = _inflections_of(rows, best, self.lexicon.lemma_set)
            if forms:
                logp = np.log(post[1:] + 1e-12)
                per_occ = tuple(max(forms, key=lambda c: LN10 * g[c] + logp[c]) for g in gains_lists)
        return TypeDecision(key, occ, rows, feats, keep, post, best, learned, True, extra,
                            choices if rows is choices.rows else None, forms, per_occ)

    def _lm_features(self, feats: np.ndarray, prior: np.ndarray, gains_lists: list[list[float]], n_opt: int) -> None:
        """Write the LM columns of one type's `feats` from its gains per occurrence (log10)."""
        if len(gains_lists) == 1:
            gains = np.array(gains_lists[0], dtype=np.float64)
            gains *= LN10
            self._one_context_features(feats, prior, gains)
        else:
            # (options, occurrences), C order like the array this was written into element by element
            gains = np.array(gains_lists, dtype=np.float64).reshape(len(gains_lists), n_opt).T.copy()
            gains *= LN10
            self._features(feats, prior, gains)

    def _score_many(self, batch: list[_Pending]) -> dict[str, TypeDecision]:
        """Features, posteriors and best options of the types of `batch`, over their options stacked in one array."""
        # Types by number of occurrences used, so that the LM columns of each count are one block of rows, and
        # within that by number of options and weights, for the scores.
        order = sorted(range(len(batch)), key=lambda t: (len(batch[t].gains), len(batch[t].rows), batch[t].learned))
        items = [batch[t] for t in order]
        sizes = [len(p.rows) for p in items]
        feats = np.concatenate([p.static for p in items])  # a new array: the static columns of every option
        prior = np.concatenate([p.prior for p in items])
        lo = 0
        while lo < len(items):
            n_use = len(items[lo].gains)
            hi = lo
            while hi < len(items) and len(items[hi].gains) == n_use:
                hi += 1
            a, b = sum(sizes[:lo]), sum(sizes[:hi])
            if n_use == 1:
                gains = np.array([g for p in items[lo:hi] for g in p.gains[0]], dtype=np.float64)
                gains *= LN10
                self._one_context_features(feats[a:b], prior[a:b], gains)
            else:
                # (options, occurrences) per type, stacked: the rows each type's own array would have
                gains = np.concatenate([np.array(p.gains, dtype=np.float64).T for p in items[lo:hi]])
                gains *= LN10
                self._features(feats[a:b], prior[a:b], gains)
            lo = hi
        if any(p.topic is not None for p in items):
            # The static topic columns are 0.0: a type without topic columns keeps zeros.
            feats[:, _I_TOPIC_WIN : _I_TOPIC_DOC + 1] = np.concatenate(
                [p.topic if p.topic is not None else _zeros2(len(p.rows)) for p in items])
        # Types with as many options and the same weights are scored as one (types, options) block: np.matmul over
        # the stack makes one BLAS product per type, and the row-wise max, sum and argmax are each row's own.
        out: dict[str, TypeDecision] = {}
        row = lo = 0
        n_feat = feats.shape[1]
        while lo < len(items):
            n, learned = sizes[lo], items[lo].learned
            hi = lo
            while hi < len(items) and sizes[hi] == n and items[hi].learned == learned:
                hi += 1
            group = items[lo:hi]
            cw, ckw = (self.lw, self.lkw) if learned else (self.w, self.kw)
            keeps = [p.choices.keep_of(len(p.occ), ckw) for p in group]
            block = feats[row : row + (hi - lo) * n].reshape(hi - lo, n, n_feat)
            scores = np.empty((hi - lo, n + 1))  # keep first
            scores[:, 0] = [k[1] for k in keeps]
            np.matmul(block, cw, out=scores[:, 1:])
            if self._dictionary is not None and not learned:
                log_odds = self._dictionary.log_odds
                scores[:, 1:] += [[log_odds(r[_ORIGINAL]) for r in p.rows] for p in group]
            # ufunc reductions: what .max() and .sum() compute, without their Python-level wrappers.
            scores -= np.maximum.reduce(scores, axis=1)[:, None]
            post = np.exp(scores)
            post /= np.add.reduce(post, axis=1)[:, None]
            best = (post.argmax(axis=1) - 1).tolist()
            for t, (p, (keep, _)) in enumerate(zip(group, keeps, strict=True)):
                out[p.gkey] = TypeDecision(p.key, p.occ, p.rows, block[t], keep, post[t], best[t], learned, False,
                                           p.extra, p.choices if p.rows is p.choices.rows else None)
            row += (hi - lo) * n
            lo = hi
        return out

    def _prepare(self, items: list[tuple[str, _Choices]]) -> None:
        """Fill in what the decisions of each span key share: option words, static feature rows, unigram priors.

        The rows of all the keys are built as one array (element-wise, so each row is what it would be alone);
        each key's `static` and `prior` are views of it.
        """
        zipf = self._zipf
        in_lm = self._in_lm
        sizes = [len(choices.rows) for _, choices in items]
        originals, sources, ranks, similarities, zipfs, learned_ps, learned_ns = zip(
            *[r for _, choices in items for r in choices.rows], strict=True)
        zs = [zipf(key) for key, _ in items]
        n_spun = [key.count(" ") + 1 for key, _ in items]
        static = _SOURCE_ROWS[np.array(sources, dtype=np.int64) & 31]  # a new array, one row per option
        if any(p > 0 for p in learned_ps):
            for c, p in enumerate(learned_ps):
                if p > 0:
                    static[c, _I_LEARNED] = 1.0
                    static[c, _I_LEARNED_LOGP] = math.log(p) + 3.0
        static[:, _I_RANK] = ranks
        static[:, _I_SIMILARITY] = similarities
        z = np.array(zipfs, dtype=np.float64)
        static[:, _I_ZIPF] = z / 8.0
        static[:, _I_ZIPF_GAIN] = (z - np.repeat(np.array(zs, dtype=np.float64), sizes)) / 8.0
        spun_len = [n for n, size in zip(n_spun, sizes, strict=True) for _ in range(size)]
        static[:, _I_LEN_DIFF] = [(o.count(" ") + 1 if o else 0) - n
                                  for o, n in zip(originals, spun_len, strict=True)]
        static[:, _I_OOV] = [1.0 if o and not in_lm(o) else 0.0 for o in originals]
        # What the LM would prefer with no context at all: the unigram log-ratio (zipf is log10 per 1e9).
        prior = np.minimum(np.maximum((static[:, _F["zipf_gain"]] * 8.0) * LN10, -15.0), 15.0)
        a = 0
        for (key, choices), size, key_zipf in zip(items, sizes, zs, strict=True):
            b = a + size
            choices.words = tuple([tuple(o.split()) for o in originals[a:b]])
            choices.prior = prior[a:b]
            choices.learned = any(p > 0 for p in learned_ps[a:b])  # the learned column is 1.0 exactly there
            if size > SHORTLIST:
                choices.firsts = [w[0] if len(w) == 1 else None for w in choices.words]
                choices.multi = any(w is None for w in choices.firsts)
                choices.tabled = [c for c, (p, n) in enumerate(zip(learned_ps[a:b], learned_ns[a:b], strict=True))
                                  if p >= 0.5 or n >= 0]
            choices.aligned = any(n >= 0 for n in learned_ns[a:b])
            choices.keep_zipf = key_zipf / 8.0
            choices.keep_oov = float(not in_lm(key))
            choices.static = static[a:b]
            a = b

    def _aligned_columns(self, key: str, rows: Sequence[OptionRow]) -> tuple[np.ndarray, np.ndarray] | None:
        """The ALIGNED_FEATURES of each option and of keeping the span, or None without an aligned-table option."""
        raw = self.aligned_counts(key, rows)
        return None if raw is None else aligned_columns(*raw)

    def aligned_counts(self, key: str, rows: Sequence[OptionRow]) -> tuple[np.ndarray, np.ndarray] | None:
        """What the aligned tables counted for a type, or None without an aligned-table option.

        Per option: (times the pairs show it rewritten to `key`, times they show it rewritten at all); for the span:
        (sightings in the spun texts, those where it stood for itself, times the originals show it rewritten).
        """
        if not any(r[_LEARNED_N] >= 0 for r in rows):
            return None
        rewritten = self._rewritten
        opt = np.array([[max(r[_LEARNED_N], 0.0), rewritten.get(r[_ORIGINAL], 0.0)] for r in rows])
        entries = [e for c in self.channels if c.kind == "aligned" for e in c.get(key)]
        seen = max((e.seen for e in entries), default=0.0)
        kept = max(seen - sum(e.count for e in entries if e.original != key), 0.0)
        return opt, np.array([max(seen, 0.0), kept, rewritten.get(key, 0.0)])

    @staticmethod
    def left_state(model: Any, left: list[str], bos: bool) -> Any:
        """The LM state after the context words `left` (from the sentence start when `bos`)."""
        base, nxt = kenlm.State(), kenlm.State()
        if bos:
            model.BeginSentenceWrite(base)
        else:
            model.NullContextWrite(base)
        score = model.BaseScore
        for w in left:
            score(base, w, nxt)
            base, nxt = nxt, base
        return base

    @staticmethod
    def _tail(model: Any, base: Any, words: Sequence[str], right: list[str], eos: bool, a: Any, b: Any) -> float:
        """Log10 probability of `words` + `right` (+ </s>) after the context state `base`, which is left intact."""
        total = 0.0
        cur, out = base, a
        for w in (*words, *right, *(("</s>",) if eos else ())):
            total += model.BaseScore(cur, w, out)
            cur, out = out, (b if cur is base else cur)
        return total

    @staticmethod
    def _gains(model: Any, base: Any, spun: list[str], alts: Sequence[tuple[str, ...]], right: list[str], eos: bool,
               a: Any, b: Any) -> list[float]:
        """`_tail` of each of `alts` minus `_tail` of `spun` in one context, the same floats with fewer LM lookups.

        Once an alternative's LM state equals the state the spun words reach at the same right-context word,
        every later score is the spun reading's: KenLM's score depends on the state's words alone.
        """
        after = [*right, "</s>"] if eos else right
        score = model.BaseScore
        new_state = kenlm.State
        ref = 0.0
        cur = base
        for w in spun:
            nxt = new_state()
            ref += score(cur, w, nxt)
            cur = nxt
        states, scores = [], []
        for w in after:
            nxt = new_state()
            states.append(cur)
            scores.append(score(cur, w, nxt))
            ref += scores[-1]
            cur = nxt
        # (state the spun reading is in before the word, the word, the spun reading's scores from there on)
        steps = [(states[i], w, scores[i:]) for i, w in enumerate(after)]
        out = []
        for words in alts:
            # `total` starts at 0.0 and adds each score in turn, as `_tail` does; a and b take turns as the
            # state written to once the base context (never written to) is left.
            if words:
                total = 0.0 + score(base, words[0], a)
                cur, nxt = a, b
                for w in words[1:]:
                    total += score(cur, w, nxt)
                    cur, nxt = nxt, cur
            else:
                total = 0.0
                cur, nxt = base, a
            for state, w, rest in steps:
                if cur == state:
                    for x in rest:
                        total += x
                    break
                total += score(cur, w, nxt)
                cur, nxt = nxt, (b if cur is base else cur)
            out.append(total - ref)
        return out

    @staticmethod
    def _left(reading: list[list[str]], sent: list[int], i: int, n: int) -> tuple[list[str], bool]:
        words: list[str] = []
        s = sent[i]
        k = i - 1
        while k >= 0 and sent[k] == s and len(words) < n:
            words[:0] = reading[k]
            k -= 1
        bos = k < 0 or sent[k] != s
        return words[-n:] if n else [], bos and len(words) <= n

    @staticmethod
    def _right(reading: list[list[str]], sent: list[int], j: int, n: int) -> tuple[list[str], bool]:
        words: list[str] = []
        s = sent[j - 1]
        k = j
        while k < len(reading) and sent[k] == s and len(words) < n:
            words.extend(reading[k])
            k += 1
        eos = (k >= len(reading) or sent[k] != s) and len(words) <= n
        return words[:n], eos

    @staticmethod
    def _features(f: np.ndarray, prior: np.ndarray, gains: np.ndarray) -> None:
        """Write the LM columns of `f` from `gains` (options, occurrences) in nats."""
        n = gains.shape[1]
        # np.clip is minimum(maximum(...)) for finite values; mean is sum / n (numpy's own _mean).
        gains = np.minimum(np.maximum(gains, -15.0), 15.0)
        total = np.add.reduce(gains, axis=1)
        f[:, _F["lm_sum"]] = np.minimum(np.maximum(total, -40.0), 40.0) / 4.0
        f[:, _F["lm_mean"]] = total / n
        f[:, _F["lm_min"]] = np.minimum.reduce(gains, axis=1)
        ctx = gains - prior[:, None]
        ctx_total = np.add.reduce(ctx, axis=1)
        f[:, _F["ctx_mean"]] = ctx_total / n
        f[:, _F["ctx_sum"]] = np.minimum(np.maximum(ctx_total, -40.0), 40.0) / 4.0

    @staticmethod
    def _one_context_features(f: np.ndarray, prior: np.ndarray, gains: np.ndarray) -> None:
        """`_features` for one occurrence (`gains` one value per option): the same floats with fewer array passes.

        A sum or mean of one value is the value, and one clipped gain (and its excess over the prior, within
        ±30) lies inside the ±40 clip of the sums.
        """
        g = np.minimum(np.maximum(gains, -15.0), 15.0)
        ctx = g - prior
        f[:, _I_LM_SUM] = g / 4.0
        f[:, _I_LM_MEAN] = g
        f[:, _I_LM_MIN] = g
        f[:, _I_CTX_MEAN] = ctx
        f[:, _I_CTX_SUM] = ctx / 4.0

    # -- choosing changes -------------------------------------------------------------------------------
    def chosen(self, decisions: list[TypeDecision]) -> list[tuple[int, int, TypeDecision, int]]:
        """Non-overlapping spans to rewrite, (i, j, decision, the option that occurrence takes), in text order."""
        proposals = [(d.margin, i, j, d, n) for d in decisions
                     if d.best >= 0 and d.margin >= self._threshold_of(d)
                     for n, (i, j) in enumerate(d.occurrences)]
        proposals.sort(key=lambda p: (-p[0], p[1]))
        taken: set[int] = set()
        out = []
        for _, i, j, d, n in proposals:
            if any(k in taken for k in range(i, j)):
                continue
            taken.update(range(i, j))
            out.append((i, j, d, d.at(n)))
        out.sort(key=lambda x: x[0])
        return out

    def _threshold_of(self, d: TypeDecision) -> float:
        if d.aligned:
            return self.a_threshold
        if (self._phrase_tables and d.best >= 0 and d.rows[d.best][_LEARNED_N] == TERM
                and d.rows[d.best][_ORIGINAL] in self.collocations(d.key)):
            return self.colloc_threshold
        if self.u_threshold is not None and not d.learned:
            return self.u_threshold
        return self.l_threshold if d.learned else self.threshold

    def _apply_reading(self, forms: list[str], decisions: list[TypeDecision]) -> tuple[list[list[str]], list[int]]:
        """The text as the decoder now reads it, and the token positions that differ from the input."""
        reading = [[f] for f in forms]
        changed: list[int] = []
        for i, j, d, best in self.chosen(decisions):
            reading[i] = d.options[best].original.split()
            for k in range(i + 1, j):
                reading[k] = []
            changed.extend(range(i, j))
        return reading, changed

    def changes(self, an: Analysis) -> list[Change]:
        out = []
        toks = an.tokens
        unwritten: dict[int, bool] = {}
        taken: set[int] = set()
        for i, j, d, best in self.chosen(an.types):
            if id(d) not in unwritten:
                unwritten[id(d)] = never_written(d, an.text, toks)
            if unwritten[id(d)]:
                continue
            taken.update(range(i, j))
            out.append(self._change(an, i, j, d, best, d.p_best))
        out.extend(self._change(an, i, j, d, best, NAME_CONFIDENCE) for i, j, d, best, _ in self.renamed(an, taken))
        out.sort(key=lambda c: c.start)
        return out

    def _change(self, an: Analysis, i: int, j: int, d: TypeDecision, best: int, confidence: float) -> Change:
        s, e = an.tokens[i].start, an.tokens[j - 1].end
        if not d.options[best].original:  # a deletion takes the following space with it
            while e < len(an.text) and an.text[e] == " ":
                e += 1
        spun = an.text[s:e]
        order = np.argsort(-d.posterior[1:])
        alts = [self._written(d.options[k].original, spun) for k in order
                if k != best and d.posterior[k + 1] >= 0.01][:5]
        return Change(s + an.offset, e + an.offset, spun, self._written(d.options[best].original, spun), confidence,
                      alts)

    def renamed(self, an: Analysis, taken: Collection[int] = ()) -> list[tuple[int, int, TypeDecision, int, int]]:
        """Occurrences that turn a name the corpus never wrote into one it often did ("White Home" -> "White House"):
        (i, j, decision, option, times the corpus wrote the name), outside the tokens `taken`.

        A spinner that swaps the words of names leaves names nobody writes; the language model, lower-cased, cannot
        tell "White Home" from any other fluent pair, but the names file can.
        """
        if self.names is None:
            return []
        toks, text = an.tokens, an.text
        busy = set(taken)
        found = []
        for d in an.types:
            if not d.rows:
                continue
            order = None
            for i, j in d.occurrences:
                if not toks[i].text[0].isupper() or any(k in busy for k in range(i, j)):
                    continue
                run = name_run(text, toks, i, j)
                if run is None:
                    continue
                if order is None:
                    order = np.argsort(-d.posterior[1:], kind="stable")[:NAME_OPTIONS]
                    kinds = d.kinds
                a, b = run
                old = [toks[k].lower for k in range(i, j) if toks[k].is_word]
                head = [toks[k].lower for k in range(a, i) if toks[k].is_word]
                tail = [toks[k].lower for k in range(j, b) if toks[k].is_word]
                best, best_n = -1, 0
                for k in order:
                    words = d.rows[k][_ORIGINAL].split()
                    if d.posterior[k + 1] < NAME_MIN_P:
                        break
                    if not words or kinds[k] in (_RESPELT, _NAME):  # a word-vector neighbour of a name is a name
                        continue
                    n = renamed(self.names, head, old, words, tail, NAME_MIN_COUNT)
                    if n > best_n:
                        best, best_n = int(k), n
                if best >= 0:
                    found.append((i, j, d, best, best_n))
                    busy.update(range(i, j))
        return found

    def _written(self, original: str, spun: str) -> str:
        """`original` as it goes into the text: in the case pattern of `spun`, hyphenated words joined again."""
        out = match_case_phrase(original, spun)
        if self._hyphens and " - " in out:  # a learned table's hyphenated word, in LM form ("red - hot")
            out = out.replace(" - ", "-")
        return out


def apply_changes(text: str, changes: list[Change]) -> str:
    """Rebuild the text with every change applied; everything else is copied byte for byte."""
    parts, pos = [], 0
    for c in sorted(changes, key=lambda c: c.start):
        parts.append(text[pos : c.start])
        parts.append(c.original)
        pos = c.end
    parts.append(text[pos:])
    return "".join(parts)


class SpinnerDictionary:
    """What aligned tables tell about the spinner's dictionary beyond their entries, for the forms they do not hold.

    A spinner rewrites a word one way wherever it stands, so a word its pairs show left alone, or rewritten to one
    form of its own, is not the original of another form (`outside`). Whether its dictionary holds whole lemmas is
    read off the pairs too: of the words they show with another form of the same lemma, the share rewritten when
    such a form was rewritten and when none was, each against the share of all the words they show; `log_odds`
    moves a thesaurus option no pair shows by `weight` times that log odds ratio (a spinner whose dictionary holds
    lemmas rewrites most words whose other forms it rewrites, and few of the others).
    """

    def __init__(self, kept: dict[str, float], rewritten: dict[str, dict[str, float]],
                 lemma_set: Callable[[str], frozenset[str]], weight: float = 1.0) -> None:
        self.outside = frozenset(w for w in kept if w not in rewritten) | frozenset(
            o for o, forms in rewritten.items()
            if len(forms) == 1 and o not in kept and sum(forms.values()) >= SPOKEN_FOR)
        self._words = frozenset(w for w in chain(kept, rewritten) if " " not in w)
        self._rewritten = frozenset(rewritten)
        self._lemma_set = lemma_set
        self._by_lemma: dict[str, set[str]] = defaultdict(set)
        for w in self._words:
            for lemma in lemma_set(w):
                self._by_lemma[lemma].add(w)
        counts = np.zeros((2, 2))  # (another form of its lemma rewritten, the word rewritten)
        for w in self._words:
            others = self._forms_of(w) - {w}
            if others:
                counts[int(not others.isdisjoint(self._rewritten)), int(w in self._rewritten)] += 1
        base = min(max(len(self._words & self._rewritten) / max(len(self._words), 1), 0.01), 0.99)
        shares = (counts[:, 1] + 0.5) / (counts.sum(axis=1) + 1.0)
        self._shift = (weight * (_logit(shares[0]) - _logit(base)), weight * (_logit(shares[1]) - _logit(base)))
        self._memo: dict[str, float] = {}

    @classmethod
    def of(cls, channels: Sequence[ChannelTable], lemma_set: Callable[[str], frozenset[str]], weight: float = 1.0
           ) -> SpinnerDictionary | None:
        """From the aligned tables that counted the words their pairs left alone; None without one."""
        tables = [c for c in channels if c.kind == "aligned" and c.kept]
        if not tables:
            return None
        kept: dict[str, float] = defaultdict(float)
        rewritten: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for c in tables:
            for w, n in c.kept.items():
                kept[w] += n
            for entries in c.entries.values():
                for e in entries:
                    if e.count > 0:
                        rewritten[e.original][e.spun] += e.count
        return cls(kept, rewritten, lemma_set, weight)

    def _forms_of(self, word: str) -> set[str]:
        return {w for lemma in self._lemma_set(word) for w in self._by_lemma.get(lemma, ())}

    def log_odds(self, original: str) -> float:
        """How much likelier the pairs make `original`, which they never show, as an original than the thesaurus."""
        got = self._memo.get(original)
        if got is None:
            got = 0.0
            if " " not in original and original not in self._words:
                others = self._forms_of(original)
                if others:
                    got = float(self._shift[int(not others.isdisjoint(self._rewritten))])
            self._memo[original] = got
        return got


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def aligned_columns(opt: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ALIGNED_FEATURES per option and ALIGNED_KEEP_FEATURES of the span from `Decoder.aligned_counts`.

    How often a rewrite was seen says how far to trust it (one sighting in one document, or forty); the share of
    the form's sightings left as they were is the prior that it was not spun, and the share of the times the
    originals show it that it was left as it was says whether the spinner's dictionary covers it at all.
    """
    count, rewritten = opt[:, 0], opt[:, 1]
    chan = np.where(rewritten > 0, np.log((count + 0.5) / (rewritten + 1.0)), 0.0)
    opt_x = np.column_stack([np.log1p(count), (count == 0).astype(np.float64), chan])
    seen, kept, rw = (float(x) for x in span)
    keep_x = np.array([
        math.log((kept + 0.5) / (seen + 1.0)) if seen > 0 else 0.0,
        math.log1p(seen),
        math.log((kept + 0.5) / (kept + rw + 1.0)) if rw > 0 else 0.0,
    ])
    return opt_x, keep_x


def _inflections_of(rows: Sequence[OptionRow], best: int, lemmas: Callable[[str], frozenset[str]]
                    ) -> tuple[int, ...]:
    """The options (best first) the aligned table saw this form written for that share a lemma with option `best`,
    or () when there is no other: a spinner that writes one form for every inflection of a word shows them so."""
    if rows[best][_LEARNED_N] <= 0:
        return ()
    lem = lemmas(rows[best][_ORIGINAL])
    out = [c for c, r in enumerate(rows)
           if c != best and r[_LEARNED_N] > 0 and not lem.isdisjoint(lemmas(r[_ORIGINAL]))]
    return (best, *out) if out else ()


def _term_index(channels: list[ChannelTable]) -> dict[int, dict[str, set[tuple[str, ...]]]]:
    """The learned tables' multiword originals (2-3 words), by length and first word."""
    out: dict[int, dict[str, set[tuple[str, ...]]]] = {}
    for table in channels:
        if table.kind != "phrases":
            continue
        for entries in table.entries.values():
            for e in entries:
                words = tuple(e.original.split(" "))
                if 2 <= len(words) <= 3 and all(words):
                    out.setdefault(len(words), {}).setdefault(words[0], set()).add(words)
    return out


def never_written(d: TypeDecision, text: str, tokens: list[Token]) -> bool:
    """The type's best reading is one restore does not write, however sure: a respelling or a guess at a name."""
    return d.best >= 0 and bool(unwritten(d, text, tokens, only_best=True))


def unwritten(d: TypeDecision, text: str, tokens: list[Token], only_best: bool = False) -> list[int]:
    """Indexes of the type's options that restore never writes, however likely (the best one alone if asked)."""
    kinds = d.kinds
    out = []
    name: bool | None = None
    in_name: bool | None = None
    n_words = 0
    for k in (d.best,) if only_best else range(len(kinds)):
        kind = kinds[k]
        if kind == _TERM:
            # Terms are lower-case: a name's words are not a term's ("Sergeant First Class" -> "Quality").
            if in_name is None:
                in_name = _holds_name(text, tokens, d.occurrences)
            if in_name:
                out.append(k)
            continue
        if kind == _KEPT:
            continue
        if kind == _RESPELT:
            out.append(k)
            continue
        if kind == _NAME_IF_SPAN:
            if not n_words:
                i, j = d.occurrences[0]
                n_words = sum(t.is_word for t in tokens[i:j])
            if n_words == 1:
                continue
        if name is None:
            name = _written_as_name(text, tokens, d.occurrences)
        if name:
            out.append(k)
    return out


# What `unwritten` makes of an option whatever the text: not written when the span holds a name (a term), always
# written (a table's, or several words that a thesaurus lists), never (a respelling), not when the type is written
# as a name (a word-vector neighbour), and not so when its span also has several words (one word from a thesaurus).
_TERM, _KEPT, _RESPELT, _NAME, _NAME_IF_SPAN = range(5)


def _kinds(key: str, rows: Sequence[OptionRow]) -> tuple[int, ...]:
    us = None if " " in key else _SPELLING.sub(_us_spelling, key)  # a respelling is one word for one word
    out = []
    for original, sources, _, _, _, learned_p, learned_n in rows:
        if learned_n == TERM:
            out.append(_TERM)
        elif learned_p > 0 or sources & _TABLE_BITS:
            out.append(_KEPT)
        elif us is not None and _respelling(key, us, original):
            out.append(_RESPELT)
        elif sources != _EMBED:
            out.append(_KEPT if " " in original else _NAME_IF_SPAN)
        else:
            out.append(_NAME)
    return tuple(out)


_TABLE_BITS: Final = int(Source.BUILTIN | Source.LEARNED)
_EMBED: Final = int(Source.EMBED)


def _written_as_name(text: str, tokens: list[Token], occurrences: list[tuple[int, int]]) -> bool:
    """Some occurrence is written as a name: capitalised words past a sentence's first.

    Restore does not read such a type as a word-vector neighbour only ("Munster" -> "Lancashire") nor, when it has
    several words, as one word ("Fannie Mae" -> "Policy"): spinners that touch names swap their words for words or
    phrases ("White House" -> "White Home", "Prime Minister" -> "Head Of State").
    """
    for i, j in occurrences:
        words = [t.text for t in tokens[i:j] if t.is_word]
        if all(w[:1].isupper() for w in words) and (len(words) > 1 or not starts_sentence(text, tokens, i)):
            return True
    return False


def _holds_name(text: str, tokens: list[Token], occurrences: list[tuple[int, int]]) -> bool:
    """Some occurrence has a word in it that reads as a name (an acronym, a capital inside a sentence)."""
    return any(is_name(text, tokens, k) for i, j in occurrences for k in range(i, j))


def _respelling(spun: str, spun_us: str, full: str) -> bool:
    """A reading that only spells the word out or differently: the expansion of a short form ("bn" -> "billion",
    "secs" -> "seconds", "net" -> "internet") or another spelling ("visualisation" -> "visualization"). Clean
    text is full of both, and neither says anything about spinning. `spun_us` is `spun` in American spelling."""
    if not full or " " in full:
        return False
    if full[0] != spun[0] and full[:2] not in _AE_OE and spun[:2] not in _AE_OE:
        # Spelling rules keep the first letter (but for "ae"/"oe"): only a short form's tail can match ("net").
        return len(spun) < len(full) and full.endswith(spun)
    if _SPELLING.sub(_us_spelling, full) == spun_us:
        return True
    if len(spun) >= len(full):
        return False
    if full.endswith(spun):
        return True
    rest = iter(full[1:])
    return spun[0] == full[0] and all(c in rest for c in spun[1:])


# British endings and their American spellings (the first match of each ending is rewritten).
_US = {"isation": "ization", "ise": "ize", "ised": "ized", "ises": "izes", "ising": "izing", "yse": "yze",
       "ysed": "yzed", "ysing": "yzing", "our": "or", "ours": "ors", "tre": "ter", "tres": "ters",
       "ogue": "og", "ogues": "ogs", "ence": "ense", "lled": "led", "lling": "ling", "ller": "ler"}
_SPELLING = re.compile(r"(" + "|".join(sorted(_US, key=len, reverse=True)) + r")$|ae|oe")


_AE_OE = ("ae", "oe")


def _us_spelling(m: re.Match[str]) -> str:
    return _US.get(m.group(0), "e")


def _drops_words(original: str, spun: list[str], sources: int) -> bool:
    """A thesaurus reading that only drops words of the span ("rate of return" <- "rate"): spinners swap
    words, they do not add modifiers, so only the built-in table's rewrites ("make use of") may shorten so."""
    if sources & int(Source.BUILTIN):
        return False
    words = original.split(" ")
    return 0 < len(words) < len(spun) and all(w in spun for w in words)
