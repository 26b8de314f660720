"""HTML: trafilatura finds the main text; this maps what it kept back to offsets in the input."""

from __future__ import annotations

import html as _html
import logging
import re
from array import array

from unspin.clean.result import HTML_JOINER, HTML_REASON, CleanResult, Removed
from unspin.clean.text import _clean_text
from unspin.errors import E

logger = logging.getLogger("unspin")

_HTML_START_RE = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype|html)\b", re.I | re.S)
_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_HTML_TOKEN_RE = re.compile(
    r"<!--.*?-->"
    r"|<(script|style|noscript|template|head|svg|iframe|textarea|select)\b[^>]*>.*?</\1\s*>"
    r"|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?[^>]*>"
    r"|</?([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?/?>"
    r"|&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?",
    re.S | re.I,
)
_BLOCK_TAGS = frozenset(
    """address article aside blockquote br dd details div dl dt fieldset figcaption figure footer form
    h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul
    body html title option button label""".split()
)


def looks_like_html(text: str) -> bool:
    """True if ``text`` starts like an HTML document or is dense with tags."""
    if _HTML_START_RE.match(text[:2000]):
        return True
    sample = text[:20000]
    tags = len(_TAG_RE.findall(sample))
    return tags >= 10 and tags * 200 >= len(sample)


def _visible(doc: str) -> tuple[str, array[int], array[int]]:
    """Visible text of ``doc`` with the input start and end offset of every character.

    Block tags become newlines; entities are decoded; scripts, styles and <head> are skipped.
    """
    parts: list[str] = []
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    pos = 0
    for m in _HTML_TOKEN_RE.finditer(doc):
        a, b = m.span()
        if a > pos:
            parts.append(doc[pos:a])
            starts.extend(range(pos, a))
            ends.extend(range(pos + 1, a + 1))
        tok = m.group()
        if tok[0] == "&":
            ch = _html.unescape(tok)
            parts.append(ch)
            starts.extend([a] * len(ch))
            ends.extend([b] * len(ch))
        elif m.group(2) and m.group(2).lower() in _BLOCK_TAGS:
            parts.append("\n")
            starts.append(a)
            ends.append(a)
        pos = b
    if pos < len(doc):
        parts.append(doc[pos:])
        starts.extend(range(pos, len(doc)))
        ends.extend(range(pos + 1, len(doc) + 1))
    return "".join(parts), starts, ends


def _collapse(vis: str, starts: array[int], ends: array[int]) -> tuple[str, array[int], array[int]]:
    """Whitespace runs collapsed to one space, keeping the per-character offsets."""
    out: list[str] = []
    ns: array[int] = array("q")
    ne: array[int] = array("q")
    for m in re.finditer(r"\S+", vis):
        a, b = m.span()
        if out:
            out.append(" ")
            ns.append(starts[a - 1])
            ne.append(starts[a - 1])
        out.append(m.group())
        ns.extend(starts[a:b])
        ne.extend(ends[a:b])
    return "".join(out), ns, ne


_TABLE_RULE_RE = re.compile(r":?-{3,}:?")


def _trafilatura_lines(doc: str) -> tuple[str | None, list[str]]:
    try:
        import trafilatura
    except ImportError as exc:  # the html extra is optional
        # Also raised when trafilatura is present but a dependency is not (e.g. lxml_html_clean).
        raise ImportError(f"{E.MISSING_EXTRA.format(feature='cleaning HTML', extra='html')} ({exc})") from exc
    doc_ = trafilatura.bare_extraction(doc, include_comments=False, include_tables=True, with_metadata=True)
    if not doc_:
        return None, []
    res = doc_ if isinstance(doc_, dict) else doc_.as_dict()
    text = res.get("text") or ""
    lines: list[str] = []
    for ln in text.split("\n"):
        if ln.startswith("|") and ln.rstrip().endswith("|"):
            # trafilatura writes tables as Markdown rows; keep the cells, which are the page's text.
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            lines.extend(c for c in cells if c and not _TABLE_RULE_RE.fullmatch(c))
        elif ln.strip():
            lines.append(ln)
    return res.get("title"), lines


