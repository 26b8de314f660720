"""The Engine: one lexicon, one language model and any learned channel tables, shared by every call."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .detect import DetectResult, Span, features_of_views, spans, spin_probability, token_view
from .errors import E, UnspinError
from .learn import ChannelTable
from .lexicon import Lexicon
from .lm import NgramLM
from .names import Names
from .params import Params
from .restore import NAME_CONFIDENCE, Analysis, Change, Decoder, Lattice, RestoreResult, apply_changes
from .vectors import Vectors

log = logging.getLogger("unspin")
log.addHandler(logging.NullHandler())

# Pooling evidence per word type is done within a segment; segments bound memory on huge inputs.
SEGMENT_CHARS = 100_000
# Restore decides in full only the types detect gives at least this probability of being spun: no type below it
# was changed in full decoding of held-out Wikipedia (147 changed types in 30 spun documents).
SUSPECT_P = 0.05
# Restore keeps what stage 1 read off the text (tokens, spans) for stage 2 up to this many characters of input; a
# segment beyond is read again (its lattice takes some 50 bytes per character).
KEEP_LATTICE_CHARS = 1_000_000
# The CLI's and batch's default ceiling on one document: at a few thousand words/s, 5 MB is minutes of work.
MAX_INPUT_MB = 5.0


def _segments(text: str, size: int = SEGMENT_CHARS) -> Iterator[tuple[int, str]]:
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            cut = text.rfind("\n", start + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + size // 2, end)
            end = cut + 1 if cut >= 0 else end
        yield start, text[start:end]
        start = end


class Engine:
    """Restores and detects spun text with a given (or the shipped) lexicon, language model and channels."""

    def __init__(
        self,
        lexicon: Lexicon | str | os.PathLike[str] | None = None,
        lm: NgramLM | str | os.PathLike[str] | None = None,
        channels: Sequence[ChannelTable | str | os.PathLike[str]] = (),
        exclude_sources: int = 0,
        params: Params | str | os.PathLike[str] | None = None,
        pool: bool = True,
        vectors: Vectors | str | os.PathLike[str] | None = None,
        names: Names | str | os.PathLike[str] | None = None,
    ) -> None:
        self.lexicon = lexicon if isinstance(lexicon, Lexicon) else (
            Lexicon(lexicon) if lexicon is not None else Lexicon.default())
        self.lm = lm if isinstance(lm, NgramLM) else (NgramLM(Path(lm)) if lm is not None else NgramLM.default())
        self.channels = [c if isinstance(c, ChannelTable) else ChannelTable.load(c) for c in channels]
        self.params = params if isinstance(params, Params) else Params.load(None if params is None else Path(params))
        self.vectors = vectors if isinstance(vectors, Vectors) else (
            Vectors(vectors) if vectors is not None else Vectors.default())
        self.names = names if isinstance(names, Names) else (
            Names(names) if names is not None else Names.default())
        self.decoder = Decoder(self.lexicon, self.lm, self.channels, self.params,
                               exclude_sources=int(exclude_sources), pool=pool, vectors=self.vectors,
                               names=self.names)
        # The restore gate: a table from `learn` raises clean documents' scores with its own entries.
        kinds = {c.kind for c in self.channels}
        self._phrase_list = "phrases" in kinds  # stage 2 then also reads the spans the list makes collocations of
        p = self.params
        if "aligned" in kinds and p.aligned_min_score is not None:
            self.min_score = p.aligned_min_score
        elif kinds & {"aligned", "phrases"} and p.tabled_min_score is not None:
            self.min_score = p.tabled_min_score
        elif "pairs" in kinds and p.adapted_min_score is not None:
            self.min_score = p.adapted_min_score
        else:
            self.min_score = p.restore_min_score

    def trim_memo(self, max_entries: int) -> bool:
        """Empty the lexicon's and decoder's memo tables if together they hold over `max_entries` entries."""
        if self.lexicon.memo_size() + self.decoder.memo_size() <= max_entries:
            return False
        self.lexicon.clear_memo()
        self.decoder.clear_memo()
        return True

    def analyse(self, text: str, *, detect_only: bool = False) -> Iterator[Analysis]:
        """The decoder's analysis of each segment of `text`, one at a time so memory stays bounded."""
        _check(text)
        for off, seg in _segments(text):
            yield self._analyse_segment(seg, off, detect_only)

    def _analyse_segment(self, seg: str, off: int, detect_only: bool, only: set[str] | None = None,
                         lattice: Lattice | None = None) -> Analysis:
        limit = self.params.detect_max_candidates if detect_only else self.params.max_candidates
        passes = 1 if detect_only else 3  # later passes re-decide only types next to a change
        return self.decoder.analyse(seg, off, limit=limit, passes=passes, only=only, lattice=lattice)

    def restore(self, text: str) -> RestoreResult:
        # Stage 1 is detect's own analysis: the spin score is detect's, and the gate reads the score it was
        # fitted on. Stage 2 decides, with every candidate and pass, only the types stage 1 found suspicious.
        views = []
        suspects: list[tuple[int, str, set[str], Lattice | None]] = []
        for an in self.analyse(text, detect_only=True):
            views.append(token_view(an, self.lm))
            keys = {d.key for d in an.types if d.p_spun >= SUSPECT_P}
            if self._phrase_list and an.lattice is not None:  # collocation readings, which stage 1 does not decide
                keys.update(k for k in an.lattice.groups if self.decoder.collocations(k))
            # Stage 2 reads the same text: it reuses stage 1's tokens and spans (within a bound on memory).
            keep = keys and an.offset + len(an.text) <= KEEP_LATTICE_CHARS
            suspects.append((an.offset, an.text, keys, an.lattice if keep else None))
        score = spin_probability(features_of_views(views), self.params.detect_w)
        changes: list[Change] = []
        if score >= self.min_score:
            for off, seg, keys, lattice in suspects:
                if keys:
                    changes.extend(self.decoder.changes(self._analyse_segment(seg, off, False, keys, lattice)))
        return RestoreResult(apply_changes(text, changes), score, changes)

    def detect(self, text: str) -> DetectResult:
        found: list[Span] = []
        views = []
        for an in self.analyse(text, detect_only=True):
            seen = spans([an])
            found.extend(seen)
            found.extend(self._name_spans(an, seen))
            views.append(token_view(an, self.lm))
        found.sort(key=lambda s: s.start)
        score = spin_probability(features_of_views(views), self.params.detect_w)
        return DetectResult(score, "spun" if score >= 0.5 else "clean", found)

    def _name_spans(self, an: Analysis, seen: list[Span]) -> list[Span]:
        """The names restore would rewrite (`Decoder.renamed`) that detect's own spans do not already cover."""
        out = []
        for i, j, d, best, n in self.decoder.renamed(an):
            s, e = an.tokens[i].start, an.tokens[j - 1].end
            if any(x.start < e + an.offset and s + an.offset < x.end for x in seen):
                continue
            why = (f"a name the reference text never has; read with '{d.options[best].original}' it is one it has "
                   f"{n} times")
            out.append(Span(s + an.offset, e + an.offset, an.text[s:e], NAME_CONFIDENCE, why))
        return out


