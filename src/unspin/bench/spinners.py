"""Simulated article spinners that make benchmark data, each from its own fixed dictionary.

A profile decides from the word alone (its lemma, or its surface form for the distributional
profile) and the seed whether the word is in its dictionary and what it becomes, so every
occurrence is spun alike, as real spinners do; `per_occurrence=True` picks the synonym afresh each
time instead. `rate` is the dictionary's coverage of the words the profile can spin. Every
substitution is recorded with character offsets in both texts (`SpunDoc.subs`).

Profiles (see PROFILES): "wordnet", "mythes" and "moby" read the Debian thesauri through
`unspin.lexicon.sources.iter_pairs`; "distributional" uses word2vec neighbours trained here on a
fixed slice of the Wikipedia corpus (not the lexicon's embeddings), keeping only neighbours that
no thesaurus lists; "contentfarm" uses our own table `contentfarm.tsv`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lemminflect import getAllInflections, getAllLemmas, getInflection

from unspin.text import Token, match_case, match_case_phrase, tokenize

log = logging.getLogger("unspin")

PROFILES: dict[str, str] = {
    "wordnet": "WordNet 3.0 synonyms, context-free sense choice, inflection kept",
    "mythes": "LibreOffice thesaurus, multiword synonyms, inflection kept",
    "moby": "Moby/Aiksaurus synonyms in base form: inflection ignored (agreement errors)",
    "distributional": "word2vec neighbours no thesaurus lists (own model, Wikipedia slice), surface forms",
    "contentfarm": "fixed one-to-one table of our own: function words, idioms, phrases, capitalised words",
}


def _source_flags() -> dict[str, int]:
    try:
        from unspin.lexicon import Source
    except ImportError:  # the lexicon's Source flag is not there yet: fall back to its planned values
        return {"wordnet": 1, "mythes": 2, "moby": 4, "distributional": 8, "contentfarm": 16}
    flag = {
        "wordnet": "WORDNET",
        "mythes": "MYTHES",
        "moby": "MOBY",
        "distributional": "EMBED",
        "contentfarm": "BUILTIN",
    }
    return {p: int(getattr(Source, name, 0)) for p, name in flag.items()}


# Leave-one-source-out excludes this lexicon source; contentfarm's "source" is the builtin table
# (which is a different table, so contentfarm is never really in the lexicon).
PROFILE_SOURCE: dict[str, int] = _source_flags()

# Closed-class words the thesaurus profiles leave alone (contentfarm has its own rules for them).
STOPWORDS = frozenset(
    """a an the and or but nor so yet for of in on at to by with from into onto upon about as than
    then that this these those there here what which who whom whose when where why how if whether
    not no i me my mine we us our ours you your yours he him his she her hers it its they them
    their theirs be am is are was were been being have has had having do does did doing will would
    shall should can could may might must ought one ones all any some each every both either
    neither other such own same very too also just only up down out off over under again further
    once more most few many much s t""".split()
)
_UPOS = {"n": "NOUN", "v": "VERB", "a": "ADJ", "r": "ADV"}
_BASE_TAG = {"NOUN": "NN", "VERB": "VB", "ADJ": "JJ", "ADV": "RB"}
_MAX_SYNONYMS = 10  # a tool offers the first few listed synonyms, not all 50 of a big entry


@dataclass(frozen=True)
class Sub:
    """One substitution: spun[spun_start:spun_end] replaced original[orig_start:orig_end]."""

    spun_start: int
    spun_end: int
    orig_start: int
    orig_end: int
    spun: str
    original: str


@dataclass(frozen=True)
class SpunDoc:
    original: str
    spun: str
    subs: list[Sub]


def apply_subs(original: str, subs: Iterable[Sub]) -> str:
    """Rebuild the spun text from the original and the substitutions."""
    out, pos = [], 0
    for s in sorted(subs, key=lambda s: s.orig_start):
        out.append(original[pos : s.orig_start])
        out.append(s.spun)
        pos = s.orig_end
    out.append(original[pos:])
    return "".join(out)


def _unit(seed: int, profile: str, *key: str) -> float:
    """A uniform number in [0, 1) that depends only on the seed, the profile and the key."""
    h = hashlib.blake2b("\x1f".join(key).encode(), digest_size=8, key=f"{profile}:{seed}".encode()[:64])
    return int.from_bytes(h.digest(), "big") / 2**64


def _sentence_initial(tokens: list[Token], i: int, text: str) -> bool:
    if i == 0:
        return True
    prev = tokens[i - 1]
    if "\n" in text[prev.end : tokens[i].start]:
        return True
    j = i - 1
    while j >= 0 and tokens[j].text in "\"“‘'([":
        j -= 1
    return j < 0 or tokens[j].text in ".!?:"


def _inflect(phrase: str, tag: str, upos: str) -> str | None:
    """Inflect the head of `phrase` (first word of a verb phrase, last word otherwise) to `tag`."""
    words = phrase.split(" ")
    k = 0 if upos == "VERB" or " of " in phrase else len(words) - 1
    forms = getInflection(words[k], tag, inflect_oov=True)
    if not forms:
        return None
    words[k] = forms[0]
    return " ".join(words)


def _tag_of(word: str, lemma: str, upos: str) -> str:
    """The Penn tag of `word` as a form of `lemma`, the base tag first ("trade" is NN, not NNS)."""
    tags = [t for t, fs in getAllInflections(lemma, upos).items() if word in fs]
    base = _BASE_TAG[upos]
    if not tags or base in tags:
        return base
    return next((t for t in tags if getAllInflections(lemma, upos)[t][0] == word), tags[0])


class Spinner:
    """Spins text with one profile's dictionary; subclasses say what a word at a position becomes."""

    profile = ""
    capitalised_names = False  # spin capitalised words in mid-sentence (contentfarm only)

    def __init__(self, rate: float, seed: int = 0, per_occurrence: bool = False) -> None:
        self.rate = rate
        self.seed = seed
        self.per_occurrence = per_occurrence
        self._rng = random.Random(seed)

    def covered(self, key: str) -> bool:
        return _unit(self.seed, self.profile, "in", key) < self.rate

    def choose(self, key: str, options: list[str]) -> str:
        if self.per_occurrence:
            return options[self._rng.randrange(len(options))]
        return options[int(_unit(self.seed, self.profile, "pick", key) * len(options))]

    def replace(self, words: list[str]) -> tuple[int, str] | None:
        """Given the lower-case words from here on, return (words consumed, replacement) or None."""
        raise NotImplementedError

    def spin(self, text: str) -> SpunDoc:
        tokens = tokenize(text)
        out: list[str] = []
        subs: list[Sub] = []
        pos = 0  # copied text[:pos] so far
        spun_len = 0
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if not self._eligible(tokens, i, text):
                i += 1
                continue
            words = self._window(tokens, i, text)
            hit = self.replace(words)
            if hit is None:
                i += 1
                continue
            n, repl = hit
            first, last = tokens[i], tokens[i + n - 1]
            span = text[first.start : last.end]
            if n > 1 and not self.capitalised_names and any(t.text[0].isupper() for t in tokens[i + 1 : i + n]):
                i += 1
                continue
            repl = match_case_phrase(repl, span) if (" " in repl or n > 1) else match_case(repl, tok.text)
            if repl == span:
                i += n
                continue
            gap = text[pos : first.start]
            out.append(gap)
            spun_len += len(gap)
            subs.append(Sub(spun_len, spun_len + len(repl), first.start, last.end, repl, span))
            out.append(repl)
            spun_len += len(repl)
            pos = last.end
            i += n
        out.append(text[pos:])
        return SpunDoc(text, "".join(out), subs)

    def _eligible(self, tokens: list[Token], i: int, text: str) -> bool:
        t = tokens[i].text
        if not t[0].isalpha() or "'" in t or "’" in t:
            return False
        if t.isupper() and len(t) > 1:
            return False  # acronyms
        if t[0].isupper() and not self.capitalised_names and not _sentence_initial(tokens, i, text):
            return False  # names mostly survive spinning
        return True

    @staticmethod
    def _window(tokens: list[Token], i: int, text: str, size: int = 4) -> list[str]:
        """Lower-case words from token i on that are separated by single spaces (a phrase may span them)."""
        words = [tokens[i].lower]
        for j in range(i + 1, min(i + size, len(tokens))):
            if text[tokens[j - 1].end : tokens[j].start] != " " or not tokens[j].is_word:
                break
            words.append(tokens[j].lower)
        return words


