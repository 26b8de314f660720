"""Forward readers for the thesauri the lexicon is built from: (headword, synonym, pos) lemma pairs.

Used by `scripts/build_lexicon.py` and by the benchmark's spinner simulator. Pairs come in each
source's own listing order (headwords in file order, senses in source order, synonyms in sense
order), lower case, multiword entries joined by single spaces, pos in {"n", "v", "a", "r", ""}.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from unspin.errors import E, UnspinError

SOURCE_FILES: dict[str, Path] = {
    "wordnet": Path("/usr/share/wordnet"),
    "mythes": Path("/usr/share/mythes/th_en_US_v2.dat"),
    "moby": Path("/usr/share/aiksaurus"),
}
DEBIAN_PACKAGES = {"wordnet": "wordnet-base", "mythes": "mythes-en-us", "moby": "libaiksaurus-1.2-data"}
SOURCES = tuple(SOURCE_FILES)

_WN_POS = (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r"))
_MYTHES_POS = {"(noun)": "n", "(verb)": "v", "(adj)": "a", "(adv)": "r"}
# WordNet adjective markers: "ready_to_hand(p)", "outback(a)", "galore(ip)".
_WN_MARKER = re.compile(r"\((?:a|p|ip)\)$")
_SPACES = re.compile(r"\s+")


def _norm(word: str) -> str:
    return _SPACES.sub(" ", word.replace("_", " ")).strip().lower()


def _require(source: str, *names: str) -> list[Path]:
    base = SOURCE_FILES[source]
    paths = [base / n for n in names] if names else [base]
    for p in paths:
        if not p.is_file():
            raise UnspinError(
                E.NOT_FOUND.format(
                    path=p,
                    detail=f"install the Debian package {DEBIAN_PACKAGES[source]} for the {source} source",
                )
            )
    return paths


def iter_pairs(source: str) -> Iterator[tuple[str, str, str]]:
    """Yield (headword, synonym, pos) lemma pairs of "wordnet", "mythes" or "moby" in listing order."""
    if source == "wordnet":
        return _wordnet()
    if source == "mythes":
        return _mythes()
    if source == "moby":
        return _moby()
    raise ValueError(f"unknown thesaurus source {source!r}; expected one of {', '.join(SOURCES)}")


# Synset-to-synset WordNet pointers that a WordNet-based spinner could follow like synonyms.
WORDNET_RELATIONS = {
    "@": "hypernym",
    "@i": "instance hypernym",
    "&": "similar",
    "^": "also see",
    "$": "verb group",
}


def _wordnet_synsets(data: Path) -> tuple[dict[int, list[str]], dict[int, list[tuple[str, int]]]]:
    """Members of every synset, and its semantic pointers (symbol, target offset)."""
    synsets: dict[int, list[str]] = {}
    pointers: dict[int, list[tuple[str, int]]] = {}
    with data.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("  "):  # licence header
                continue
            parts = line.split("|", 1)[0].split()
            n = int(parts[3], 16)
            words = []
            for k in range(n):
                w = _norm(_WN_MARKER.sub("", parts[4 + 2 * k]))
                if w not in words:
                    words.append(w)
            off = int(parts[0])
            synsets[off] = words
            i = 4 + 2 * n
            ptrs = []
            for _ in range(int(parts[i])):
                sym, target, source_target = parts[i + 1], parts[i + 2], parts[i + 4]
                # 0000 marks a pointer between whole synsets; others link single words.
                if sym in WORDNET_RELATIONS and source_target == "0000":
                    ptrs.append((sym, int(target)))
                i += 4
            pointers[off] = ptrs
    return synsets, pointers


def _wordnet_index(index: Path) -> Iterator[tuple[str, list[int]]]:
    with index.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("  "):
                continue
            parts = line.split()
            # The synset offsets close the line, in WordNet's sense order (most frequent first).
            yield _norm(parts[0]), [int(o) for o in parts[len(parts) - int(parts[2]) :]]


def iter_wordnet_related() -> Iterator[tuple[str, str, str, str]]:
    """Yield (headword, word, pos, relation) along WordNet's hypernym, similar, also-see, verb-group links."""
    _require("wordnet", *[f"{kind}.{name}" for name, _ in _WN_POS for kind in ("index", "data")])
    base = SOURCE_FILES["wordnet"]
    for name, pos in _WN_POS:
        synsets, pointers = _wordnet_synsets(base / f"data.{name}")
        for head, offsets in _wordnet_index(base / f"index.{name}"):
            seen = {head}
            for off in offsets:
                for sym, target in pointers.get(off, ()):
                    for word in synsets.get(target, ()):
                        if word not in seen:
                            seen.add(word)
                            yield head, word, pos, WORDNET_RELATIONS[sym]


