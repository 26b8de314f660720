"""Reverse thesaurus: for a spun word or phrase, the originals a spinner could have replaced with it.

The shipped `data/lexicon.sqlite` merges WordNet 3.0, the LibreOffice (MyThes) thesaurus, the Moby
thesaurus (Aiksaurus), word2vec neighbours trained on English Wikipedia and unspin's built-in table
of spinner rewrites; see `data/SOURCES.md` for origin, licence and build commands.
"""

from __future__ import annotations

import enum
import heapq
import logging
import os
import sqlite3
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from unspin.errors import E, UnspinError
from unspin.lexicon._morph import Morph

log = logging.getLogger("unspin")

FORMAT_VERSION = 1
# A key's candidates are one zlib-compressed array of these records, best first: original word id,
# pos code, source bits, cosine*127, then one rank byte per source in RANKED order (0 = that source
# does not propose the pair, 255 = listed first).
RECORD = np.dtype(
    [("orig", "<u4"), ("pos", "u1"), ("src", "u1"), ("sim", "i1")]
    + [(f"rank_{name}", "u1") for name in ("wordnet", "mythes", "moby", "embed", "builtin")]
)
# The same layout for the struct module, which unpacks straight to tuples of ints (numpy's tolist is slower).
_RECORD_STRUCT = struct.Struct("<IBBb5B")
# Pos codes: thesaurus lemmas are re-inflected like the spun form; FIXED strings are returned as is.
POS_CODES = {"": 0, "n": 1, "v": 2, "a": 3, "r": 4}
FIXED = 5
_UPOS = {"NOUN": 1, "PROPN": 1, "VERB": 2, "AUX": 2, "ADJ": 3, "ADV": 4}
_POS_UPOS = {0: "VERB", 1: "NOUN", 2: "VERB", 3: "ADJ", 4: "ADV"}
# Multiword lemmas inflect their head: verbs the first word ("make use of"), nouns the last.
_HEAD_FIRST = {2}
_HEAD_UPOS = tuple(u for u, code in _UPOS.items() if code in _HEAD_FIRST)
_TAIL_UPOS = tuple(u for u, code in _UPOS.items() if code not in _HEAD_FIRST)


class Source(enum.IntFlag):
    WORDNET = 1
    MYTHES = 2
    MOBY = 4
    EMBED = 8
    BUILTIN = 16
    LEARNED = 32


RANKED = (Source.WORDNET, Source.MYTHES, Source.MOBY, Source.EMBED, Source.BUILTIN)
_RANK_BITS = tuple(int(s) for s in RANKED)
NO_SOURCE = Source(0)


@dataclass(frozen=True, slots=True)
class Candidate:
    original: str
    sources: Source
    similarity: float
    rank: float
    zipf: float


_THESAURI = int(Source.WORDNET | Source.MYTHES | Source.MOBY)
_TABLES = int(Source.BUILTIN | Source.LEARNED)
_SOURCE_OF = [Source(i) for i in range(64)]
EXTRA_WORD_PENALTY = 1.5


def score(sources: int, rank: float, similarity: float, zipf: float, extra_words: int = 0) -> float:
    """Default ordering score; `extra_words`: how many more words the original has than the spun span."""
    # Weights tuned for recall@30 against simulated WordNet, MyThes, Moby and built-in spinners on
    # Wikipedia text (with and without each source): frequent originals and agreeing sources first.
    n_thes = (int(sources) & _THESAURI).bit_count()
    table = 2.0 if int(sources) & _TABLES else 0.0
    # A phrase's Zipf is about its rarest word's, so phrases longer than the spun span ("home away from
    # home" for "home") would rank too high; spinners seldom shorten a phrase to one word.
    return (
        n_thes
        + table
        + 1.5 * rank
        + 1.5 * max(similarity, 0.0)
        + 1.25 * zipf
        - EXTRA_WORD_PENALTY * extra_words
    )


CACHE_LIMIT = 100_000  # memoised lookups per instance before the memo tables are emptied

