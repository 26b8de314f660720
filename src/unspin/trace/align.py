"""Word alignment of a query paragraph to a candidate source: what is copied, what was swapped, what contradicts.

Runs of two or more equal words anchor the alignment; short gaps between anchors (at most
MAX_GAP words on either side) are substitutions, as a spinner makes them. A substitution that
changes a number contradicts the match (spinners keep numbers), so it is not counted as covered.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .signature import Words

MAX_GAP = 5


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
    contradictions: int  # substitutions that change a number
    subs: tuple[Substitution, ...]

    @property
    def words(self) -> int:
        return self.qb - self.qa

    @property
    def covered(self) -> int:
        return self.copied + self.swapped

    @property
    def cover(self) -> float:
        """Share of the query words that are copied or swapped, less two words per contradiction."""
        return max(0.0, (self.covered - 2 * self.contradictions) / max(1, self.words))


def align(q: Words, qa: int, qb: int, s: Words, sa: int, sb: int) -> Alignment:
    qf, sf = q.forms[qa:qb], s.forms[sa:sb]
    sm = difflib.SequenceMatcher(None, qf, sf, autojunk=False)
    anchors = [(i, j, n) for i, j, n in sm.get_matching_blocks() if n >= 2]
    copied = sum(n for _, _, n in anchors)
    swapped = contradictions = 0
    subs: list[Substitution] = []
    for (i1, j1, n1), (i2, j2, _) in zip(anchors, anchors[1:], strict=False):
        gq, gs = i2 - (i1 + n1), j2 - (j1 + n1)
        if gq == 0 and gs == 0:
            continue
        if gq > MAX_GAP or gs > MAX_GAP:
            continue
        a, b, c, d = qa + i1 + n1, qa + i2, sa + j1 + n1, sa + j2
        if _numbers(q, a, b) != _numbers(s, c, d):
            contradictions += 1
            continue
        swapped += gq
        if gq and gs and gq == gs:  # word-for-word swaps: one substitution per changed word
            subs.extend(Substitution(a + k, a + k + 1, c + k, c + k + 1) for k in range(gq)
                        if q.forms[a + k] != s.forms[c + k])
        else:
            subs.append(Substitution(a, b, c, d))
    if anchors:
        (i0, j0, _), (i9, j9, n9) = anchors[0], anchors[-1]
        ra, rb, rsa, rsb = qa + i0, qa + i9 + n9, sa + j0, sa + j9 + n9
    else:
        ra = rb = qa
        rsa = rsb = sa
    return Alignment(qa, qb, ra, rb, rsa, rsb, copied, swapped, contradictions, tuple(subs))


def _numbers(w: Words, a: int, b: int) -> list[str]:
    return [f for f in w.forms[a:b] if f[0].isdigit()]
