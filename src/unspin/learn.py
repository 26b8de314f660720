"""Learn a spinner's dictionary from aligned (spun, original) pairs and store it as a channel table."""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import json
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import E, UnspinError
from .text import Token, lm_form, names, tokenize

log = logging.getLogger("unspin")

_HEADER = "# unspin channel table v1"
_KIND = "# kind: "
_NAMES = "# names kept, rewritten: "
_KEPT = "# kept: "
MAX_PHRASE = 6  # longest phrase (in words) kept on either side of a learned entry


@dataclass(frozen=True, slots=True)
class Entry:
    """One learned rewrite: the spinner wrote `spun` where the source had `original`."""

    spun: str
    original: str
    count: float  # times the rewrite was seen; 0 for a guess from another inflection of the same lemmas
    prob: float  # P(original | spun was seen), including the times `spun` stood for itself
    seen: float = -1.0  # times the spun form was seen in the pairs, rewritten or not (-1: not recorded)


@dataclass
class ChannelTable:
    """A spinner's dictionary, spun phrase -> originals, learned from pairs, a phrase list or `adapt`."""

    entries: dict[str, list[Entry]] = field(default_factory=dict)
    name: str = "learned"
    # "phrases" for a phrase list (fixed terms such as "deep learning", which the decoder generalises word
    # by word through the thesaurus), "aligned" for text pairs (counts of rewrites actually seen), "pairs" for
    # adapt's estimates (and tables saved before the "aligned" kind existed).
    kind: str = "pairs"
    # Words read as names (acronyms, capitalised words inside sentences) in the spun texts of the pairs: how many
    # stood for themselves and how many were rewrites ("aligned" tables; (0, 0) when not counted).
    names: tuple[float, float] = (0.0, 0.0)
    # Words the pairs show standing for themselves, and how often ("aligned" tables since `learn10`; empty before):
    # a spinner that rewrites a word one way wherever it stands did not have these in its dictionary.
    kept: dict[str, float] = field(default_factory=dict)

    @property
    def max_words(self) -> int:
        return max((k.count(" ") + 1 for k in self.entries), default=0)

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())

    def get(self, spun: str) -> list[Entry]:
        return self.entries.get(spun, [])

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(_HEADER + "\n")
            if self.kind != "pairs":
                f.write(f"{_KIND}{self.kind}\n")
            if self.names != (0.0, 0.0):
                f.write(f"{_NAMES}{self.names[0]:g} {self.names[1]:g}\n")
            if self.kept:
                f.write(_KEPT + " ".join(f"{w} {n:g}" for w, n in sorted(self.kept.items())) + "\n")
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            seen = any(e.seen >= 0 for v in self.entries.values() for e in v)
            w.writerow(["spun", "original", "count", "prob", *(["seen"] if seen else [])])
            for key in sorted(self.entries):
                for e in self.entries[key]:
                    row = [e.spun, e.original, f"{e.count:g}", f"{e.prob:.4f}"]
                    w.writerow([*row, f"{e.seen:g}"] if seen else row)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ChannelTable:
        try:
            with open(path, encoding="utf-8") as f:
                first = f.readline().rstrip("\n")
                if first != _HEADER:
                    raise UnspinError(E.BAD_CHANNEL.format(path=path, detail="missing the table header line"))
                lines = f.read().split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise UnspinError(E.BAD_CHANNEL.format(path=path, detail=exc)) from None
        kind = "pairs"
        if lines and lines[0].startswith(_KIND):
            kind = lines.pop(0)[len(_KIND):].strip()
        seen_names = (0.0, 0.0)
        if lines and lines[0].startswith(_NAMES):
            try:
                kept, rewritten = (float(x) for x in lines.pop(0)[len(_NAMES):].split())
            except ValueError:
                raise UnspinError(E.BAD_CHANNEL.format(path=path, detail="bad names line")) from None
            seen_names = (kept, rewritten)
        kept_words: dict[str, float] = {}
        if lines and lines[0].startswith(_KEPT):
            parts = lines.pop(0)[len(_KEPT):].split()
            try:
                kept_words = {w: float(n) for w, n in zip(parts[::2], parts[1::2], strict=True)}
            except ValueError:
                raise UnspinError(E.BAD_CHANNEL.format(path=path, detail="bad kept line")) from None
        table: dict[str, list[Entry]] = defaultdict(list)
        try:
            for r in csv.DictReader(lines, delimiter="\t"):
                table[r["spun"]].append(Entry(r["spun"], r["original"], float(r["count"]), float(r["prob"]),
                                              float(r.get("seen") or -1.0)))
        except (KeyError, TypeError, ValueError, csv.Error) as exc:
            raise UnspinError(E.BAD_CHANNEL.format(path=path, detail=f"bad row: {exc}")) from None
        for v in table.values():
            v.sort(key=lambda e: -e.prob)
        return cls(dict(table), name=Path(path).name, kind=kind, names=seen_names, kept=kept_words)