def _from_html(doc: str) -> CleanResult:
    title, lines = _trafilatura_lines(doc)
    vis, vstarts, vends = _visible(doc)
    if not lines:
        logger.debug("trafilatura found no main text; falling back to the text classifier")
        return _html_fallback(doc, vis, vstarts, vends)
    flat, fs, fe = _collapse(vis, vstarts, vends)
    out: list[str] = []
    cmap: array[int] = array("q")
    emap: array[int] = array("q")
    kept: list[tuple[int, int]] = []
    cursor = 0
    in_pos = 0  # input offset where the last mapped line ended
    found_any = False
    body_norm = [" ".join(ln.split()) for ln in lines]
    if title:
        t = " ".join(title.split())
        first = flat.find(body_norm[0])
        # The occurrence nearest the body is the headline; earlier ones sit in breadcrumbs and menus.
        j = flat.rfind(t, 0, first if first >= 0 else len(flat))
        if j >= 0 and body_norm[0] != t:
            body_norm.insert(0, t)
    if title and body_norm[0] == " ".join(title.split()):
        j = flat.rfind(body_norm[0], 0, flat.find(body_norm[1]) if len(body_norm) > 1 else len(flat))
        cursor = max(j, 0)
    for norm in body_norm:
        cand = [norm]
        if norm.startswith(("- ", "* ", "• ")):
            cand.append(norm[2:])
        j, piece = -1, norm
        for c in cand:
            j = flat.find(c, cursor)
            if j >= 0:
                piece = c
                break
        if out:
            out.append(HTML_JOINER)
            cmap.append(in_pos)
            emap.append(in_pos)
        if j < 0:
            logger.debug("could not map extracted line back to the HTML: %.60r", norm)
            out.append(norm)
            cmap.extend([in_pos] * len(norm))
            emap.extend([in_pos] * len(norm))
            continue
        k = j + len(piece)
        s, e = fs[j], fe[k - 1]
        out.append(piece)
        cmap.extend(fs[j:k])
        emap.extend(fe[j:k])
        if kept and s < kept[-1][1]:
            s = kept[-1][1]
        kept.append((s, max(s, e)))
        in_pos = max(s, e)
        cursor = k
        found_any = True
    if not found_any:
        logger.debug("no extracted line maps back to the HTML")
    cmap.append(in_pos)
    emap.append(in_pos)
    return _html_result("".join(out), kept, cmap, emap, len(doc))


def _html_fallback(doc: str, vis: str, vstarts: array[int], vends: array[int]) -> CleanResult:
    inner = _clean_text(vis)
    cmap: array[int] = array("q")
    emap: array[int] = array("q")
    for i in range(len(inner.text) + 1):
        v = inner.to_input_offset(i)
        cmap.append(vstarts[v] if v < len(vis) else len(doc))
        emap.append(vends[v] if v < len(vis) else len(doc))
    kept: list[tuple[int, int]] = []
    for s, e in inner.kept:
        if e > s:
            a, b = vstarts[s], vends[e - 1]
            if kept and a < kept[-1][1]:
                a = kept[-1][1]
            kept.append((a, max(a, b)))
    return _html_result(inner.text, kept, cmap, emap, len(doc))


def _html_result(
    text: str, kept: list[tuple[int, int]], cmap: array[int], emap: array[int], total: int
) -> CleanResult:
    kept = [(s, e) for s, e in kept if e > s]
    removed: list[Removed] = []
    pos = 0
    for s, e in kept:
        if s > pos:
            removed.append(Removed(pos, s, HTML_REASON))
        pos = e
    if pos < total:
        removed.append(Removed(pos, total, HTML_REASON))
    return CleanResult(text, removed, kept, char_map=cmap, char_end_map=emap)
