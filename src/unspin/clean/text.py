"""Line classifier for scraped plain text: keeps article paragraphs, headings and lists, drops boilerplate."""

from __future__ import annotations

from dataclasses import dataclass

from unspin.clean.patterns import (
    _BULLET_RE,
    _LEAD_PUNCT,
    _SENT_END,
    _STOP,
    _WORD_STRIP,
    _header_reason,
    _norm,
    _pattern_reason,
)
from unspin.clean.result import TEXT_JOINER, CleanResult, Removed

_BAD, _GOOD, _NEAR, _SHORT = 0, 1, 2, 3
# Gap between two good lines that splits them into separate clusters.
_MAX_GAP_LINES = 12
_MAX_GAP_BAD = 3
# Title search above the first paragraph: at most this many lines that are not known boilerplate
# (bylines, dates, share bars are walked past freely), and never more than _TITLE_REACH lines.
_TITLE_WINDOW = 6
_TITLE_REACH = 30
_DECK_WORDS = 8


@dataclass(slots=True)
class _Page:
    """Per-line features as parallel lists (cheaper than one object per line); cls -1 is a blank line."""

    text: str
    starts: list[int]
    ends: list[int]  # end of content, excluding the newline
    cls: list[int]
    words: list[int]
    reason: list[str | None]
    header: list[str | None]
    bullet: list[bool]


def _page(text: str) -> _Page:
    raw = text.split("\n")
    n = len(raw)
    starts, ends = [0] * n, [0] * n
    cls, words, bullet = [-1] * n, [0] * n, [False] * n
    reason: list[str | None] = [None] * n
    header: list[str | None] = [None] * n
    pos = 0
    for i, ln in enumerate(raw):
        starts[i] = pos
        pos += len(ln)
        ends[i] = pos
        pos += 1
        s = ln.strip()
        if s:
            cls[i], words[i], reason[i], header[i], bullet[i] = _classify_line(s)
    page = _Page(text, starts, ends, cls, words, reason, header, bullet)
    _mark_author_names(page)
    return page


def _mark_author_names(p: _Page) -> None:
    """A bare name ("Jane Doe") next to a byline or date line is part of the byline."""
    nonblank = [i for i in range(len(p.cls)) if p.cls[i] != -1]
    for k, i in enumerate(nonblank):
        if p.cls[i] != _SHORT or not 2 <= p.words[i] <= 4:
            continue
        near = [nonblank[j] for j in (k - 1, k + 1) if 0 <= j < len(nonblank)]
        if not any(p.reason[j] == "byline" for j in near):
            continue
        ws = p.text[p.starts[i] : p.ends[i]].split()
        if all(w[:1].isupper() and w.strip(_WORD_STRIP).lower() not in _STOP for w in ws):
            p.cls[i], p.reason[i] = _BAD, "byline"


def _classify_line(s: str) -> tuple[int, int, str | None, str | None, bool]:
    low = s.lower()
    # Plain split: a stop word glued to punctuation ("it,") is missed, which only lowers density a bit.
    words = low.split()
    nw = len(words)
    bullet = s[0] in "-*•·▪◦–0123456789" and bool(_BULLET_RE.match(s))
    norm = _norm(s) if nw <= 8 and len(s) <= 80 else None
    header = _header_reason(norm) if norm is not None else None
    if header is None and s[0].isdigit() and len(s) <= 200:
        header = _header_reason(_norm(s))  # "2 thoughts on “A long headline”"
    reason = header or _pattern_reason(s, low, norm, nw)
    if reason is None and s[0] in _LEAD_PUNCT:
        # Themes put dashes and bullets before meta lines ("— 5 min read", "• 3 comments").
        core = s.lstrip(_LEAD_PUNCT)
        if core:
            reason = _pattern_reason(core, core.lower(), _norm(core) if len(core) <= 80 else None, nw)
    if reason is not None:
        return _BAD, nw, reason, header, bullet
    density = sum(map(_STOP.__contains__, words)) / nw
    ends = s.endswith(_SENT_END)
    if nw >= 10 and density >= 0.2 and (ends or nw >= 25):
        return _GOOD, nw, None, None, bullet
    if nw >= 4 and density >= 0.15 and ends:
        return _NEAR, nw, None, None, bullet
    return _SHORT, nw, None, None, bullet


