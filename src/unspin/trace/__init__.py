"""Trace: find the indexed source documents a (possibly spun) text was made from, paragraph by paragraph.

Each query paragraph is sketched with spin-robust shingles (see `signature`), candidate source
chunks come from MinHash-LSH buckets in the index (see `store`), and every candidate is aligned
word by word to the query (see `align`): copied runs anchor it, short gaps between anchors are
the spinner's substitutions, and a substitution counts as *aligned* when the source word is one
of the shipped lexicon's candidate originals for the spun word. This module is also callable:
`unspin.trace(text, index)` is `unspin.trace.trace(text, index)`.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unspin.errors import E, UnspinError

from .align import Alignment, align
from .signature import FUNCTION_WORDS, Words, chunks, features, paragraphs, word_arrays, words
from .store import AddStats, Index, Shards, read_corpus

__all__ = ["AddStats", "Index", "Match", "Passage", "Shards", "TraceResult", "explain", "harvest", "read_corpus",
           "trace"]

MIN_QUERY_WORDS = 12
# A query chunk traces to a source when at least this share of its words is copied or swapped in an
# aligned region (unrelated text: < 0.25 in the benchmark; spun copies at 35 %: > 0.6) and at least
# MIN_TRACED_WORDS words are.
MIN_COVER = 0.5
MIN_TRACED_WORDS = 15
# ... or when at least MIN_DENSE_WORDS words are, densely (DENSE_SHARE of the aligned region's words).
MIN_DENSE_WORDS = 20
DENSE_SHARE = 0.8
MAX_CONTRADICTIONS = 2  # more changed numbers than this: a template, not a copy
MAX_DOCS = 40  # candidate documents aligned per query (those hit by the most query chunks first)
HARVEST_MIN_COVER = 0.7


@dataclass(frozen=True, slots=True)
class Passage:
    """One query chunk traced to the source: query characters [start, end) and the aligned source text."""

    start: int
    end: int
    source_start: int
    source_end: int
    cover: float
    substitutions: tuple[tuple[int, int, str, str, bool], ...]  # (start, end, spun, original, lexicon-explained)


@dataclass(frozen=True)
class Match:
    """A source document of the query: `score` = share of the query's words traced to it, `aligned` = share of
    those that are copied or swapped for a lexicon synonym (the rest are swaps the lexicon does not know)."""

    id: str
    score: float
    aligned: float
    paragraphs: tuple[int, ...]  # indexes of the query chunks traced to this source
    words: int  # query words in those chunks
    substitutions: int
    explained: int  # substitutions whose source word is a lexicon candidate for the spun word
    reason: str
    passages: tuple[Passage, ...] = field(default=(), repr=False, compare=False)
    source_text: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "score": round(self.score, 4), "aligned": round(self.aligned, 4)}


@dataclass(frozen=True)
class TraceResult:
    """Sources found for a query, best first, and why there are no more (or none)."""

    matches: list[Match]
    paragraphs: int  # query chunks
    words: int
    candidates: int  # documents aligned to the query
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"matches": [m.to_dict() for m in self.matches]}


# -- the search ------------------------------------------------------------------------------------------


def trace(text: str, index: Index | Shards | str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
          top: int = 10) -> TraceResult:
    """The indexed documents `text` was most likely made from (spun or not), best first, at most `top`."""
    idx = index if isinstance(index, (Index, Shards)) else _open(_key(index))
    q = _check_query(text)
    qch = chunks(text, q)
    # Probes: every chunk, and every paragraph that was cut into chunks as a whole (a spinner that lengthens
    # the text gets its paragraphs cut where the source's were not).
    probes: list[tuple[int, int, tuple[int, ...]]] = [(a, b, (k,)) for k, (a, b) in enumerate(qch)]
    for a, b in paragraphs(q):
        ks = tuple(k for k, (c, d) in enumerate(qch) if a <= c and d <= b)
        if len(ks) > 1:
            probes.append((a, b, ks))
    parts = idx.parts if isinstance(idx, Shards) else [idx]
    sketches: dict[tuple[int, int], list[Any]] = {}
    found: list[tuple[str, str, list[Alignment], Words]] = []
    n_cand = 0
    for part in parts:
        key = (part.num_perm, int(part.meta.get("seed", 0)))
        if key not in sketches:
            arrays = word_arrays(q)
            sketches[key] = [part.sketcher.sketch(features(q, a, b, arrays)) for a, b, _ in probes]
        hits = part.candidates(sketches[key])
        by_doc: dict[int, dict[int, set[int]]] = {}
        bands: dict[int, int] = {}
        for (_, _, ks), pairs in zip(probes, hits, strict=True):
            for (rowid, c), n in pairs.items():
                for k in ks:
                    by_doc.setdefault(rowid, {}).setdefault(k, set()).add(c)
                bands[rowid] = bands.get(rowid, 0) + n
        # The documents whose chunks collide in the most LSH bands with the query's chunks go first.
        ranked = sorted(by_doc, key=lambda r: (-bands[r], -len(by_doc[r]), r))[:MAX_DOCS]
        n_cand += len(ranked)
        docs = part.documents(ranked)
        for rowid in ranked:
            if rowid not in docs:
                continue
            doc_id, src = docs[rowid]
            sw = words(src)
            sch = chunks(src, sw)
            if not sch:
                continue
            aligns = {}
            for k, cs in by_doc[rowid].items():
                lo, hi = max(0, min(cs) - 1), min(len(sch) - 1, max(cs) + 1)
                qa, qb = qch[k]
                aligns[k] = align(q, qa, qb, sw, sch[lo][0], sch[hi][1])
            if any(_traced(al) for al in aligns.values()):
                # A confirmed source: also align the query chunks whose shingles missed it (heavily spun ones).
                for k, (qa, qb) in enumerate(qch):
                    if k not in aligns:
                        lo, hi = _window(k, aligns, by_doc[rowid], len(sch))
                        aligns[k] = align(q, qa, qb, sw, sch[lo][0], sch[hi][1])
            found.append((doc_id, src, list(aligns.values()), sw))
    matches = []
    for doc_id, src, aligns_, sw in found:
        traced = [al for al in aligns_ if _traced(al)]
        if traced:
            matches.append((doc_id, src, sorted(traced, key=lambda al: al.qa), sw))
    n_words = len(q.forms)
    scored = sorted(((sum(al.covered for al in tr) / n_words, doc_id, src, tr, sw) for doc_id, src, tr, sw in matches),
                    key=lambda m: (-m[0], m[1]))
    out: list[Match] = []
    seen: set[str] = set()
    for score, doc_id, src, tr, _ in scored:
        if doc_id in seen:  # the same id in several shards: keep the best
            continue
        seen.add(doc_id)
        out.append(_match(text, q, qch, doc_id, src, words(src, offsets=True), tr, score))
        if len(out) >= top:
            break
    if out:
        reason = f"{len(out)} source(s) among {n_cand} candidate documents"
    elif n_cand:
        reason = f"no candidate of {n_cand} aligns with {MIN_COVER:.0%} of any query paragraph"
    else:
        reason = "no indexed paragraph shares enough shingles with the query"
    return TraceResult(out, len(qch), n_words, n_cand, reason)


def _traced(al: Alignment) -> bool:
    if al.covered < MIN_TRACED_WORDS or al.contradictions > MAX_CONTRADICTIONS:
        return False
    if al.cover >= MIN_COVER:
        return True
    # Part of a chunk copied (a short stolen paragraph merged with other text): a dense aligned region.
    dense = al.covered - al.penalty
    return al.covered >= MIN_DENSE_WORDS and dense >= DENSE_SHARE * (al.rb - al.ra)


def _window(k: int, aligns: dict[int, Alignment], hits: dict[int, set[int]], n_src: int) -> tuple[int, int]:
    """Source chunks to align query chunk k with: around where its traced neighbours landed, or everything."""
    if n_src <= 12:
        return 0, n_src - 1
    near = [c for j in (k - 1, k + 1) if j in hits for c in hits[j]]
    if not near:
        return 0, n_src - 1
    return max(0, min(near) - 2), min(n_src - 1, max(near) + 2)


def _match(text: str, q: Words, qch: list[tuple[int, int]], doc_id: str, src: str, sw: Words,
           traced: list[Alignment], score: float) -> Match:
    lex = _lexicon()
    passages = []
    n_subs = n_expl = copied = 0
    for al in traced:
        subs = []
        for s in al.subs:
            spun = " ".join(q.forms[s.qa : s.qb])
            orig = " ".join(sw.forms[s.sa : s.sb])
            ok = _explained(lex, spun, orig)
            n_expl += ok
            a = q.starts[s.qa] if s.qb > s.qa else q.starts[min(s.qa, len(q.starts) - 1)]
            b = q.ends[s.qb - 1] if s.qb > s.qa else a
            o = src[sw.starts[s.sa] : sw.ends[s.sb - 1]] if s.sb > s.sa else ""
            subs.append((a, b, text[a:b], o, ok))
        n_subs += len(al.subs)
        # Aligned words: the copied ones and the spun words of substitutions the lexicon explains.
        copied += al.copied + sum(sub.qb - sub.qa for sub, row in zip(al.subs, subs, strict=True) if row[4])
        passages.append(Passage(q.starts[al.ra] if al.rb > al.ra else q.starts[al.qa],
                                q.ends[al.rb - 1] if al.rb > al.ra else q.ends[al.qb - 1],
                                sw.starts[al.sa] if al.sb > al.sa else 0,
                                sw.ends[al.sb - 1] if al.sb > al.sa else 0,
                                al.cover, tuple(subs)))
    n = sum(al.words for al in traced)
    paras = tuple(qch.index((al.qa, al.qb)) for al in traced)
    aligned = min(1.0, copied / max(1, n))
    reason = (f"{len(paras)} of {len(qch)} query paragraphs; {n_subs} substitutions, {n_expl} of them lexicon "
              "synonyms")
    return Match(doc_id, min(1.0, score), aligned, paras, n, n_subs, n_expl, reason, tuple(passages), src)


_LEX_LOCK = threading.Lock()
_LETTER_RE = re.compile(r"[^\W\d_]")
_LATIN_RE = re.compile(r"[A-Za-z\u00C0-\u024F]")


@functools.cache
def _lexicon() -> Any:
    from unspin.lexicon import Lexicon

    return Lexicon.default()


def _explained(lex: Any, spun: str, orig: str) -> bool:
    """Is `orig` (or its lemma) among the lexicon's stored originals for `spun` (or its lemmas)?"""
    if not spun or not orig:
        return False
    with _LEX_LOCK:  # the lexicon's memo tables and SQLite handle are shared by the service's threads
        # The stored records are compared directly, not through Lexicon.candidates, which also inflects and
        # scores every candidate: ~100x slower, and this runs for every substitution of every match.
        vocab = lex._vocab()
        want = {orig}
        if " " not in orig:
            want.update(lm for lms in lex._morph().lemmas(orig).values() for lm in lms)
        return any(vocab[rec[0]] in want for key, _, _ in lex._analyse(spun) for rec in lex.records(key))


