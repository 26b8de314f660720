"""Strip page boilerplate (menus, widgets, share bars, comment forms, footers) from scraped text or HTML.

Plain text goes through a line classifier (length, stop-word density, theme patterns, position);
HTML goes through trafilatura (the ``html`` extra) and what it keeps is mapped back to input offsets.
Every result says which input spans were kept and which were removed, and why.
"""

from __future__ import annotations

from unspin.clean.htmltext import _from_html, looks_like_html
from unspin.clean.result import HTML_JOINER, TEXT_JOINER, CleanResult, Removed
from unspin.clean.text import _clean_text

__all__ = ["HTML_JOINER", "TEXT_JOINER", "CleanResult", "Removed", "clean", "looks_like_html"]


def clean(text: str, *, html: bool | None = None) -> CleanResult:
    """Split ``text`` (plain text or HTML; ``html=None`` detects which) into main text and boilerplate."""
    if html is None:
        html = looks_like_html(text)
    if html:
        return _from_html(text)
    return _clean_text(text)
