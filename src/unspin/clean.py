"""Strip page boilerplate (menus, widgets, share bars, comment forms, footers) from scraped text or HTML.

Plain text goes through a line classifier (length, stop-word density, theme patterns, position);
HTML goes through trafilatura (the ``html`` extra) and what it keeps is mapped back to input offsets.
Every result says which input spans were kept and which were removed, and why.
"""

from __future__ import annotations

import bisect
import html as _html
import logging
import re
from array import array
from dataclasses import dataclass, field
from typing import Any

from unspin.errors import E

logger = logging.getLogger("unspin")

__all__ = ["CleanResult", "Removed", "clean", "looks_like_html"]

# Plain-text results join kept input slices with this; HTML results join extracted lines with "\n".
TEXT_JOINER = "\n\n"
HTML_JOINER = "\n"
HTML_REASON = "html-boilerplate"


@dataclass(frozen=True, slots=True)
class Removed:
    """One removed input span [start, end) and the reason code it was removed for."""

    start: int
    end: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class CleanResult:
    """Main text, the removed input spans with reasons, and the kept input spans.

    For plain text, ``text == TEXT_JOINER.join(input[s:e] for s, e in kept)``: kept spans are whole
    lines, so text inside a kept span is byte-identical to the input. For HTML, ``text`` is the
    visible text of the kept blocks (entities decoded, whitespace collapsed) joined by "\\n", and
    ``kept`` holds the input span each block came from. ``removed`` and ``kept`` together cover the
    input without overlap. ``to_input_offset`` maps any offset in ``text`` back to the input.
    """

    text: str
    removed: list[Removed]
    kept: list[tuple[int, int]]
    # Input start and end offset of every text character plus one for len(text) (HTML only; entities
    # make a character's source longer than one); None means "derive from kept".
    char_map: array[int] | None = field(default=None, repr=False, compare=False)
    char_end_map: array[int] | None = field(default=None, repr=False, compare=False)
    _starts: list[int] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.char_map is None:
            starts, pos = [], 0
            for s, e in self.kept:
                starts.append(pos)
                pos += e - s + len(TEXT_JOINER)
            object.__setattr__(self, "_starts", starts)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "removed": [r.to_dict() for r in self.removed]}

    def to_input_offset(self, i: int) -> int:
        """Map offset ``i`` in ``text`` (0..len(text)) to an offset in the input."""
        if not 0 <= i <= len(self.text):
            raise IndexError(f"offset {i} outside text of length {len(self.text)}")
        if self.char_map is not None:
            return self.char_map[i]
        if not self.kept:
            return 0
        k = bisect.bisect_right(self._starts, i) - 1
        s, e = self.kept[k]
        # Offsets inside the joiner map to the end of the slice before it.
        return min(s + i - self._starts[k], e)

    def to_input_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the span [start, end) of ``text`` to the input span its characters came from."""
        a = self.to_input_offset(start)
        self.to_input_offset(end)  # range check
        if end <= start:
            return a, a
        if self.char_end_map is not None:
            return a, max(a, self.char_end_map[end - 1])
        return a, self.to_input_offset(end - 1) + 1


# --------------------------------------------------------------------------------------------
# Line features and theme patterns.

_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my no nor not now of off on once only or other our ours out over own
    said same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom why
    will with would you your yours""".split()
)
_WORD_STRIP = "\"'“”‘’()[],.;:!?*–—-…"
_SENT_END = tuple(".!?:\"'”’)…")
_BULLET_RE = re.compile(r"^(?:[-*•·▪◦–]|\d{1,2}[.)])\s+\S")

# Lines that are nothing but one of these (lower-cased, trimmed) are boilerplate; headers (below)
# also end the article when they follow it.
_EXACT: dict[str, str] = {}
_HEADERS: dict[str, str] = {}


def _add(table: dict[str, str], reason: str, phrases: str) -> None:
    for p in phrases.strip().split("\n"):
        table[p.strip()] = reason