class ThesaurusSpinner(Spinner):
    """Single-word spins from a thesaurus; keeps inflection unless `keep_inflection` is False."""

    keep_inflection = True

    def __init__(self, profile: str, rate: float, seed: int = 0, per_occurrence: bool = False) -> None:
        super().__init__(rate, seed, per_occurrence)
        self.profile = profile
        self.table = _thesaurus(profile)
        self._memo: dict[str, tuple[str, list[str]] | None] = {}

    def replace(self, words: list[str]) -> tuple[int, str] | None:
        w = words[0]
        if w in STOPWORDS:
            return None
        if w not in self._memo:
            self._memo[w] = self._entry(w)
        entry = self._memo[w]
        if entry is None:
            return None
        key, options = entry
        return 1, self.choose(key, options)

    def _entry(self, w: str) -> tuple[str, list[str]] | None:
        """The dictionary entry of surface word `w`: (lemma key, its possible spun forms), or None."""
        analyses = []  # (lemma, upos, tag) with synonyms in the table
        for upos, lemmas in getAllLemmas(w).items():
            for lemma in lemmas:
                if (lemma, upos) in self.table or (lemma, "") in self.table:
                    analyses.append((lemma, upos, _tag_of(w, lemma, upos)))
        if not analyses and (w, "") in self.table:
            analyses.append((w, "", ""))
        if not analyses:
            return None
        # Context-free: one analysis per surface form, picked by the hash, like a spinner's first sense.
        analyses.sort()
        lemma, upos, tag = analyses[int(_unit(self.seed, self.profile, "sense", w) * len(analyses))]
        if not self.covered(lemma):
            return None
        syns = self.table.get((lemma, upos)) or self.table.get((lemma, ""), [])
        if not self.keep_inflection or not tag or tag == _BASE_TAG.get(upos):
            options = list(syns)
        else:
            options = [f for f in (_inflect(s, tag, upos or "NOUN") for s in syns) if f]
        options = [o for o in options if o != w]
        return (f"{lemma}/{upos}/{tag}", options) if options else None