def _check_query(text: str) -> Words:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if "\x00" in text:
        raise UnspinError(E.NUL)
    if not text.strip():
        raise UnspinError(E.EMPTY)
    letters = len(_LETTER_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if letters and latin < 0.5 * letters:
        raise UnspinError(E.NOT_ENGLISH.format(detail=f"{1 - latin / letters:.0%} of its letters are not Latin"))
    q = words(text, offsets=True)
    n = len(q.forms)
    if n < MIN_QUERY_WORDS:
        raise UnspinError(E.QUERY_TOO_SHORT.format(words=n, need=MIN_QUERY_WORDS))
    alpha = [f for f in q.forms if f[0].isalpha()]
    share = sum(1 for f in alpha if f in FUNCTION_WORDS) / max(1, len(alpha))
    if len(alpha) >= 20 and share < 0.12:
        raise UnspinError(E.NOT_ENGLISH.format(detail=f"only {share:.0%} of its words are English function words"))
    return q


def _key(index: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> tuple[str, ...]:
    if isinstance(index, (str, os.PathLike)):
        return (str(Path(index).resolve()),)
    return tuple(str(Path(p).resolve()) for p in index)


@functools.lru_cache(maxsize=8)
def _open(paths: tuple[str, ...]) -> Index | Shards:
    return Index.open(list(paths))


# -- explanations and harvested pairs --------------------------------------------------------------------


def explain(text: str, result: TraceResult, *, color: bool = False) -> str:
    """The query beside each source: every traced passage, substitutions marked [spun → original]."""
    on, off = ("\x1b[1;31m", "\x1b[0m") if color else ("", "")
    lines = []
    for m in result.matches:
        lines.append(f"== {m.id}  score {m.score:.3f}  aligned {m.aligned:.3f}  ({m.reason})")
        for p in m.passages:
            out, pos = [], p.start
            for a, b, spun, orig, ok in p.substitutions:
                if a < pos:
                    continue
                out.append(text[pos:a])
                mark = "→" if ok else "⇢"
                out.append(f"{on}[{spun} {mark} {orig}]{off}")
                pos = b
            out.append(text[pos : p.end])
            lines.append(f"-- query {p.start}-{p.end}, {p.cover:.0%} traced:")
            lines.append("".join(out).strip())
            lines.append("-- source:")
            lines.append(m.source_text[p.source_start : p.source_end].strip())
        lines.append("")
    if not result.matches:
        lines.append(f"no match: {result.reason}")
    return "\n".join(lines).rstrip() + "\n"


def harvest(text: str, result: TraceResult, *, min_cover: float = HARVEST_MIN_COVER) -> Iterator[dict[str, str]]:
    """Aligned (spun, original) passage pairs of confident matches, as rows for `unspin learn`."""
    for m in result.matches:
        for p in m.passages:
            if p.cover >= min_cover and p.source_end > p.source_start:
                yield {"spun": text[p.start : p.end], "original": m.source_text[p.source_start : p.source_end],
                       "source": m.id}


# -- `unspin.trace(...)` calls this module's trace() -----------------------------------------------------


class _CallableModule(types.ModuleType):
    def __call__(self, text: str, index: Any, *, top: int = 10) -> TraceResult:
        return trace(text, index, top=top)


sys.modules[__name__].__class__ = _CallableModule