_add(
    _HEADERS,
    "related-links",
    """
related articles
related posts
related stories
related news
related
more from author
more from the author
you may also like
you might also like
you may like
read next
latest articles
latest news
latest posts
latest stories
recent posts
recent articles
popular posts
popular articles
popular category
popular
most popular
most read
most viewed
trending
trending now
trending news
editor picks
editor's picks
editors' picks
don't miss
must read
recommended
recommended for you
recommended stories
more stories
more news
more articles
more in news
check also
top stories
in case you missed it
random article
blog archive
what to read next
also on this site""",
)
_add(
    _HEADERS,
    "comment-form",
    """
leave a reply
leave a comment
leave a reply cancel reply
leave a comment cancel reply
post a comment
post navigation
comments
responses
discussion about this post
recent comments
join the discussion
add comment
write a comment""",
)
_add(
    _HEADERS,
    "byline",
    """
about the author
about author
author""",
)
_add(
    _HEADERS,
    "footer",
    """
about us
about
contact us
useful links
quick links
categories
archives
follow us
stay connected
connect with us
social
newsletter
sign up for our newsletter
subscribe to our newsletter""",
)
_add(
    _HEADERS,
    "share-buttons",
    """
share this
share this article
share this story
share this post
share on social media
spread the love""",
)

_add(
    _EXACT,
    "navigation",
    """
home
menu
main menu
search
search for
search this blog
sign in
log in
login
sign up
register
skip to content
skip to main content
toggle navigation
close
back to top
back to top button
scroll to top
go to top
next
previous
older posts
newer posts
newer post older post home
newer post
older post
home page
view all
view all result
load more
show more
see more
no result
menu search
sidebar
switch skin
sections
all
news
world
business
politics
technology
tech
sports
sport
entertainment
lifestyle
health
science
opinion
culture
travel
local
video
videos
photos
podcasts
more""",
)
_add(
    _EXACT,
    "comment-form",
    """
please enter your comment
please enter your name here
you have entered an incorrect email address
please enter your email address here
save my name, email, and website in this browser for the next time i comment
save my name, email, and website in this browser for the next time i comment
cancel reply
post comment
submit comment
reply
log in to reply
name
name*
email
email*
website
comment
comment*
notify me of follow-up comments by email
notify me of new posts by email
δ
remember me
welcome back
login to your account below
retrieve your password
forgot your password? get help
forgot password
password recovery
recover your password
your username
your password
your email
a password will be e-mailed to you
welcome! log into your account
create an account
add new playlist
select visibility
public
private
no comments
subscribe to: post comments (atom)
subscribe to: post comments
report abuse""",
)
_add(
    _EXACT,
    "advertisement",
    """
advertisement
advertisements
advertisment
ad
ads
sponsored
sponsored content
promoted content
paid content
continue reading below
story continues below advertisement
article continues below advertisement
continue reading the main story
story continues
story continues below
scroll to continue with content""",
)
_add(
    _EXACT,
    "subscribe",
    """
subscribe
subscribe now
subscribe today
follow
followers
fans
like
likes
subscribers
members
join now
get the app
download the app""",
)
_add(
    _EXACT,
    "share-buttons",
    """
share
tweet
pin
print
email this
blogthis
share to twitter
share to facebook
share to pinterest
copy link
link copied
share via email
whatsapp""",
)
_add(
    _EXACT,
    "cookie-notice",
    """
accept
accept all
accept cookies
reject
reject all
i agree
agree
got it
ok
decline
manage consent
manage options
cookie settings
privacy settings""",
)
_add(
    _EXACT,
    "footer",
    """
privacy policy
terms of use
terms of service
terms and conditions
cookie policy
disclaimer
sitemap
advertise
advertise with us
careers
contact
faq
powered by blogger
all rights reserved""",
)

