"""Fast cached wrappers around lemminflect and wordfreq for the lexicon's hot path."""

from __future__ import annotations

import math
from typing import Any

_UPOS_TAGS = {
    "NOUN": ("NN", "NNS"),
    "VERB": ("VB", "VBD", "VBG", "VBN", "VBP", "VBZ"),
    "ADJ": ("JJ", "JJR", "JJS"),
    "ADV": ("RB", "RBR", "RBS"),
}


MEMO_LIMIT = 200_000  # memoised words or lemmas before a table is emptied


class Morph:
    """Lemmas, inflections and Zipf frequencies, memoised (lemminflect deep-copies on every call)."""

    def __init__(self) -> None:
        from lemminflect import getAllInflectionsOOV, getAllLemmasOOV
        from lemminflect.core.Inflections import Inflections
        from lemminflect.core.Lemmatizer import Lemmatizer
        from lemminflect.core.LexicalUtils import applyCapsStyleToDict, getCapsStyle

        self._lemmas_oov = getAllLemmasOOV
        self._infl_oov = getAllInflectionsOOV
        self._caps_style = getCapsStyle
        self._caps_apply = applyCapsStyleToDict
        infl = Inflections()
        lem = Lemmatizer()
        # Read-only views of lemminflect's tables; the public getAllInflections and getAllLemmas deep-copy them
        # per call.
        self._infl_dict: dict[str, Any] = infl._getInflDict()
        self._overrides: dict[str, Any] = infl._getOverridesDict()
        self._lemma_dict: dict[str, Any] = lem._getLemmaDict()
        self._lemma_overrides: dict[str, Any] = lem._getOverridesDict()
        self._lem: dict[str, dict[str, tuple[str, ...]]] = {}
        self._lem_as: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._tables: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
        self._freqs: dict[str, float] | None = None
        self._zipfs: dict[str, float] = {}

    def memo_size(self) -> int:
        return len(self._lem) + len(self._lem_as) + len(self._tables) + len(self._zipfs)

    def clear_memo(self) -> None:
        self._lem.clear()
        self._lem_as.clear()
        self._tables.clear()
        self._zipfs.clear()

    def lemmas(self, word: str) -> dict[str, tuple[str, ...]]:
        """upos -> lemmas of `word`, by lemminflect's dictionary, else by its rules for nouns and verbs."""
        got = self._lem.get(word)
        if got is None:
            if len(self._lem) >= MEMO_LIMIT:  # every new word of a long corpus run would stay otherwise
                self._lem.clear()
            got = self._with_guesses(word, ("NOUN", "VERB"))
            self._lem[word] = got
        return got

    def lemmas_as(self, word: str, upos: tuple[str, ...]) -> tuple[str, ...]:
        """The lemmas `lemmas(word)` gives under the parts of speech `upos`, guessing by rule only for those."""
        k = (word, upos)
        got = self._lem_as.get(k)
        if got is None:
            if len(self._lem_as) >= MEMO_LIMIT:
                self._lem_as.clear()
            known = self._lem.get(word)
            if known is None:  # as `lemmas` does, guessing for the wanted parts of speech alone
                known = self._with_guesses(word, tuple(u for u in ("NOUN", "VERB") if u in upos))
            got = self._lem_as[k] = tuple(lemma for u, found in known.items() if u in upos for lemma in found)
        return got

    def _with_guesses(self, word: str, guess: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """`dict_lemmas(word)`, or for a word its tables lack, lemminflect's rule-based lemmas under `guess`."""
        got = self.dict_lemmas(word)
        if not got and word.isalpha() and len(word) > 3:
            for upos in guess:
                # lemminflect's rules can strip a word to nothing ("rina" as a verb): no lemma, not a crash.
                oov = tuple(x for x in self._lemmas_oov(word, upos).get(upos, (word,)) if x)
                if oov and oov != (word,):
                    got[upos] = oov
        return got

    def dict_lemmas(self, word: str) -> dict[str, tuple[str, ...]]:
        """lemminflect's getAllLemmas(word): its tables' entry and overrides, in the word's capitalisation."""
        lower = word.lower()
        # A shallow copy will do: applyCapsStyleToDict replaces the copy's values, and never changes one.
        got = dict(self._lemma_dict.get(lower, {}))
        got.update(self._lemma_overrides.get(lower, {}))
        out: dict[str, tuple[str, ...]] = self._caps_apply(got, self._caps_style(word))
        return out

    def table(self, lemma: str, upos: str) -> dict[str, tuple[str, ...]]:
        """Penn tag -> spellings for `lemma` as `upos`."""
        k = (lemma, upos)
        got = self._tables.get(k)
        if got is None:
            if len(self._tables) >= MEMO_LIMIT:
                self._tables.clear()
            forms = dict(self._infl_dict.get(lemma, {}))
            forms.update(self._overrides.get(lemma, {}))
            tags = _UPOS_TAGS.get(upos, ())
            got = {t: tuple(f) for t, f in forms.items() if t in tags}
            if not got and upos in _UPOS_TAGS:
                got = {t: tuple(f) for t, f in self._infl_oov(lemma, upos).items()}
            # Only the regular plural: lemminflect also lists zero plurals ("court" as NNS of "court"),
            # which would make every singular look plural.
            if "NNS" in got:
                got["NNS"] = got["NNS"][:1]
            # The table leaves out a past participle spelled like the past tense ("arrived").
            if "VBD" in got and "VBN" not in got:
                got["VBN"] = got["VBD"]
            self._tables[k] = got
        return got

    def inflect(self, lemma: str, upos: str, tag: str) -> tuple[str, ...]:
        if tag in ("NN", "VB", "JJ", "RB") or (tag == "VBP" and lemma != "be"):
            return (lemma,)
        return self.table(lemma, upos).get(tag, (lemma,))

    def zipf(self, phrase: str) -> float:
        """wordfreq's Zipf frequency of a lower-case, space-separated phrase (same combination rule)."""
        got = self._zipfs.get(phrase)
        if got is None:
            if len(self._zipfs) >= MEMO_LIMIT:
                self._zipfs.clear()
            got = self._zipfs[phrase] = self._zipf(phrase)
        return got

    def _zipf(self, phrase: str) -> float:
        if self._freqs is None:
            from wordfreq import get_frequency_dict

            self._freqs = get_frequency_dict("en", "best")
        inv = 0.0
        for w in phrase.split(" "):
            f = self._freqs.get(w, 0.0)
            if f <= 0.0:
                return 0.0
            inv += 1.0 / f
        return round(math.log10(1.0 / inv) + 9.0, 2) if inv else 0.0
