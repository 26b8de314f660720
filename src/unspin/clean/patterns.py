"""Boilerplate patterns of common CMS themes (tagDiv Newspaper and Newsmag, Jannah, Soledad, JNews, Blogger).

Every table maps a line (or a family of lines) to a reason code; ``_pattern_reason`` applies them cheaply.
"""

from __future__ import annotations

import re

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