_SHARE_WORDS = frozenset(
    """facebook twitter x pinterest whatsapp linkedin telegram reddit email e-mail print share tweet
    messenger viber tumblr vk vkontakte pocket mix flipboard instagram youtube vimeo tiktok rss
    copy link via on to the this blogthis! blogthis sharethis google+ line skype snapchat discord
    threads bluesky mastodon gmail sms""".split()
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_DATE = (
    rf"(?:{_DAY},?\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+"
    rf"{_MONTH},?\s+\d{{4}}|\d{{4}}-\d\d-\d\d|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})"
)
_TIME = r"\d{1,2}:\d\d(?::\d\d)?\s*(?:[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?"
# Short lines matched by these regexes (anchored, case-insensitive) are boilerplate.
_SHORT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(rx, re.I))
    for reason, rx in (
        ("weather-widget", r"^-?\d{1,3}(?:[.,]\d+)?\s*°\s*[cf]?(?:\s+-?\d{1,3}(?:[.,]\d+)?\s*°\s*[cf]?)*$"),
        ("weather-widget", r"^-?\d{1,3}(?:[.,]\d+)?\s*(?:°|º|deg)?\s*[cf]$"),
        ("weather-widget", rf"^{_DAY}\s+-?\d{{1,3}}(?:[.,]\d+)?\s*°?\s*[cf]?$"),
        ("weather-widget", r"^\d+(?:[.,]\d+)?\s*(?:km/?h|kmh|mph|m/s|knots|hpa|mb)$"),
        ("weather-widget", r"^(?:humidity|wind|pressure|feels like|uv index|precipitation)\b.{0,30}$"),
        (
            "weather-widget",
            r"^(?:clear sky|few clouds|scattered clouds|broken clouds|overcast clouds|"
            r"light rain|moderate rain|heavy rain|shower rain|light snow|mist|haze|fog|sunny|"
            r"partly cloudy|mostly cloudy|cloudy|thunderstorm)$",
        ),
        ("short-fragment", r"^[\d.,%kKmM+\s]+$"),
        (
            "byline",
            rf"^(?:(?:updated|published|posted|last updated|modified)(?:\s+on)?:?\s*)?{_DATE}"
            rf"(?:,?\s*(?:at\s+)?{_TIME})?(?:\s*[|•·-]\s*.{{0,40}})?$",
        ),
        ("byline", r"^(?:and\s+)?(?:updated|published|posted|last updated)(?:\s+on|\s+at)?:?\s+.{0,40}$"),
        ("byline", rf"^{_TIME}$"),
        (
            "byline",
            r"^(?:by|written by|posted by|author|reporter|words by|story by)\s*:?\s+"
            r"[\w.'’-]+(?:\s+[\w.'’-]+){0,5}(?:\s*(?:[|•·,–—-]|and)\s*.{0,60})?$",
        ),
        ("byline", r"^(?:\d+\s+)?\d+\s*(?:min(?:ute)?s?|hours?|days?|weeks?|months?|years?)\s+(?:read|ago)$"),
        ("byline", r"^(?:\d+|no|one)\s+(?:comments?|responses?|replies|views|shares|reads)\b.{0,20}$"),
        ("byline", r"^(?:reporting|additional reporting|editing|edited) by\s.{0,80}$"),
        ("navigation", r"^home\s*(?:[»>/|›]|&gt;)\s*.{0,160}$"),
        (
            "related-links",
            r"^(?:also read|read also|read more|see also|related|more|watch|listen|"
            r"recommended|must read|don't miss|also see|trending|read next)\s*[:|-]\s*.{0,160}$",
        ),
        ("related-links", r"^(?:previous|next)\s+(?:article|post|story)\b.{0,160}$"),
        ("related-links", r"^(?:load|show|view|see)\s+more\b.{0,30}$"),
        ("byline", r"^(?:tags?|filed under|categories|category|labels|topics|posted in)\s*:.{0,200}$"),
        (
            "caption",
            r"^(?:photo|image|picture|credit|photo credit|image credit|source|file photo|"
            r"featured image|pic)s?\s*:.{0,160}$",
        ),
        ("caption", r"^\(?(?:photo|image)\s+(?:by|courtesy|credit)\b.{0,120}$"),
        ("footer", r"^(?:©|\(c\)|copyright\b).{0,160}$"),
        ("footer", r"^(?:contact us|email us|e-mail)\s*:.{0,100}$"),
        (
            "subscribe",
            r"^(?:sign up|subscribe|join)\b.{0,40}\b(?:newsletter|updates|inbox|list|free)\b",
        ),
        ("subscribe", r"^(?:follow us|like us|find us)\b.{0,60}$"),
        (
            "subscribe",
            r"^[\d.,]+\s*[km]?\s*(?:followers|following|fans|subscribers|likes|members|shares|views)$",
        ),
        ("comment-form", r"^\d+\s+comments?$"),
        ("comment-form", r"^posted by .{0,60}\bat\s+" + _TIME + "$"),
        ("advertisement", r"^[-–—\s]*advertisement[-–—\s]*$"),
        ("advertisement", r"^(?:sponsored|ad|ads|promoted)\s*(?:by|:|\||-)\s*.{0,80}$"),
        ("navigation", r"^►.{0,60}$"),
    )
)
# One alternation, so a line costs one regex call; the group name indexes the reason.
_SHORT_RE = re.compile(
    "|".join(f"(?P<r{i}>{rx.pattern[1:]})" for i, (_, rx) in enumerate(_SHORT_RULES)), re.I
)
_SHORT_REASON = {f"r{i}": reason for i, (reason, _) in enumerate(_SHORT_RULES)}
# The regex can only match lines that start with one of these words or a non-letter, or that pass
# the gate keeps ordinary sentences away from the regex.
_SHORT_FIRST_WORDS = frozenset(
    """by written posted author reporter words story updated published last modified reporting additional
    editing edited home also read see related more watch listen recommended must don't trending previous
    next load show view tags tag filed categories category labels topics photo photos image images picture
    pictures credit credits source file featured pic pics copyright contact email e-mail sign subscribe join
    follow like find advertisement sponsored ad ads promoted humidity wind pressure feels uv precipitation
    and clear few scattered broken overcast light moderate heavy shower mist haze fog sunny partly mostly
    cloudy thunderstorm no one mon monday tue tuesday wed wednesday thu thursday fri friday sat saturday
    sun sunday jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december""".split()
)
# Rules that do not anchor on a first word, each behind a cheap test (a substring of the lower-cased
# line, or "DIGIT+SEP" / "NAVSEP") so most lines never reach a regex.
_GATED_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (reason, gate, re.compile(rx, re.I))
    for reason, gate, rx in (
        ("byline", "DIGIT+SEP", r"[\w.'’-]+(?:\s+[\w.'’-]+){0,3}\s*[|•·–—-]\s*" + _DATE + r".{0,30}$"),
        ("navigation", "NAVSEP", r"(?:[^|•»›]{1,25}\s*[|•»›]\s*){2,}[^|•»›]{1,25}$"),
        ("footer", " by ", r".{0,60}\b(?:theme|powered|designed|developed) by\b.{0,60}$"),
        ("subscribe", "email", r".{0,40}\b(?:enter your email|your email address)\b.{0,60}$"),
        ("comment-form", ":", r".{0,40}\s(?:says|said|wrote)\s*:$"),
        ("comment-form", "reply", r".{0,60}\breply\s*(?:↓|→)?$"),
    )
)
# Teasers in related and latest-post lists end like this.
_EXCERPT_ENDS = (
    "…",
    "...",
    "[…]",
    "[...]",
    "read more",
    "read more »",
    "read more ›",
    "read more →",
    "continue reading",
    "continue reading →",
    "continue reading »",
)
# Keywords that, in lines of any length, point to a boilerplate notice; checked before the regex.
_LONG_RULES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "cookie-notice",
        ("cookie",),
        re.compile(
            r"\b(?:we use|this (?:web)?site uses|uses cookies|use of cookies|accept|consent|you agree|"
            r"cookie policy|continue to use|browsing experience|best experience)\b",
            re.I,
        ),
    ),
    (
        "comment-form",
        ("email", "comment", "spam"),
        re.compile(
            r"email address will not be published|required fields are marked|save my name, email|"
            r"akismet to reduce spam|logged in to post a comment|notify me of|your comment data is processed",
            re.I,
        ),
    ),
    (
        "subscribe",
        ("newsletter", "inbox", "subscribe"),
        re.compile(
            r"(?:sign up|subscribe)\b.{0,60}\b(?:newsletter|inbox)|delivered (?:straight )?to your inbox|"
            r"get the latest\b.{0,40}\b(?:inbox|newsletter)",
            re.I,
        ),
    ),
    (
        "footer",
        ("rights reserved", "copyright", "©"),
        re.compile(r"all rights reserved|^(?:©|copyright)", re.I),
    ),
    ("subscribe", ("disable", "ad block", "adblock"), re.compile(r"(?:ad ?blocker|disable your ad)", re.I)),
)
_NORM_STRIP = " \t\r:.!-–—|•*#»>›()[]\"'"


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("’", "'").strip(_NORM_STRIP).split())