def _wordnet() -> Iterator[tuple[str, str, str]]:
    names = [f"{kind}.{name}" for name, _ in _WN_POS for kind in ("index", "data")]
    _require("wordnet", *names)
    base = SOURCE_FILES["wordnet"]
    for name, pos in _WN_POS:
        synsets, _ = _wordnet_synsets(base / f"data.{name}")
        with (base / f"index.{name}").open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                parts = line.split()
                head = _norm(parts[0])
                n_senses = int(parts[2])
                seen = {head}
                # The synset offsets close the line, in WordNet's sense order (most frequent first).
                for off in parts[len(parts) - n_senses :]:
                    for syn in synsets.get(int(off), ()):
                        if syn not in seen:
                            seen.add(syn)
                            yield head, syn, pos


def _mythes() -> Iterator[tuple[str, str, str]]:
    (path,) = _require("mythes")
    with path.open(encoding="utf-8", errors="replace") as fh:
        fh.readline()  # encoding line
        for line in fh:
            head_raw, _, count = line.rstrip("\n").rpartition("|")
            if not count.isdigit():
                continue
            head = _norm(head_raw)
            seen = {head}
            for _ in range(int(count)):
                fields = fh.readline().rstrip("\n").split("|")
                pos = _MYTHES_POS.get(fields[0], "")
                for field in fields[1:]:
                    # Keep "(generic term)", "(similar term)", "(related term)"; an antonym is no synonym.
                    if field.endswith("(antonym)"):
                        continue
                    syn = _norm(re.sub(r"\s*\([a-z ]+ term\)$", "", field))
                    if syn and syn not in seen:
                        seen.add(syn)
                        yield head, syn, pos


def _aiksaurus_records(data: bytes) -> Iterator[tuple[bytes, list[int]]]:
    """Yield (name, ids) records of an Aiksaurus file: NUL-ended name, big-endian u16 ids, 0xFFFF end."""
    i, n = 0, len(data)
    while i < n:
        j = data.index(b"\0", i)
        name = data[i:j]
        i = j + 1
        ids = []
        while data[i : i + 2] != b"\xff\xff":
            ids.append(int.from_bytes(data[i : i + 2], "big"))
            i += 2
        i += 2
        yield name, ids


def _moby() -> Iterator[tuple[str, str, str]]:
    words_path, meanings_path = _require("moby", "words.dat", "meanings.dat")
    # words.dat: per word (alphabetical, ':' for space) the ids of its meanings.
    words: list[str] = []
    word_meanings: list[list[int]] = []
    for name, ids in _aiksaurus_records(words_path.read_bytes()):
        words.append(_norm(name.decode("latin-1").replace(":", " ")))
        word_meanings.append(ids)
    # meanings.dat: per meaning two title word ids, then its member word ids (ascending).
    meanings: list[list[int]] = []
    data = meanings_path.read_bytes()
    i, n = 0, len(data)
    while i < n:
        ids = []
        while data[i : i + 2] != b"\xff\xff":
            ids.append(int.from_bytes(data[i : i + 2], "big"))
            i += 2
        i += 2
        titles, members = ids[:2], ids[2:]
        # Titles first: they name the meaning, so a "first synonym" spinner would pick them.
        meanings.append(titles + [m for m in members if m not in titles])
    for w, head in enumerate(words):
        seen = {head}
        for m in word_meanings[w]:
            for s in meanings[m]:
                syn = words[s]
                if syn not in seen:
                    seen.add(syn)
                    yield head, syn, ""