def _words(text: str) -> list[str]:
    """The LM forms of the words and numbers of `text`, and the hyphens inside words ("red - hot")."""
    return _glued_words(text)[0]


def _glued_words(text: str) -> tuple[list[str], list[bool], list[bool]]:
    """`_words`; for each word whether the next one follows it in the same span a decoder reads (spaces only);
    and whether it reads as a name (`text.names`)."""
    toks = tokenize(text)
    is_name = names(text, toks)
    out: list[str] = []
    glued: list[bool] = []
    named: list[bool] = []
    last = -2  # token index of the last word kept
    for k, t in enumerate(toks):
        if t.is_word or t.text[0].isdigit():
            form = lm_form(t.text)
        elif t.text == "-" and 0 < k < len(toks) - 1 and _joined(toks[k - 1], t, toks[k + 1]):
            form = "-"  # a spinner's hyphenated synonym is one rewrite, keyed as the decoder reads it
        else:
            continue
        if glued:
            gap = text[toks[last].end : t.start]
            glued[-1] = last == k - 1 and (not gap or gap.isspace()) and "\n" not in gap
        out.append(form)
        glued.append(False)
        named.append(is_name[k])
        last = k
    return out, glued, named


def _joined(left: Token, hyphen: Token, right: Token) -> bool:
    return left.end == hyphen.start and hyphen.end == right.start and left.is_word and right.is_word


# Words a spinner's inserted modifier is never read together with: a phrase the decoder would meet in every text.
# A shorter list than text.FUNCTION_WORDS, with the hyphen and digit tokens.
GLUE_WORDS = frozenset(
    """a an the and or but nor so yet for of in on at to by with from into onto upon about as than then that this
    these those there here what which who whom whose when where why how if whether not no i me my we us our you your
    he him his she her it its they them their be am is are was were been being have has had do does did will would
    shall should can could may might must - 0""".split()
)
# Words a spinner appends to a verb ("gather" -> "gather up"): read with the word before them.
_PARTICLES = frozenset("up down out off over back away on in about around through together along ever".split())


def align(spun: str, original: str, sides: Counter[str] | None = None, collect: bool = False,
          name_counts: Counter[bool] | None = None) -> Iterator[tuple[str, str]]:
    """Yield (spun phrase, original phrase) for every rewrite, and (w, w) for every word kept as it was.

    `sides` holds, per run of words the spinner added, how often it was seen added after (> 0) rather than
    before (< 0) the word it goes with; `collect` counts into it the runs that could go with only one word.
    `name_counts` counts the spun words read as names that were kept (False) and the rewrites with one (True).
    """
    return _pairs_of(_Alignment(spun, original), sides, collect, name_counts)