class MobySpinner(ThesaurusSpinner):
    keep_inflection = False

    def __init__(self, rate: float, seed: int = 0, per_occurrence: bool = False) -> None:
        super().__init__("moby", rate, seed, per_occurrence)

    def _entry(self, w: str) -> tuple[str, list[str]] | None:
        # A cheap tool: look the word up as written, else its lemma, and paste the synonym's base form.
        lemma = w if (w, "") in self.table else None
        if lemma is None:
            for lemmas in getAllLemmas(w).values():
                lemma = next((lm for lm in lemmas if (lm, "") in self.table), None)
                if lemma:
                    break
        if lemma is None or not self.covered(lemma):
            return None
        options = [s for s in self.table[(lemma, "")] if s != w]
        return (lemma, options) if options else None


class DistributionalSpinner(Spinner):
    """Surface-form swaps for word2vec neighbours that no thesaurus lists."""

    profile = "distributional"

    def __init__(self, rate: float, seed: int = 0, per_occurrence: bool = False) -> None:
        super().__init__(rate, seed, per_occurrence)
        self.table = _neighbours()

    def replace(self, words: list[str]) -> tuple[int, str] | None:
        w = words[0]
        options = self.table.get(w)
        if not options or w in STOPWORDS or not self.covered(w):
            return None
        return 1, self.choose(w, options)