def _clusters(p: _Page, good: list[int]) -> list[list[int]]:
    """Group good-line indexes; a header, several bad lines or a long gap starts a new group."""
    groups: list[list[int]] = []
    for g in good:
        if groups:
            gap = [i for i in range(groups[-1][-1] + 1, g) if p.cls[i] != -1]
            nbad = sum(p.cls[i] == _BAD for i in gap)
            if nbad < _MAX_GAP_BAD and len(gap) <= _MAX_GAP_LINES and not any(p.header[i] for i in gap):
                groups[-1].append(g)
                continue
        groups.append([g])
    return groups


def _stop_density(p: _Page, i: int) -> float:
    words = p.text[p.starts[i] : p.ends[i]].lower().split()
    return sum(w.strip(_WORD_STRIP) in _STOP for w in words) / max(1, len(words))


def _content_words(p: _Page, idx: list[int]) -> set[str]:
    out: set[str] = set()
    for i in idx:
        for w in p.text[p.starts[i] : p.ends[i]].lower().split():
            w = w.strip(_WORD_STRIP)
            if len(w) > 2 and w not in _STOP:
                out.add(w)
    return out


def _decide(p: _Page) -> list[bool]:
    """Keep/drop for every non-blank line (blank lines are decided later from their neighbours)."""
    cls, n = p.cls, len(p.cls)
    keep = [False] * n
    good = [i for i in range(n) if cls[i] == _GOOD]
    if not good:
        # No article paragraph: keep sentence-like lines, or a lone non-boilerplate line.
        nonblank = [i for i in range(n) if cls[i] != -1]
        for i in nonblank:
            keep[i] = cls[i] == _NEAR or (len(nonblank) == 1 and cls[i] == _SHORT and p.words[i] >= 3)
        return keep
    groups = _clusters(p, good)
    words = [sum(p.words[i] for i in g) for g in groups]
    m = max(range(len(groups)), key=lambda k: (words[k], -k))
    chosen = [m]
    # Article text resumes after ad breaks, but never after a header such as "Related Articles".
    for k in range(m + 1, len(groups)):
        gap = range(groups[k - 1][-1] + 1, groups[k][0])
        headers = [p.header[i] for i in gap if p.header[i]]
        # An inline "Related" box (one header, a few links) inside the article does not end it.
        inline_box = headers == ["related-links"] and sum(cls[i] != -1 for i in gap) <= 6
        if headers and not (inline_box and len(groups[k]) >= 2):
            break
        chosen.append(k)
    for k in range(m - 1, -1, -1):
        if len(groups[k]) < 2 or any(p.header[groups[k][-1] + 1 : groups[k + 1][0]]):
            break
        chosen.append(k)
    chosen.sort()
    first, last = groups[chosen[0]][0], groups[chosen[-1]][-1]
    # Chosen groups are contiguous, so inside [first, last] everything but boilerplate stays, except
    # the links under an inline box header, up to the next paragraph.
    in_box = False
    for i in range(first, last + 1):
        if p.header[i]:
            in_box = True
        elif cls[i] == _GOOD:
            in_box = False
        # A bare number is weak evidence: inside the article it is a table cell or list value.
        keep[i] = (cls[i] > 0 or p.reason[i] == "short-fragment") and not in_box
    # A closing short sentence or list right after the last paragraph.
    for i in range(last + 1, n):
        if cls[i] == -1:
            continue
        if cls[i] == _NEAR or (p.bullet[i] and cls[i] == _SHORT):
            keep[i] = True
            continue
        break
    # Title and standfirst: above the first paragraph, past bylines, dates and share bars. The title
    # is the short line sharing most content words with the opening paragraphs (nearest on ties).
    opening = _content_words(p, groups[chosen[0]][:3])
    best, best_score, best_k, best_seen = -1, -1, 0, 0
    walk = [i for i in range(first - 1, max(-1, first - 1 - 3 * _TITLE_REACH), -1) if cls[i] != -1]
    walk = walk[:_TITLE_REACH]
    unknown = [0] * len(walk)  # lines walked past that are not known boilerplate, up to each step
    seen = 0
    for k, i in enumerate(walk):
        seen += cls[i] != _BAD
        unknown[k] = seen
        if seen > _TITLE_WINDOW:
            break
        if p.words[i] >= 3 and cls[i] in (_SHORT, _NEAR):
            score = len(_content_words(p, [i]) & opening)
            if score > best_score:
                best, best_score, best_k, best_seen = i, score, k, seen
    if best >= 0 and cls[best] == _NEAR:
        # A sentence is a standfirst; the headline is the nearest short line above it.
        seen = best_seen
        for i in walk[best_k + 1 :]:
            seen += cls[i] != _BAD
            if seen > _TITLE_WINDOW or cls[i] == _GOOD:
                break
            if cls[i] == _SHORT and p.words[i] >= 3:
                best = i
                break
    elif best >= 0 and p.words[best] >= _DECK_WORDS and best_k + 1 < len(walk):
        # A long fragment may be a standfirst without a full stop: then the headline sits right above
        # it, is clearly shorter and shares a word with it or the opening.
        i = walk[best_k + 1]
        adjacent = all(cls[j] == -1 for j in range(i + 1, best))
        if (
            adjacent
            and cls[i] == _SHORT
            and 3 <= p.words[i] <= p.words[best] - 3
            and _content_words(p, [i]) & (opening | _content_words(p, [best]))
        ):
            best = i
    if best >= 0:
        # Between headline and body, keep sentences and long fragments (a standfirst without a full
        # stop), not names, menus or "Listen to this article".
        for i in range(best, first):
            deck = cls[i] == _SHORT and p.words[i] >= _DECK_WORDS and _stop_density(p, i) >= 0.15
            keep[i] = i == best or deck or cls[i] in (_NEAR, _GOOD)
    return keep