class _Alignment:
    """A pair's words and its edit operations, before added words are attached (which reads `sides`)."""

    def __init__(self, spun: str, original: str) -> None:
        self.s, self.glued, self.named = _glued_words(spun)
        self.o = _words(original)
        ops = difflib.SequenceMatcher(a=self.s, b=self.o, autojunk=False).get_opcodes()
        # A length-changing rewrite often aligns as insert + kept word + insert ("use" -> "make use of"):
        # merge edits separated by at most one kept word into one phrase pair.
        merged: list[list] = []
        for op in ops:
            tag, i1, i2, j1, j2 = op
            if (
                tag != "equal"
                and len(merged) >= 2
                and merged[-1][0] == "equal"
                and merged[-1][2] - merged[-1][1] == 1
                and merged[-2][0] != "equal"
                and (merged[-2][2] - merged[-2][1]) != (merged[-2][4] - merged[-2][3])
                and i2 - merged[-2][1] <= MAX_PHRASE  # past that the merged pair would be dropped: keep the parts
            ):
                eq = merged.pop()
                prev = merged.pop()
                merged.append(["replace", prev[1], i2, prev[3], j2])
                del eq
                continue
            merged.append(list(op))
        self.ops = merged

    def attached(self, sides: Counter[str] | None, collect: bool) -> list[list]:
        """The operations with added words attached to their word (a copy: the alignment is read again)."""
        ops = [list(op) for op in self.ops]
        _attach_insertions(ops, self.s, self.glued, sides, collect)
        return ops


def _pairs_of(al: _Alignment, sides: Counter[str] | None = None, collect: bool = False,
              name_counts: Counter[bool] | None = None) -> Iterator[tuple[str, str]]:
    s, o, named = al.s, al.o, al.named
    for tag, i1, i2, j1, j2 in al.attached(sides, collect):
        if name_counts is not None and any(named[i1:i2]):
            name_counts[tag != "equal"] += sum(named[i1:i2]) if tag == "equal" else 1
        if tag == "equal":
            for w in s[i1:i2]:
                yield w, w
            continue
        a, b = s[i1:i2], o[j1:j2]
        if len(a) == len(b) and len(a) > 1:
            # Equal-length runs are word-for-word swaps far more often than phrase rewrites.
            yield from zip(a, b, strict=True)
        elif 0 < len(a) <= MAX_PHRASE and len(b) <= MAX_PHRASE:
            yield " ".join(a), " ".join(b)


def _attach_insertions(ops: list[list], s: list[str], glued: list[bool], sides: Counter[str] | None = None,
                       collect: bool = False) -> None:
    """Read words the spinner added ("making" -> "making up", "reports" -> "news reports") with the kept word
    they were added to, in place in `ops`: as a deletion of their own they would teach the decoder to delete
    "up" or "legal" wherever it stands, and would never match the phrase the spinner writes.

    Between two words either could take, the side the same words took where only one could decides
    ("system of rules opens": "of rules" goes with "system"); without that, a particle goes with the word
    before it and any other word with the word after it.
    """
    k = 0
    while k < len(ops):
        tag, i1, i2, j1, j2 = ops[k]
        if tag != "delete" or i2 - i1 >= MAX_PHRASE:
            k += 1
            continue
        left = k > 0 and ops[k - 1][0] == "equal" and glued[i1 - 1] and s[i1 - 1] not in GLUE_WORDS
        right = (k + 1 < len(ops) and ops[k + 1][0] == "equal" and glued[i2 - 1]
                 and s[i2] not in GLUE_WORDS)
        added = " ".join(s[i1:i2])
        if left and right:
            vote = sides.get(added, 0) if sides is not None else 0
            left = vote > 0 if vote else s[i1] in _PARTICLES  # a particle follows its verb, a modifier leads
            right = not left
        elif collect and sides is not None and (left or right):
            sides[added] += 1 if left else -1
        if left:
            prev = ops[k - 1]
            ops[k] = ["replace", i1 - 1, i2, j1 - 1, j1]
            prev[2] -= 1
            prev[4] -= 1
            if prev[1] == prev[2]:
                del ops[k - 1]
                k -= 1
        elif right:
            nxt = ops[k + 1]
            ops[k] = ["replace", i1, i2 + 1, j1, j1 + 1]
            nxt[1] += 1
            nxt[3] += 1
            if nxt[1] == nxt[2]:
                del ops[k + 1]
        k += 1