def _pattern_reason(s: str, low: str, norm: str | None, nwords: int) -> str | None:
    """Reason code if line ``s`` (stripped; ``low`` lower-cased) matches a boilerplate pattern, else None."""
    # Substring tests are much cheaper than one regex alternation over every line.
    if (
        "cookie" in low
        or "mail" in low
        or "comment" in low
        or "spam" in low
        or "newsletter" in low
        or "inbox" in low
        or "subscribe" in low
        or "rights reserved" in low
        or "copyright" in low
        or "©" in low
        or "disable" in low
        or "block" in low
    ):
        for reason, keys, rx in _LONG_RULES:
            if any(k in low for k in keys) and rx.search(s):
                return reason
    if len(s) > 320:
        return None
    if norm is not None:
        if norm in _HEADERS:
            return _HEADERS[norm]
        if norm in _EXACT:
            return _EXACT[norm]
    if nwords <= 16 and low.split(None, 1)[0].strip(_WORD_STRIP) in _SHARE_WORDS:
        words = [w.strip(_WORD_STRIP) for w in low.replace("|", " ").split()]
        if all(w in _SHARE_WORDS or not w or w.isdigit() for w in words) and any(
            w in _SHARE_WORDS and w not in ("on", "to", "the", "this", "via", "line") for w in words
        ):
            return "share-buttons"
    if not s[0].isalpha() or low.split(None, 1)[0].strip(_WORD_STRIP) in _SHORT_FIRST_WORDS:
        m = _SHORT_RE.match(s)
        if m:
            return _SHORT_REASON[m.lastgroup or ""]
    if len(s) <= 200:
        r = _gated_reason(s, low)
        if r:
            return r
    if low.endswith(_EXCERPT_ENDS) and len(s) <= 300:
        return "related-links"
    return None