def _reasons(p: _Page, keep: list[bool]) -> list[str]:
    """A reason for every dropped line: its own pattern, else the header above it, else its position."""
    n = len(keep)
    out = [""] * n
    header: str | None = None
    seen_kept = False
    for i in range(n):
        if keep[i]:
            seen_kept = True
            header = None
            continue
        if p.header[i]:
            header = p.header[i]
        r = p.reason[i]
        if r:
            out[i] = r
        elif p.cls[i] == -1:
            out[i] = "whitespace"
        elif header:
            out[i] = header
        elif "weather-widget" in p.reason[max(0, i - 3) : i + 4]:
            out[i] = "weather-widget"
        elif not seen_kept:
            out[i] = "navigation" if p.words[i] <= 3 else "short-fragment"
        else:
            out[i] = "short-fragment" if p.words[i] <= 3 else "boilerplate"
    return out


def _clean_text(text: str) -> CleanResult:
    if not text:
        return CleanResult("", [], [])
    p = _page(text)
    keep = _decide(p)
    reasons = _reasons(p, keep)
    cls, n = p.cls, len(p.cls)
    # A blank line is kept when the nearest non-blank lines on both sides are kept or a document
    # edge (not both edges); otherwise it goes with the dropped line after it, or else before it.
    owner = ["" if keep[i] else reasons[i] for i in range(n)]
    after: list[str | None] = [None] * n  # owner of the next non-blank line; None at the end
    nxt: str | None = None
    for i in range(n - 1, -1, -1):
        after[i] = nxt
        if cls[i] != -1:
            nxt = owner[i]
    before: str | None = None
    for i in range(n):
        if cls[i] != -1:
            before = owner[i]
            continue
        a = after[i]
        if before in ("", None) and a in ("", None) and not (before is None and a is None):
            owner[i] = ""
        else:
            owner[i] = a or before or "whitespace"
    # Runs of equal owners; each line owns [start, start of the next line).
    total = len(text)
    kept: list[tuple[int, int]] = []
    removed: list[Removed] = []
    run_start, run_owner = 0, owner[0]
    for i in range(1, n + 1):
        if i < n and owner[i] == run_owner:
            continue
        end = p.starts[i] if i < n else total
        if run_owner == "":
            # The newline after a kept run belongs to the removed run that follows it.
            if i < n:
                end -= 1
            kept.append((run_start, end))
        else:
            removed.append(Removed(run_start, end, run_owner))
        if i < n:
            run_start, run_owner = end, owner[i]
    body = TEXT_JOINER.join(text[s:e] for s, e in kept)
    return CleanResult(body, removed, kept)