def _inflections(spun: str, original: str) -> Iterator[tuple[str, str]]:
    """Generalise a one-word pair to the other inflections of the same lemmas (capturing/shooting -> captured/shot)."""
    if " " in spun or " " in original or not spun or not original:
        return
    try:
        from lemminflect import getAllInflections, getAllLemmas
    except ImportError:  # lemminflect is a core dependency; without it we just don't generalise
        return
    for upos, s_lemmas in getAllLemmas(spun).items():
        o_lemmas = getAllLemmas(original).get(upos)
        if not o_lemmas:
            continue
        s_inf = getAllInflections(s_lemmas[0], upos=upos)
        o_inf = getAllInflections(o_lemmas[0], upos=upos)
        for tag, forms in s_inf.items():
            if tag in o_inf:
                yield forms[0], o_inf[tag][0]


def learn_pairs(pairs: Iterable[tuple[str, str]], min_count: int = 1) -> ChannelTable:
    """Align each (spun, original) pair and count the rewrites into a channel table."""
    alignments = [_Alignment(spun, original) for spun, original in pairs]
    # A first pass learns which side of its word the spinner puts each run of added words on.
    sides: Counter[str] = Counter()
    for al in alignments:
        al.attached(sides, collect=True)
    rewrites: Counter[tuple[str, str]] = Counter()
    kept: Counter[str] = Counter()
    name_counts: Counter[bool] = Counter()
    for al in alignments:
        for a, b in _pairs_of(al, sides, name_counts=name_counts):
            if a == b:
                kept[a] += 1
            else:
                rewrites[a, b] += 1
    table = _table(rewrites, kept, min_count)
    table.kind = "aligned"
    table.names = (float(name_counts[False]), float(name_counts[True]))
    table.kept = {w: float(n) for w, n in kept.items() if any(c.isalpha() for c in w)}
    return table


def learn_phrases(pairs: Iterable[tuple[str, str]]) -> ChannelTable:
    """A table from a phrase list (tortured -> expected): each whole pair, and the word swaps inside it.

    Tortured phrases are built word by word ("profound learning" -> "deep learning"), so the word-level
    rewrites generalise to phrases the list does not hold ("profound neural network").
    """
    rewrites: Counter[tuple[str, str]] = Counter()
    kept: Counter[str] = Counter()
    for spun, original in pairs:
        a, b = " ".join(_words(spun)), " ".join(_words(original))
        if not a or a == b:
            continue
        rewrites[a, b] += 1
        inner = [(x, y) for x, y in align(a, b) if x != a]
        for x, y in inner:
            if x == y:
                kept[x] += 1
            else:
                rewrites[x, y] += 1
    # No re-inflection here: inside a fixed term a gerund is a noun ("machine studying" -> "machine
    # learning"), and its verb forms ("study" -> "learn") would rewrite ordinary prose.
    table = _table(rewrites, kept, 1, inflect=False)
    table.kind = "phrases"
    return table