class TableSpinner(Spinner):
    """A content farm's one-to-one table: phrases up to four words, capitalised words too."""

    profile = "contentfarm"
    capitalised_names = True

    def __init__(self, rate: float, seed: int = 0, per_occurrence: bool = False) -> None:
        super().__init__(rate, seed, per_occurrence)
        self.table = _contentfarm()

    def replace(self, words: list[str]) -> tuple[int, str] | None:
        for n in range(len(words), 0, -1):
            hit = self.table.get(" ".join(words[:n]))
            # One output per entry, so the per-occurrence variant draws whether to spin each occurrence.
            if hit and (self._rng.random() < self.rate if self.per_occurrence else self.covered(hit[0])):
                return n, hit[1]
        return None


def make_spinner(profile: str, rate: float, seed: int = 0, per_occurrence: bool = False) -> Spinner:
    """A spinner of `profile` (see PROFILES) whose dictionary covers `rate` of the words it can spin."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    if profile in ("wordnet", "mythes"):
        return ThesaurusSpinner(profile, rate, seed, per_occurrence)
    if profile == "moby":
        return MobySpinner(rate, seed, per_occurrence)
    if profile == "distributional":
        return DistributionalSpinner(rate, seed, per_occurrence)
    if profile == "contentfarm":
        return TableSpinner(rate, seed, per_occurrence)
    raise ValueError(f"unknown spinner profile {profile!r}; expected one of {', '.join(PROFILES)}")


def _usable(word: str) -> bool:
    return bool(word) and all(c.isalpha() or c in " -" for c in word) and word == word.lower()


@functools.cache
def _thesaurus(source: str) -> dict[tuple[str, str], list[str]]:
    """(lemma, upos or "") -> first synonyms, from one thesaurus (single-word headwords only)."""
    from unspin.lexicon.sources import iter_pairs

    table: dict[tuple[str, str], list[str]] = {}
    for head, syn, pos in iter_pairs(source):
        if " " in head or not head.isalpha() or not _usable(syn) or syn.count(" ") > 3:
            continue
        key = (head, _UPOS.get(pos, ""))
        lst = table.setdefault(key, [])
        if len(lst) < _MAX_SYNONYMS and syn != head:
            lst.append(syn)
    return table


@functools.cache
def _thesaurus_words() -> dict[str, set[str]]:
    """Headword -> every synonym any thesaurus lists (to keep the distributional profile off them)."""
    from unspin.lexicon.sources import iter_pairs

    out: dict[str, set[str]] = {}
    for source in ("wordnet", "mythes", "moby"):
        for head, syn, _ in iter_pairs(source):
            if " " not in head and " " not in syn:
                out.setdefault(head, set()).add(syn)
                out.setdefault(syn, set()).add(head)
    return out


def _contentfarm_rows() -> Iterator[tuple[str, str, str]]:
    data = resources.files("unspin.bench").joinpath("contentfarm.tsv").read_text(encoding="utf-8")
    for line in data.splitlines():
        if line.strip() and not line.startswith("#"):
            src, dst, pos = line.split("\t")
            yield src, dst, pos


@functools.cache
def _contentfarm() -> dict[str, tuple[str, str]]:
    """Surface phrase -> (entry key, replacement): each table row expanded over its inflections."""
    table: dict[str, tuple[str, str]] = {}
    for src, dst, pos in _contentfarm_rows():
        table.setdefault(src, (src, dst))
        if pos not in ("NOUN", "VERB", "ADJ"):
            continue
        k = 0 if pos == "VERB" else len(src.split(" ")) - 1
        src_words = src.split(" ")
        for tag, forms in getAllInflections(src_words[k], pos).items():
            new_dst = _inflect(dst, tag, pos)
            if not new_dst:
                continue
            for f in forms:
                table.setdefault(" ".join(src_words[:k] + [f] + src_words[k + 1 :]), (src, new_dst))
    return table


def contentfarm_table() -> list[tuple[str, str]]:
    """The content-farm profile's (original, spun) rows in lemma form (for overlap checks)."""
    return [(s, d) for s, d, _ in _contentfarm_rows()]