_HAS_DIGIT = re.compile(r"\d").search
_HAS_SEP = re.compile(r"[|•·–—»›►-]").search
_HAS_NAV_SEP = re.compile(r"[|•»›]").search


def _gated_reason(s: str, low: str) -> str | None:
    for reason, gate, rx in _GATED_RULES:
        if gate == "DIGIT+SEP":
            ok = _HAS_DIGIT(s) is not None and _HAS_SEP(s) is not None
        elif gate == "NAVSEP":
            ok = _HAS_NAV_SEP(s) is not None
        else:
            ok = gate in low
        if ok and rx.match(s):
            return reason
    return None


_LEAD_PUNCT = "—–-•·|*>» "
_COUNT_HEADER_RE = re.compile(r"\d+\s+(?:comments?|responses?|thoughts on .{0,120})")
# An author box ("Written by Jane Doe") after the article starts the page's trailing matter.
_AUTHOR_HEADER_RE = re.compile(r"(?:written by|about the author|more from|see all from)\s+[\w.'’ -]{2,40}")


def _header_reason(norm: str) -> str | None:
    if norm in _HEADERS:
        return _HEADERS[norm]
    if norm[:1].isdigit() and _COUNT_HEADER_RE.fullmatch(norm):
        return "comment-form"
    if norm[:1] in "wams" and _AUTHOR_HEADER_RE.fullmatch(norm):
        return "byline"
    return None


# --------------------------------------------------------------------------------------------
# The plain-text classifier.

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


# --------------------------------------------------------------------------------------------
# HTML: trafilatura for the main text, mapped back to the input through the visible text.

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


def clean(text: str, *, html: bool | None = None) -> CleanResult:
    """Split ``text`` (plain text or HTML; ``html=None`` detects which) into main text and boilerplate."""
    if html is None:
        html = looks_like_html(text)
    if html:
        return _from_html(text)
    return _clean_text(text)