# `ranked` answers stored at build time (`store_ranked`): the table `ranked` holds, per one-word key and limit,
# the answer's originals (ids into the `ranked_forms` list, which holds each original's zipf value too), source
# bits, rank bytes and cosine bytes, as zlib-compressed columns. They stand for the computed answers only
# while the code and the packages they were computed with are the same (`ranked_stamp`, checked on first use).
RANKED_FORMAT = 2
_RANK_OF = tuple(k / 255.0 for k in range(256))
_COS_OF = tuple((k - 256 if k > 127 else k) / 127.0 for k in range(256))


def ranked_stamp() -> str:
    """What stored `ranked` answers depend on besides the lexicon: their format, the morphology and frequency data."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        parts = [f"lemminflect {version('lemminflect')}", f"wordfreq {version('wordfreq')}"]
    except PackageNotFoundError:
        return ""
    return f"format {RANKED_FORMAT}; " + "; ".join(parts)


class Lexicon:
    """A compiled reverse thesaurus, opened read-only; candidate lists are cached per instance."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UnspinError(E.BAD_LEXICON.format(path=self.path, detail="no such file"))
        try:
            self._db = sqlite3.connect(
                f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise UnspinError(
                E.BAD_LEXICON.format(path=self.path, detail=f"not a lexicon database ({exc})")
            ) from exc
        version = meta.get("format_version", "")
        if version != str(FORMAT_VERSION):
            raise UnspinError(
                E.BAD_LEXICON.format(
                    path=self.path, detail=f"format version {version or 'missing'}, expected {FORMAT_VERSION}"
                )
            )
        self.meta: dict[str, str] = meta
        self.max_words = max(4, int(meta.get("max_words", "4")))
        # Per-instance memo tables (no module-level state): words, decoded entries, analyses, results.
        # Memo values are tuples and index sets are dicts where they can be: the garbage collector stops
        # tracking those that hold only strings and numbers, and its full passes stay short.
        self._words: tuple[str, ...] | None = None
        self._m: Morph | None = None
        self._recs: dict[str, bytes] = {}  # an entry's records, unpacked as they are read (most reads stop early)
        self._cache: dict[tuple[str, int], tuple[tuple[str, int, float, float, float], ...]] = {}
        self._keys: dict[str, bool] = {}
        # The multiword keys, read once on first use (a few MB, tens of ms): the lattice asks about every
        # n-gram it meets, and most are rejected without a query.
        self._phrases: dict[str, None] | None = None
        self._middles: dict[str, None] | None = None
        self._ends: dict[str, None] | None = None
        self._analyses: dict[str, tuple[tuple[str, int, tuple[str, ...]], ...]] = {}
        self._infl: dict[tuple[str, int, tuple[str, ...]], tuple[str, ...]] = {}
        self._stored_limits: frozenset[int] | None = None
        self._stored_forms: tuple[str, ...] = ()
        self._stored_zipfs: tuple[float, ...] = ()

    @classmethod
    def default(cls) -> Lexicon:
        """The shipped lexicon (src/unspin/data/lexicon.sqlite)."""
        ref = resources.files("unspin").joinpath("data", "lexicon.sqlite")
        return cls(Path(str(ref)))

    def close(self) -> None:
        self._db.close()

    def zipf(self, phrase: str) -> float:
        """The Zipf frequency originals are ranked by: wordfreq's, a phrase's combined from its words."""
        return self._morph().zipf(phrase)

    def memo_size(self) -> int:
        """Entries held in the memo tables (they grow with the vocabulary seen)."""
        morph = self._m.memo_size() if self._m is not None else 0
        tables = (self._recs, self._cache, self._keys, self._analyses, self._infl)
        return sum(len(t) for t in tables) + morph

    def clear_memo(self) -> None:
        for table in (self._recs, self._cache, self._keys, self._analyses, self._infl):
            table.clear()
        if self._m is not None:
            self._m.clear_memo()

    # -- lookups -----------------------------------------------------------------------------------

    def is_key(self, spun: str) -> bool:
        """Could `spun` (or an inflection of it) have candidates?"""
        hit = self._keys.get(spun)
        if hit is None:
            if len(self._keys) >= CACHE_LIMIT or len(self._analyses) >= CACHE_LIMIT:
                # The lattice asks about every word and word n-gram it meets: bound what a long run remembers.
                self._keys.clear()
                self._analyses.clear()
            # The surface form is the first reading (_analyse); the others need its lemmas, and rarely match.
            if " " in spun:
                hit = spun in self._phrases_index() or self._reads_as_phrase(spun)
            else:
                hit = self._has(spun) or any(self._has(key) for key, _, _ in self._analyse(spun))
            self._keys[spun] = hit
        return hit

    def continues(self, middle: str) -> bool:
        """Could a span whose words after its first are `middle` (one or more) grow by a word into a key?

        Reading a phrase as a key changes at most its first and its last word (`_analyse`), so the words between
        stay as they are in the stored phrase.
        """
        if self._middles is None:
            middles: dict[str, None] = {}
            for phrase in self._phrases_index():
                i = phrase.find(" ") + 1
                j = phrase.find(" ", i)
                while j > 0:  # words 2..t of a phrase of more than t words
                    middles[phrase[i:j]] = None
                    j = phrase.find(" ", j + 1)
            self._middles = middles
        return middle in self._middles

    def candidates(self, spun: str, exclude: Source = NO_SOURCE, limit: int | None = None) -> list[Candidate]:
        """Originals that a spinner could have replaced with `spun`, inflected like it, best first.

        With `limit`, only the best `limit` stored records of each reading are expanded (records are stored
        best first), which is what makes lookups cheap when the caller keeps the top few anyway.
        """
        return [Candidate(o, _SOURCE_OF[b], s, r, z) for o, b, r, s, z in self.ranked(spun, exclude, limit)]

    def ranked(
        self, spun: str, exclude: Source | int = NO_SOURCE, limit: int | None = None, top: int | None = None
    ) -> tuple[tuple[str, int, float, float, float], ...]:
        """`candidates` as memoised (original, source bits, rank, similarity, zipf) tuples, for hot loops.

        With `top`, only the best `top` of them (what slicing the whole answer gives).
        """
        # Plain tuples: cheaper to build than Candidates, and the garbage collector stops tracking them.
        ck = (spun, int(exclude) | ((limit or 0) << 16) | ((top or 0) << 32))
        cached = self._cache.get(ck)
        if cached is not None:
            return cached
        out = None
        if top == limit and not exclude and " " not in spun and limit in self._limits_stored():
            out = self._stored(spun, limit)
        if out is None:
            out = self._compute_ranked(spun, exclude, limit, top)
        if len(self._cache) >= CACHE_LIMIT:  # a corpus run meets endless rare words: keep memory bounded
            self._cache.clear()
            self._recs.clear()
            self._analyses.clear()
            self._infl.clear()
        self._cache[ck] = out
        return out

    def _compute_ranked(
        self, spun: str, exclude: Source | int, limit: int | None, top: int | None
    ) -> tuple[tuple[str, int, float, float, float], ...]:
        keep_bits = ~int(exclude) & 0xFF
        morph = self._morph()
        words = self._vocab()
        merged: dict[str, list[float]] = {}
        infl = self._infl
        for key, upos, tags in self._analyse(spun):
            exact = key == spun
            taken = 0
            # Records unpacked by field (RECORD): original id, pos, sources, cosine*127, five rank bytes.
            for orig_id, pos, src_all, sim, r0, r1, r2, r3, r4 in _RECORD_STRUCT.iter_unpack(self._records(key)):
                src = src_all & keep_bits
                if not src:
                    continue
                if limit is not None:
                    taken += 1
                    if taken > limit:
                        break
                lemma = words[orig_id]
                if pos == FIXED:
                    if not exact:  # fixed strings answer only the exact surface form
                        continue
                    forms: tuple[str, ...] = (lemma,)
                elif upos and pos and pos != upos:
                    continue
                elif not tags:
                    forms = (lemma,)
                else:
                    forms = infl.get((lemma, pos or upos, tags)) or self._inflect(lemma, pos or upos, tags)
                if src == src_all:
                    # A rank byte is 0 for every source the record does not name (RECORD): no mask needed.
                    rank = max(r0, r1, r2, r3, r4) / 255.0
                else:
                    ranks = (r0, r1, r2, r3, r4)
                    rank = max([r for r, bit in zip(ranks, _RANK_BITS, strict=True) if src & bit] or [0]) / 255.0
                cos = sim / 127.0
                for form in forms:
                    old = merged.get(form)
                    if old is None:
                        merged[form] = [src, rank, cos]
                    else:
                        old[0] = int(old[0]) | src
                        if rank > old[1]:
                            old[1] = rank
                        if cos > old[2]:
                            old[2] = cos
        merged.pop(spun, None)
        scored = []
        n_spun = spun.count(" ")
        zipf = morph.zipf
        for o, (bits, best_rank, best_sim) in merged.items():
            z = zipf(o)
            extra = o.count(" ") - n_spun
            if extra < 0:
                extra = 0
            bits = int(bits)
            # score(), inlined with the same operations in the same order (so the same floats).
            value = (
                (bits & _THESAURI).bit_count()
                + (2.0 if bits & _TABLES else 0.0)
                + 1.5 * best_rank
                + 1.5 * (best_sim if best_sim > 0.0 else 0.0)
                + 1.25 * z
                - EXTRA_WORD_PENALTY * extra
            )
            scored.append((-value, o, bits, best_rank, best_sim, z))
        if top is None:
            scored.sort()
        else:  # no two are equal (the originals differ): the first `top` of the sorted list
            scored = heapq.nsmallest(top, scored)
        return tuple([(o, b, r, s, z) for _, o, b, r, s, z in scored])

    def _limits_stored(self) -> frozenset[int]:
        """The limits `ranked` answers are stored for (none when they were made with other packages)."""
        if self._stored_limits is None:
            spec = self.meta.get("ranked_limits", "")
            ok = spec and self.meta.get("ranked_stamp") == ranked_stamp()
            self._stored_limits = frozenset(int(x) for x in spec.split(",")) if ok else frozenset()
        return self._stored_limits

    def _stored(self, spun: str, limit: int) -> tuple[tuple[str, int, float, float, float], ...] | None:
        """`ranked(spun, limit=limit, top=limit)` as stored at build time, None when `spun` was not stored."""
        try:
            row = self._db.execute("SELECT data FROM ranked WHERE key = ? AND lim = ?", (spun, limit)).fetchone()
            if row is None:
                return None
            forms, zipfs = self._stored_forms, self._stored_zipfs
            if not forms:
                blob, zblob = self._db.execute("SELECT words, zipf FROM ranked_forms").fetchone()
                forms = self._stored_forms = tuple(zlib.decompress(blob).decode("utf-8").split("\n"))
                zipfs = self._stored_zipfs = tuple(np.frombuffer(zlib.decompress(zblob), dtype="<f8").tolist())
            data = zlib.decompress(row[0]) if row[0] else b""
        except (sqlite3.DatabaseError, zlib.error, TypeError, UnicodeDecodeError) as exc:
            detail = f"stored answers unreadable ({exc})"
            raise UnspinError(E.BAD_LEXICON.format(path=self.path, detail=detail)) from exc
        n = len(data) // 7
        ids = struct.unpack(f"<{n}I", data[: 4 * n])
        return tuple(zip([forms[i] for i in ids], data[4 * n : 5 * n], map(_RANK_OF.__getitem__, data[5 * n : 6 * n]),
                         map(_COS_OF.__getitem__, data[6 * n :]), [zipfs[i] for i in ids], strict=True))

    def store_ranked(self, path: str | os.PathLike[str], keys: Iterable[str], limits: Iterable[int]) -> int:
        """Write `ranked(key, limit=l, top=l)` of each one-word key and limit into the lexicon file at `path`.

        `path` is this lexicon's file (opened read-only here) or a copy of it; returns the number of answers stored.
        """
        limits = sorted(set(limits))
        ids: dict[str, int] = {}
        zipfs: list[float] = []
        rows = []
        for key in dict.fromkeys(keys):
            if " " in key or not key:
                continue
            for lim in limits:
                got = self._compute_ranked(key, NO_SOURCE, lim, lim)
                rank_b = [round(r * 255.0) for _, _, r, _, _ in got]
                cos_b = [round(c * 127.0) for _, _, _, c, _ in got]
                if [_RANK_OF[b] for b in rank_b] != [r for _, _, r, _, _ in got] or \
                        [_COS_OF[b & 255] for b in cos_b] != [c for _, _, _, c, _ in got]:
                    raise ValueError(f"{key!r}: a rank or cosine is not a stored byte")
                for o, _, _, _, z in got:
                    if o not in ids:
                        ids[o] = len(ids)
                        zipfs.append(z)
                idx = [ids[o] for o, _, _, _, _ in got]
                data = (struct.pack(f"<{len(got)}I", *idx) + bytes([b for _, b, _, _, _ in got]) + bytes(rank_b)
                        + bytes([b & 255 for b in cos_b]))
                rows.append((key, lim, zlib.compress(data, 9) if data else b""))
            if self.memo_size() >= CACHE_LIMIT:
                self.clear_memo()
        db = sqlite3.connect(path)
        with db:
            db.execute("DROP TABLE IF EXISTS ranked")
            db.execute("DROP TABLE IF EXISTS ranked_forms")
            db.execute("CREATE TABLE ranked (key TEXT, lim INTEGER, data BLOB, PRIMARY KEY (key, lim)) WITHOUT ROWID")
            db.execute("CREATE TABLE ranked_forms (words BLOB, zipf BLOB)")
            db.executemany("INSERT INTO ranked VALUES (?, ?, ?)", rows)
            db.execute("INSERT INTO ranked_forms VALUES (?, ?)", (zlib.compress("\n".join(ids).encode("utf-8"), 9),
                                                                  zlib.compress(np.array(zipfs, "<f8").tobytes(), 9)))
            meta = {"ranked_limits": ",".join(map(str, limits)), "ranked_stamp": ranked_stamp(),
                    "ranked_keys": str(len(rows) // max(len(limits), 1))}
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items())
        db.execute("VACUUM")
        db.close()
        return len(rows)

    # -- internals ---------------------------------------------------------------------------------

    def _reads_as_phrase(self, spun: str) -> bool:
        """Whether a reading of the phrase `spun` other than itself (_analyse) is a stored key.

        _analyse reads a phrase's first word as a verb's lemma and its last as another part of speech's.
        """
        phrases = self._phrases_index()
        ends = self._phrase_ends()
        i, j = spun.index(" "), spun.rindex(" ")
        rest, stem = spun[i:], spun[: j + 1]
        lemmas_as = self._morph().lemmas_as
        return (rest in ends and any(lemma + rest in phrases for lemma in lemmas_as(spun[:i], _HEAD_UPOS))) or (
            stem in ends and any(stem + lemma in phrases for lemma in lemmas_as(spun[j + 1 :], _TAIL_UPOS)))

    def _phrase_ends(self) -> dict[str, None]:
        """Each stored phrase from its first space on, and up to and including its last space."""
        if self._ends is None:
            ends: dict[str, None] = {}
            for phrase in self._phrases_index():
                ends[phrase[phrase.find(" ") :]] = None
                ends[phrase[: phrase.rfind(" ") + 1]] = None
            self._ends = ends
        return self._ends

    def _has(self, key: str) -> bool:
        if " " in key:
            return key in self._phrases_index()
        if key in self._recs:
            return bool(self._recs[key])
        return self._db.execute("SELECT 1 FROM entry WHERE key = ?", (key,)).fetchone() is not None

    def _phrases_index(self) -> dict[str, None]:
        if self._phrases is None:
            try:
                rows = self._db.execute("SELECT key FROM entry WHERE key GLOB '* *'").fetchall()
            except sqlite3.DatabaseError as exc:
                raise UnspinError(E.BAD_LEXICON.format(path=self.path, detail=f"keys unreadable ({exc})")) from exc
            self._phrases = dict.fromkeys(k for (k,) in rows)
        return self._phrases

    def records(self, key: str) -> Iterator[tuple[int, ...]]:
        """`key`'s stored records as tuples of RECORD's fields (original word id first), best first."""
        return _RECORD_STRUCT.iter_unpack(self._records(key))

    def _records(self, key: str) -> bytes:
        """The packed records (RECORD) of `key`'s entry, b"" without one."""
        got = self._recs.get(key)
        if got is None:
            row = self._db.execute("SELECT cands FROM entry WHERE key = ?", (key,)).fetchone()
            got = b""
            if row is not None:
                try:
                    data = zlib.decompress(row[0])
                    if len(data) % _RECORD_STRUCT.size:
                        np.frombuffer(data, dtype=RECORD)  # raises numpy's ValueError for a torn record
                    got = data
                except (zlib.error, ValueError) as exc:
                    detail = f"entry {key!r} is corrupt ({exc})"
                    raise UnspinError(E.BAD_LEXICON.format(path=self.path, detail=detail)) from exc
            self._recs[key] = got
        return got

    def _vocab(self) -> tuple[str, ...]:
        if self._words is None:
            try:
                (text,) = self._db.execute("SELECT words FROM vocab").fetchone()
                self._words = tuple(text.decode("utf-8").split("\n"))
            except (sqlite3.DatabaseError, TypeError, UnicodeDecodeError) as exc:
                detail = f"vocabulary unreadable ({exc})"
                raise UnspinError(E.BAD_LEXICON.format(path=self.path, detail=detail)) from exc
        return self._words

    def lemma_set(self, word: str) -> frozenset[str]:
        """The lemmas lemminflect's tables give a one-word `word` under any part of speech, and `word` itself."""
        if " " in word or not word.isalpha():
            return frozenset((word,))
        return frozenset({lm for lms in self._morph().dict_lemmas(word).values() for lm in lms} | {word})

    def _morph(self) -> Morph:
        if self._m is None:
            self._m = Morph()
        return self._m

    def _analyse(self, spun: str) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
        """(lemma key, pos code, Penn tags of `spun`) readings, the surface form itself first."""
        got = self._analyses.get(spun)
        if got is not None:
            return got
        morph = self._morph()
        out: list[tuple[str, int, tuple[str, ...]]] = [(spun, 0, ())]
        words = spun.split(" ")
        # Verbs inflect their first word ("making use of"), nouns and adjectives their last.
        for idx in {0, len(words) - 1}:
            w = words[idx]
            for upos, lemmas in morph.lemmas(w).items():
                code = _UPOS.get(upos, 0)
                if not code or (len(words) > 1 and (idx == 0) != (code in _HEAD_FIRST)):
                    continue
                for lemma in lemmas:
                    tags = tuple(t for t, forms in morph.table(lemma, upos).items() if w in forms)
                    key = " ".join(words[:idx] + [lemma] + words[idx + 1 :])
                    out.append((key, code, tags))
        got = self._analyses[spun] = tuple(out)
        return got

    def _inflect(self, lemma: str, pos: int, tags: tuple[str, ...]) -> tuple[str, ...]:
        """Every spelling of `lemma` (head word of a phrase) in any of the spun form's tags."""
        ck = (lemma, pos, tags)
        got = self._infl.get(ck)
        if got is None:
            morph = self._morph()
            words = lemma.split(" ")
            idx = 0 if pos in _HEAD_FIRST else len(words) - 1
            upos = _POS_UPOS[pos]
            out: list[str] = []
            for tag in tags:
                for form in morph.inflect(words[idx], upos, tag):
                    phrase = " ".join(words[:idx] + [form] + words[idx + 1 :])
                    if phrase not in out:
                        out.append(phrase)
            got = tuple(out) or (lemma,)
            self._infl[ck] = got
        return got
