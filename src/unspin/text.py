"""Tokens with character offsets into the untouched input, plus case and LM-normalisation helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Words keep internal apostrophes ("don't", "O'Neill"); numbers keep internal separators ("3.5", "1,000").
_TOKEN_RE = re.compile(
    r"[^\W\d_]+(?:['’][^\W\d_]+)*"  # words (any script letters)
    r"|\d+(?:[.,:]\d+)*%?"  # numbers
    r"|[^\w\s]"  # one punctuation character
    r"|_+",
)
_SENT_END = frozenset(".!?")
_CLAUSE_END = frozenset(".!?:")  # a capitalised word after these may just start a sentence
_OPENERS = frozenset("\"“‘'([")
_DIGIT_RE = re.compile(r"\d")
# Closed-class words: articles, pronouns, auxiliaries, prepositions, conjunctions and the like.
FUNCTION_WORDS = frozenset(
    """a an the and or but nor so yet for of in on at to by with from into onto upon about as than
    then that this these those there here what which who whom whose when where why how if whether
    not no i me my mine we us our ours you your yours he him his she her hers it its they them
    their theirs be am is are was were been being have has had having do does did doing will would
    shall should can could may might must one all any some each every both either neither other
    such own same very too also just only up down out off over under again further once more most
    few many much s t""".split()
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its text and its [start, end) offsets in the input."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalpha()

    @property
    def lower(self) -> str:
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def lm_form(token: str) -> str:
    """The form a token takes in language-model text: lower case, digits folded to 0."""
    t = token.lower().replace("’", "'")
    if not t.isalpha() and any(c.isdigit() for c in t):  # a letter is never a digit: most tokens stop here
        t = _DIGIT_RE.sub("0", t)
    return t


def sentences(tokens: list[Token]) -> Iterator[tuple[int, int]]:
    """Yield [i, j) token-index ranges of sentences (split after . ! ? and at blank lines)."""
    start = 0
    n = len(tokens)
    for i, tok in enumerate(tokens):
        end_here = tok.text in _SENT_END and (i + 1 == n or tokens[i + 1].text not in _SENT_END)
        if end_here:
            yield start, i + 1
            start = i + 1
    if start < n:
        yield start, n


def names(text: str, tokens: list[Token]) -> list[bool]:
    """For each token, whether it reads as a name (`is_name`)."""
    return [is_name(text, tokens, i) for i in range(len(tokens))]


def is_name(text: str, tokens: list[Token], i: int) -> bool:
    """Token i reads as a name: an acronym, or a capitalised word inside a sentence."""
    t = tokens[i]
    if not t.is_word:
        return False
    if t.text.isupper() and len(t.text) > 1:
        return True
    return t.text[0].isupper() and not starts_sentence(text, tokens, i)


def starts_sentence(text: str, tokens: list[Token], i: int) -> bool:
    """Token i opens a sentence, a line or a quotation or bracket at one (so a capital letter there says nothing)."""
    j = i - 1
    while j >= 0 and tokens[j].text in _OPENERS and "\n" not in text[tokens[j].end : tokens[j + 1].start]:
        j -= 1
    return j < 0 or tokens[j].text in _CLAUSE_END or "\n" in text[tokens[j].end : tokens[j + 1].start]


def lm_sentences(text: str) -> Iterator[list[str]]:
    """Yield sentences of `text` as lists of LM forms (the training format for `unspin lm build`)."""
    for para in text.split("\n"):
        toks = tokenize(para)
        for i, j in sentences(toks):
            yield [lm_form(t.text) for t in toks[i:j]]


def match_case(word: str, model: str) -> str:
    """Write `word` in the capitalisation pattern of `model` ("Home" for "house" after "House")."""
    if not model or not word:
        return word
    if model.isupper() and len(model) > 1:
        # An acronym a spinner wrote for a word ("PC" for "computer") does not make the word an acronym.
        return word if len(word) > len(model) + 2 else word.upper()
    if model[0].isupper():
        return word[0].upper() + word[1:]
    return word


def match_case_phrase(phrase: str, model: str) -> str:
    """Capitalise a multiword replacement after the first word of the span it replaces."""
    if not phrase:
        return phrase
    if model.isupper() and len(model) > 1 and " " not in model:
        return " ".join(match_case(w, model) for w in phrase.split(" "))
    words = model.split()
    out = phrase.split(" ")
    # Title Case spans ("Center East") keep Title Case; otherwise only the first word follows.
    if len(words) > 1 and all(w[:1].isupper() for w in words):
        return " ".join(w[:1].upper() + w[1:] for w in out)
    out[0] = match_case(out[0], model)
    return " ".join(out)