def _check(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if "\x00" in text:
        raise UnspinError(E.NUL)


@functools.cache
def default_engine() -> Engine:
    """The shared engine behind the module-level functions, built on first use."""
    return Engine()


def check_size(text: str, max_mb: float) -> None:
    size = len(text.encode("utf-8", "surrogatepass")) / 1e6 if len(text) * 4 > max_mb * 1e6 else 0.0
    if size > max_mb:
        raise UnspinError(E.TOO_LARGE.format(size=size, limit=max_mb))


def load_text(path: str) -> str:
    """Read a FILE argument (or `-` for standard input) as UTF-8, with coded errors for bad input."""
    import sys

    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise UnspinError(E.NOT_FOUND.format(path=path, detail=exc.strerror or exc)) from None
    if b"\x00" in raw:
        raise UnspinError(E.NUL)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnspinError(E.NOT_UTF8.format(detail=f"byte {exc.start}")) from None
    if not text.strip():
        raise UnspinError(E.EMPTY)
    return text


def run_on_clean(engine: Engine, task: str, text: str, html: bool = False) -> dict:
    """Clean `text` first, then restore or detect the main text; offsets are mapped back to `text`."""
    from .clean import clean

    cleaned = clean(text, html=True if html else None)
    if not cleaned.text.strip():
        raise UnspinError("E011: nothing is left after removing boilerplate")
    if task == "restore":
        res = engine.restore(cleaned.text)
        out = res.to_dict()
        for c in out["changes"]:
            c["start"], c["end"] = cleaned.to_input_span(c["start"], c["end"])
        return out
    det = engine.detect(cleaned.text).to_dict()
    for s in det["spans"]:
        s["start"], s["end"] = cleaned.to_input_span(s["start"], s["end"])
        s["text"] = text[s["start"] : s["end"]]
    return det