def _table(rewrites: Counter[tuple[str, str]], kept: Counter[str], min_count: int,
           inflect: bool = True) -> ChannelTable:
    direct: dict[tuple[str, str], float] = {k: float(v) for k, v in rewrites.items() if v >= min_count}
    general: dict[tuple[str, str], float] = {}
    # A form the pairs show rewritten has its own counts: lemma-level guesses would only dilute them
    # ("broadcasting" -> "video" seen 29 times gains nothing from "videos" and "videoing").
    rewritten = {a for a, _ in direct}
    for (a, b), n in direct.items():
        for ga, gb in _inflections(a, b) if inflect else ():
            if (ga, gb) not in direct and ga not in rewritten:
                general[ga, gb] = general.get((ga, gb), 0.0) + 0.5 * n  # seen only via its lemma: half weight
    totals: dict[str, float] = defaultdict(float)
    seen: Counter[str] = Counter(kept)
    merged = {**general, **direct}
    for (a, _), x in merged.items():
        totals[a] += x
    for (a, _), x in rewrites.items():
        seen[a] += x
    table: dict[str, list[Entry]] = defaultdict(list)
    for (a, b), x in merged.items():
        count = x if (a, b) in direct else 0.0
        table[a].append(Entry(a, b, count, x / (totals[a] + kept[a]), float(seen[a])))
    for v in table.values():
        v.sort(key=lambda e: -e.prob)
    log.info("learned %d rewrites of %d spun forms", sum(map(len, table.values())), len(table))
    return ChannelTable(dict(table))


def read_pairs(path: str | os.PathLike[str]) -> tuple[list[tuple[str, str]], str]:
    """Read pairs from JSON Lines (`spun`/`original`) or a TSV (`spun`|`tortured`, `original`|`expected`)."""
    p = str(path)
    try:
        raw = gzip.open(p, "rb").read() if p.endswith(".gz") else Path(p).read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise UnspinError(E.BAD_PAIRS.format(path=path, detail=exc)) from None
    first = text.lstrip()[:1]
    if first == "{":
        pairs = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                pairs.append((str(row["spun"]), str(row["original"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise UnspinError(E.BAD_PAIRS.format(path=path, detail=f"line {n}: {exc}")) from None
        return pairs, "documents"
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    if not rows:
        raise UnspinError(E.BAD_PAIRS.format(path=path, detail="no rows"))
    cols = rows[0].keys()
    s_col = next((c for c in ("spun", "tortured") if c in cols), None)
    o_col = next((c for c in ("original", "expected") if c in cols), None)
    if not s_col or not o_col:
        raise UnspinError(
            E.BAD_PAIRS.format(path=path, detail="need JSON Lines or a TSV with spun|tortured and original|expected")
        )
    return [(r[s_col] or "", r[o_col] or "") for r in rows], "phrases"


# --- per-group tables (`adapt --group-by`, `batch --channel-dir --group-by`) ---------------------------

GROUPS_FILE = "groups.json"  # {group value: table file name} inside a channel directory


def group_key(value: object) -> str | None:
    """The name a row's group field gives its group: a string as it is, a number or boolean as JSON, else none."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, int | float | bool) else None


def group_table_name(group: str) -> str:
    """A file name for one group's table that is safe on every file system and unique per group value."""
    import hashlib
    import re

    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", group)[:40].strip("._") or "group"
    return f"{slug}-{hashlib.sha1(group.encode('utf-8')).hexdigest()[:8]}.tsv"


def write_channel_dir(tables: dict[str, ChannelTable], path: str | os.PathLike[str]) -> dict[str, str]:
    """Save one table per group into directory `path` with its `groups.json` index; return the index."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    index = {}
    for group, table in sorted(tables.items()):
        name = group_table_name(group)
        table.save(out / name)
        index[group] = name
    tmp = out / (GROUPS_FILE + ".tmp")
    tmp.write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, out / GROUPS_FILE)
    return index


def read_channel_dir(path: str | os.PathLike[str]) -> dict[str, Path]:
    """Map each group value to its table file in a directory written by `write_channel_dir`."""
    d = Path(path)
    try:
        index = json.loads((d / GROUPS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnspinError(E.BAD_CHANNEL.format(path=d / GROUPS_FILE, detail=exc)) from None
    if not isinstance(index, dict):
        raise UnspinError(E.BAD_CHANNEL.format(path=d / GROUPS_FILE, detail="not a JSON object"))
    return {str(g): d / str(name) for g, name in index.items()}
