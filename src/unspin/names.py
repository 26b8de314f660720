"""Names seen in the Wikipedia corpus: how often a run of capitalised words ("White House") was written there."""

from __future__ import annotations

import hashlib
import os
from importlib.resources import files
from pathlib import Path

import numpy as np

from .text import Token, starts_sentence

# Lower-case words that may stand inside a name ("Bank of England", "Duke of York").
CONNECTORS = frozenset({"of", "the", "and", "for", "de", "on", "in", "upon", "du", "von", "van", "der", "la", "le"})
# Those that a run of capitalised words is read across ("and" joins two names as often as it stands in one).
RUN_CONNECTORS = CONNECTORS - {"and"}
MAX_WORDS = 4


def name_hash(name: str) -> int:
    """64-bit hash of a lower-cased name, as the names file stores it."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


class Names:
    """Counts of names (two to four capitalised words, lower-cased) in the corpus the file was built from."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._arr = np.load(self.path, mmap_mode="r")
        self._keys = self._arr[:, 0]

    @classmethod
    def default(cls) -> Names:
        return cls(Path(str(files("unspin") / "data" / "names.npy")))

    def count(self, name: str) -> int:
        """Times `name` (any case) was written as a name; 0 for names seen fewer times than the file keeps."""
        h = np.uint64(name_hash(name.lower()))
        i = int(np.searchsorted(self._keys, h))
        if i < len(self._keys) and self._keys[i] == h:
            return int(self._arr[i, 1])
        return 0


def name_run(text: str, tokens: list[Token], i: int, j: int) -> tuple[int, int] | None:
    """The run of capitalised words (and connectors between them) that holds tokens [i, j), without a first word
    that only opens the sentence, or None when [i, j) is not all capitalised words or the run is one word."""
    if not all(_capital(t) and not t.text.isupper() for t in tokens[i:j] if t.is_word) or not tokens[i].is_word:
        return None  # an acronym is not a word a spinner swapped
    a = i
    while a > 0 and (_capital(tokens[a - 1]) or tokens[a - 1].text in RUN_CONNECTORS and a > 1
                     and _capital(tokens[a - 2])) and _joined(text, tokens, a - 1):
        a -= 1
    while tokens[a].text in RUN_CONNECTORS:
        a += 1
    b = j
    while b < len(tokens) and (_capital(tokens[b]) or tokens[b].text in RUN_CONNECTORS and b + 1 < len(tokens)
                               and _capital(tokens[b + 1])) and _joined(text, tokens, b - 1):
        b += 1
    while tokens[b - 1].text in RUN_CONNECTORS:
        b -= 1
    if starts_sentence(text, tokens, a):
        a += 1  # "The" of "The White Home said": a capital that opens the sentence says nothing
        while a < b and tokens[a].text in RUN_CONNECTORS:
            a += 1
    if b - a < 2 or a > i:
        return None
    return a, b


def _capital(t: Token) -> bool:
    return t.text[0].isupper() and t.text[0].isalpha()


def _joined(text: str, tokens: list[Token], k: int) -> bool:
    """Tokens k and k + 1 are separated by spaces alone (no line break, no punctuation token between)."""
    gap = text[tokens[k].end : tokens[k + 1].start]
    return gap.strip(" ") == ""


def renamed(names: Names, head: list[str], old: list[str], new: list[str], tail: list[str], min_count: int) -> int:
    """How often the corpus wrote the run of capitalised words `head + new + tail` as a name, when it never wrote
    `head + old + tail`, the run as it stands; else 0. Word for word only: a name's words are swapped one by one."""
    if len(new) != len(old) or not 2 <= len(head) + len(new) + len(tail) <= MAX_WORDS:
        return 0
    n = names.count(" ".join([*head, *new, *tail]))
    if n < min_count or names.count(" ".join([*head, *old, *tail])) > 0:
        return 0
    return n
