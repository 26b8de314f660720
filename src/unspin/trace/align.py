"""Word alignment of a query paragraph to a candidate source: what is copied, what was swapped, what contradicts.

Runs of two or more equal words anchor the alignment; short gaps between anchors (at most
MAX_GAP words on either side) are substitutions, as a spinner makes them. A substitution that
swaps a number for another contradicts the match (spinners keep numbers), and so does a number of the
aligned query text that the aligned source text lacks while having others; a swapped name costs less
(content farms rewrite some capitalised words).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .signature import FUNCTION_WORDS, Words

MAX_GAP = 5
# A changed name or number is strong evidence against a copy (templated articles share everything else).
CONTRADICTION_WORDS = 4
RENAME_WORDS = 2


@dataclass(frozen=True, slots=True)
class Substitution:
    """Query words [qa, qb) stand where the source has words [sa, sb) (word indexes)."""

    qa: int
    qb: int
    sa: int
    sb: int


@dataclass(frozen=True, slots=True)
class Alignment:
    """How the query chunk [qa, qb) aligns: its words [ra, rb) correspond to source words [sa, sb)."""

    qa: int
    qb: int
    ra: int
    rb: int
    sa: int
    sb: int
    copied: int  # query words inside anchor runs
    swapped: int  # query words inside substitutions
    contradictions: int  # numbers that differ
    renamed: int  # capitalised words swapped for others (content farms do it, sources of a template too)
    subs: tuple[Substitution, ...]

    @property
    def penalty(self) -> int:
        return CONTRADICTION_WORDS * self.contradictions + RENAME_WORDS * self.renamed

    @property
    def words(self) -> int:
        return self.qb - self.qa

    @property
    def covered(self) -> int:
        return self.copied + self.swapped

    @property
    def cover(self) -> float:
        """Share of the query words that are copied or swapped, less the penalty for changed numbers and names."""
        return max(0.0, (self.covered - self.penalty) / max(1, self.words))


def align(q: Words, qa: int, qb: int, s: Words, sa: int, sb: int) -> Alignment:
    qf, sf = q.forms[qa:qb], s.forms[sa:sb]
    sm = difflib.SequenceMatcher(None, qf, sf, autojunk=False)
    # Anchors: runs of 3+ equal words, or of 2 when one is not a function word ("of the" is everywhere).
    anchors = [(i, j, n) for i, j, n in sm.get_matching_blocks()
               if n >= 3 or (n == 2 and not (qf[i] in FUNCTION_WORDS and qf[i + 1] in FUNCTION_WORDS))]
    best: Alignment | None = None
    for cluster in _clusters(anchors):
        al = _score(q, qa, qb, s, sa, cluster)
        if best is None or al.covered - al.penalty > best.covered - best.penalty:
            best = al
    return best if best is not None else Alignment(qa, qb, qa, qa, sa, sa, 0, 0, 0, 0, ())


def _clusters(anchors: list[tuple[int, int, int]]) -> list[list[tuple[int, int, int]]]:
    """Split the anchors where the texts between two of them differ too much to be one rewritten passage."""
    out: list[list[tuple[int, int, int]]] = []
    for anc in anchors:
        if out:
            i1, j1, n1 = out[-1][-1]
            gq, gs = anc[0] - (i1 + n1), anc[1] - (j1 + n1)
            if max(gq, gs) <= 2 * MAX_GAP and abs(gq - gs) <= MAX_GAP:
                out[-1].append(anc)
                continue
        out.append([anc])
    return out


def _score(q: Words, qa: int, qb: int, s: Words, sa: int, anchors: list[tuple[int, int, int]]) -> Alignment:
    copied = sum(n for _, _, n in anchors)
    swapped = contradictions = renamed = 0
    subs: list[Substitution] = []
    for (i1, j1, n1), (i2, j2, _) in zip(anchors, anchors[1:], strict=False):
        gq, gs = i2 - (i1 + n1), j2 - (j1 + n1)
        if gq == 0 and gs == 0:
            continue
        a, b, c, d = qa + i1 + n1, qa + i2, sa + j1 + n1, sa + j2
        qi, si = _immutables(q, a, b), _immutables(s, c, d)
        if qi - si and si - qi:  # a name or number swapped for another: spinners keep numbers, mostly names
            if any(f[0].isdigit() for f in qi ^ si):
                contradictions += 1
            else:
                renamed += 1
            continue
        if gq > MAX_GAP or gs > MAX_GAP:  # a longer rewrite: the passage goes on, these words are not counted
            continue
        swapped += gq
        if gq and gs and gq == gs:  # word-for-word swaps: one substitution per changed word
            subs.extend(Substitution(a + k, a + k + 1, c + k, c + k + 1) for k in range(gq)
                        if q.forms[a + k] != s.forms[c + k])
        else:
            subs.append(Substitution(a, b, c, d))
    (i0, j0, _), (i9, j9, n9) = anchors[0], anchors[-1]
    ra, rb, rsa, rsb = qa + i0, qa + i9 + n9, sa + j0, sa + j9 + n9
    # Numbers of the aligned region that the source region does not have, while it has others.
    qn, sn = _numbers(q, ra, rb), _numbers(s, rsa, rsb)
    contradictions += min(len(qn - sn), len(sn - qn))
    return Alignment(qa, qb, ra, rb, rsa, rsb, copied, swapped, contradictions, renamed, tuple(subs))


def _numbers(w: Words, a: int, b: int) -> set[str]:
    return {f for f in w.forms[a:b] if f[0].isdigit()}


def _immutables(w: Words, a: int, b: int) -> set[str]:
    return {w.forms[k] for k in range(a, b) if w.immutable[k]}
