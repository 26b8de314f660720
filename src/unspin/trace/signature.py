"""Spin-robust signatures: paragraph chunks, shingles that survive synonym swaps, and their MinHash sketches.

A spinner swaps about one word in six at high rates, so exact word 3-shingles survive only about
60 % of the time. Three kinds of shingle go into one set per chunk: word 3-shingles, gapped
3-shingles whose middle word is a wildcard (they survive a swap of that word), and pairs of
consecutive *immutables* (numbers and names in mid-sentence, which spinners keep: DSpin, NDSS 2014).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..text import FUNCTION_WORDS

# Words (with internal apostrophes) and numbers (with internal separators); _PAIR_RE also captures the
# non-word run before each (which tells sentence and paragraph starts) and finds exactly the same tokens.
_WORD = r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,:]\d+)*%?"
_WORD_RE = re.compile(_WORD)
_PAIR_RE = re.compile(r"(\W*)(" + _WORD + ")")
_BLANK_RE = re.compile(r"\n[ \t\r\f\v]*\n")

# Paragraphs shorter than this are merged into the next; longer than MAX are cut at sentence starts.
MIN_WORDS = 25
MAX_WORDS = 150
TARGET_WORDS = 100
MAX_CHUNKS = 4096  # a chunk is stored as doc_rowid * MAX_CHUNKS + chunk number


_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)
_GAP = np.uint64(0xD6E8FEB86659FD93)
_IMM = np.uint64(0xA0761D6478BD642F)
_ONE = np.uint64(1)


@dataclass(frozen=True, slots=True)
class Words:
    """The word and number tokens of a text: lower-cased forms, flags, and (if asked for) their offsets."""

    forms: list[str]
    immutable: list[bool]  # a number, or a capitalised word not at a sentence start
    sentence: list[bool]  # first word of a sentence
    paragraph: list[bool]  # first word after a blank line
    starts: list[int]  # [start, end) character offsets, empty unless words(..., offsets=True)
    ends: list[int]


def words(text: str, offsets: bool = False) -> Words:
    pairs = _PAIR_RE.findall(text)
    n = len(pairs)
    forms = [w.lower() for _, w in pairs]
    if "’" in text:
        forms = [f.replace("’", "'") for f in forms]
    sent = [False] * n
    para = [False] * n
    imm = [False] * n
    for i, (pre, w) in enumerate(pairs):
        if pre and ("\n" in pre or "." in pre or "!" in pre or "?" in pre):
            sent[i] = True
            if "\n" in pre and _BLANK_RE.search(pre):
                para[i] = True
        c = w[0]
        if c.isdigit():
            imm[i] = True
        elif c.isupper() and i and not sent[i]:
            imm[i] = True
    if n:
        sent[0] = True
    starts: list[int] = []
    ends: list[int] = []
    if offsets:
        spans = [m.span() for m in _WORD_RE.finditer(text)]
        starts = [a for a, _ in spans]
        ends = [b for _, b in spans]
    return Words(forms, imm, sent, para, starts, ends)


def chunks(text: str, w: Words | None = None) -> list[tuple[int, int]]:
    """Word-index ranges [i, j) of the paragraph chunks of `text` (as `words(text)` counts words)."""
    w = w if w is not None else words(text)
    out: list[tuple[int, int]] = []
    for a, b in paragraphs(w):
        if b - a <= MAX_WORDS:
            out.append((a, b))
        else:
            out.extend(_split(w, a, b))
    return out


def paragraphs(w: Words) -> list[tuple[int, int]]:
    """Word-index ranges of the paragraphs, short ones merged into the next (before long ones are cut)."""
    n = len(w.forms)
    if n == 0:
        return []
    breaks = [0] + [k for k in range(1, n) if w.paragraph[k]] + [n]
    paras = list(zip(breaks, breaks[1:], strict=False))
    # Merge short paragraphs into the next one (the last one into the previous).
    merged: list[list[int]] = []
    carry = None
    for a, b in paras:
        if carry is not None:
            a = carry
        if b - a < MIN_WORDS:
            carry = a
            continue
        carry = None
        merged.append([a, b])
    if carry is not None:
        if merged:
            merged[-1][1] = n
        else:
            merged.append([carry, n])
    return [(a, b) for a, b in merged]


def _split(w: Words, a: int, b: int) -> list[tuple[int, int]]:
    """Cut a long paragraph into pieces of about TARGET_WORDS words, at sentence ends where possible."""
    pieces = max(2, round((b - a) / TARGET_WORDS))
    size = (b - a) / pieces
    cuts = [a]
    for p in range(1, pieces):
        ideal = a + int(p * size)
        best = ideal
        for d in range(0, 25):
            for k in (ideal + d, ideal - d):
                if cuts[-1] + MIN_WORDS <= k < b - MIN_WORDS and w.sentence[k]:
                    best = k
                    break
            else:
                continue
            break
        if best > cuts[-1]:
            cuts.append(best)
    cuts.append(b)
    return list(zip(cuts, cuts[1:], strict=False))


_MEMO: dict[str, int] = {}  # word -> hash, a pure-function memo


def _word_hash(form: str) -> int:
    """A 64-bit hash of a word whose lowest bit says whether it is a function word."""
    b = form.encode("utf-8")
    return ((zlib.crc32(b) | (zlib.adler32(b) << 32)) & ~1) | (form in FUNCTION_WORDS)


def word_hashes(forms: list[str]) -> np.ndarray:
    """64-bit hashes of words (lower-cased forms) whose lowest bit says whether the word is a function word."""
    memo = _MEMO
    if len(memo) > 2_000_000:  # bound memory on endless corpora
        memo.clear()
    hs = list(map(memo.get, forms))
    if None in hs:
        for i, v in enumerate(hs):
            if v is None:
                hs[i] = memo[forms[i]] = _word_hash(forms[i])
    return np.array(hs, dtype=np.uint64)


def word_arrays(w: Words) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-word 64-bit hashes, function-word flags and immutable flags of a whole text."""
    h = word_hashes(w.forms)
    return h, (h & _ONE).astype(bool), np.array(w.immutable, dtype=bool)