# --- distributional neighbours --------------------------------------------------------------

_SHARED = Path(os.environ.get("UNSPIN_SHARED", Path(__file__).resolve().parents[3] / ".." / "shared"))
WIKI = _SHARED.resolve() / "corpora" / "wikipedia-en" / "enwiki-00.jsonl.gz"
_W2V_WORDS = 5_000_000  # a fixed slice: shard 00, about 5 M words
_NEIGHBOURS_VERSION = "v2"


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "unspin" / "bench"


@functools.cache
def _neighbours() -> dict[str, list[str]]:
    """Word -> word2vec neighbours no thesaurus lists, trained once and cached under ~/.cache/unspin/bench."""
    path = _cache_dir() / f"neighbours-{_NEIGHBOURS_VERSION}.tsv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for word, near in _train_neighbours():
                fh.write(word + "\t" + " ".join(near) + "\n")
        tmp.replace(path)
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        w, _, ns = line.partition("\t")
        if ns:
            table[w] = ns.split(" ")
    return table


def _wiki_sentences(limit: int) -> Iterator[list[str]]:
    import gzip
    import json

    if not WIKI.exists():
        raise FileNotFoundError(f"{WIKI} is missing: the distributional profile trains its neighbours on it")
    n = 0
    with gzip.open(WIKI, "rt", encoding="utf-8") as fh:
        for line in fh:
            for para in json.loads(line)["text"].split("\n\n"):
                words = [t.lower for t in tokenize(para) if t.is_word]
                n += len(words)
                yield words
            if n >= limit:
                return


def _analyses(word: str) -> set[tuple[str, str]]:
    return {
        (upos, tag)
        for upos, lemmas in getAllLemmas(word).items()
        if upos in _BASE_TAG
        for lm in lemmas
        for tag, fs in getAllInflections(lm, upos).items()
        if word in fs
    }


def _train_neighbours() -> Iterator[tuple[str, list[str]]]:
    from gensim.models import Word2Vec

    log.info("training the distributional spinner's word2vec neighbours (once, a few minutes)")
    sents = list(_wiki_sentences(_W2V_WORDS))
    model = Word2Vec(sents, vector_size=100, window=5, min_count=30, workers=2, epochs=5, seed=1, sg=0)
    thes = _thesaurus_words()
    wv = model.wv
    vocab = [w for w in wv.index_to_key[:25000] if w.isalpha() and len(w) >= 3 and w not in STOPWORDS]
    near = {w: [(n, sim) for n, sim in wv.most_similar(w, topn=20)] for w in vocab}
    for w in vocab:
        lemmas = {lm for ls in getAllLemmas(w).values() for lm in ls} | {w}
        listed = set().union(*(thes.get(lm, set()) for lm in lemmas))
        shape = _analyses(w)
        keep = []
        for n, sim in near[w]:
            # Mutual neighbours of the same part of speech and inflection: what an embedding spinner offers.
            if sim < 0.6 or n not in near or w not in {m for m, _ in near[n]} or n[:5] == w[:5]:
                continue
            n_lemmas = {lm for ls in getAllLemmas(n).values() for lm in ls} | {n}
            if n_lemmas & lemmas or n in listed or n_lemmas & listed or not (_analyses(n) & shape):
                continue
            keep.append(n)
        if keep:
            yield w, keep[:5]