def features(w: Words, a: int, b: int, arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """32-bit hashes of the chunk's shingles (word 3-grams, gapped 3-grams, immutable pairs), as uint64."""
    if b - a < 3:
        return np.zeros(0, dtype=np.uint64)
    h_all, stop_all, imm_all = arrays if arrays is not None else word_arrays(w)
    h, stop, imm = h_all[a:b], stop_all[a:b], imm_all[a:b]
    with np.errstate(over="ignore"):
        tri = (h[:-2] * _M1) ^ (h[1:-1] * _M2) ^ (h[2:] * _M3)
        keep_tri = ~(stop[:-2] & stop[1:-1] & stop[2:])
        gap = (h[:-2] * _M1) ^ (h[2:] * _M3) ^ _GAP
        keep_gap = ~(stop[:-2] & stop[2:])
        parts = [tri[keep_tri], gap[keep_gap]]
        if imm.sum() >= 2:
            hi = h[imm]
            parts.append((hi[:-1] * _M1) ^ (hi[1:] * _M2) ^ _IMM)
        allh = np.concatenate(parts)
        out = (allh >> np.uint64(32)) ^ (allh & np.uint64(0xFFFFFFFF))
    return np.unique(out)


def chunk_features(
    texts: Sequence[tuple[Words, Sequence[tuple[int, int]]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`features` of the chunks of many texts at once, given as (words, chunk ranges) per text.

    Returns which chunks have any shingles (positions in the list of all the texts' chunks, in order), where
    each one's values start, and the values: chunk after chunk, each chunk's equal to `features(w, a, b)`.
    """
    forms: list[str] = []
    imm: list[bool] = []
    cid: list[np.ndarray] = []  # per word: the number of its chunk among all chunks, or -1
    g = 0
    for w, spans in texts:
        forms += w.forms
        imm += w.immutable
        c = np.full(len(w.forms), -1, dtype=np.int64)
        for a, b in spans:
            if b - a >= 3:  # as in features(): a chunk of fewer than 3 words has no shingles, not even immutable pairs
                c[a:b] = g
            g += 1
        cid.append(c)
    if len(forms) < 3:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    h = word_hashes(forms)
    stop = (h & _ONE).astype(bool)
    ids = np.concatenate(cid)
    # A shingle counts if its first and last words lie in the same chunk (a chunk is a range of consecutive
    # words, and chunks of different texts have different numbers).
    same = (ids[:-2] == ids[2:]) & (ids[:-2] >= 0)
    with np.errstate(over="ignore"):
        left, right = h[:-2] * _M1, h[2:] * _M3
        tri = left ^ (h[1:-1] * _M2) ^ right
        keep_tri = same & ~(stop[:-2] & stop[1:-1] & stop[2:])
        gap = left ^ right ^ _GAP
        keep_gap = same & ~(stop[:-2] & stop[2:])
        at = np.flatnonzero(np.array(imm, dtype=bool) & (ids >= 0))
        pair = ids[at[:-1]] == ids[at[1:]]
        hi = h[at]
        imp = ((hi[:-1] * _M1) ^ (hi[1:] * _M2) ^ _IMM)[pair]
        allh = np.concatenate([tri[keep_tri], gap[keep_gap], imp])
        owner = np.concatenate([ids[:-2][keep_tri], ids[:-2][keep_gap], ids[at[:-1]][pair]]).astype(np.uint64)
        folded = (allh >> np.uint64(32)) ^ (allh & np.uint64(0xFFFFFFFF))
    keyed = np.sort((owner << np.uint64(32)) | folded)  # by chunk, then value: each chunk's set in turn
    keyed = keyed[np.concatenate(([True], keyed[1:] != keyed[:-1]))]
    owners = (keyed >> np.uint64(32)).astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
    return owners[starts], starts, keyed & np.uint64(0xFFFFFFFF)


# MurmurHash3's 32-bit finalizer, which datasketch's affine32 scheme applies to each input hash first.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_BLOCK = 8192  # shingles per block of `Sketcher.sketch_rows`: its 64 x 8192 products stay in the CPU cache


class Sketcher:
    """MinHash sketches of shingle sets with fixed permutations (datasketch's affine32 scheme)."""

    def __init__(self, num_perm: int, seed: int) -> None:
        from datasketch import MinHash

        self._cls = MinHash
        self.num_perm = num_perm
        self._perms = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        a, b = self._perms
        self._a = np.asarray(a, dtype=np.uint32)[:, None]
        self._b = np.asarray(b, dtype=np.uint32)[:, None]

    def sketch(self, feats: np.ndarray):  # -> datasketch.MinHash
        m = self._cls(num_perm=self.num_perm, hashfunc=int, permutations=self._perms, scheme="affine32")
        m.update_batch(feats.tolist())
        return m

    def carrier(self, hashvalues: np.ndarray):  # -> datasketch.MinHash
        """A datasketch MinHash holding given hash values (a row of `sketch_rows`)."""
        return self._cls(hashvalues=hashvalues, permutations=self._perms, scheme="affine32", hashfunc=int)

    def sketch_rows(self, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """The hash values of many sets at once, one row per set, equal to `sketch(set).hashvalues`: set i is
        values[starts[i]:starts[i + 1]] (the last one runs to the end; none may be empty)."""
        m = len(starts)
        out = np.empty((m, self.num_perm), dtype=np.uint32)
        if m == 0:
            return out
        s1, m1, s2, m2, s3 = _FMIX32
        with np.errstate(over="ignore"):
            hv = values.astype(np.uint32)
            hv = hv ^ (hv >> s1)
            hv = hv * m1
            hv = hv ^ (hv >> s2)
            hv = hv * m2
            hv = hv ^ (hv >> s3)
        bounds = np.append(starts, len(values))
        buf = np.empty((self.num_perm, max(_BLOCK, int(np.diff(bounds).max()))), dtype=np.uint32)
        i = 0
        while i < m:  # blocks of whole sets, about _BLOCK shingles each
            j = max(i + 1, int(np.searchsorted(bounds, bounds[i] + _BLOCK, side="right")) - 1)
            j = min(j, m)
            lo, hi = bounds[i], bounds[j]
            part = buf[:, : hi - lo]
            with np.errstate(over="ignore"):
                np.multiply(self._a, hv[None, lo:hi], out=part)  # a * h + b, wrapping at 2**32 as datasketch's
                part += self._b
            out[i:j] = np.minimum.reduceat(part, bounds[i:j] - lo, axis=1).T
            i = j
        return out
