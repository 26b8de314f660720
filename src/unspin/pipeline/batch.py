"""Run one task over a corpus, in input order, on several processes; bad rows carry their reason."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from ..errors import E, UnspinError
from ..learn import group_key, read_channel_dir
from .readers import Record
from .writers import to_json

log = logging.getLogger("unspin")

TASKS = ("restore", "detect", "clean")
# Engines kept per worker for `--group-by`; each shares the base engine's lexicon and LM, so one costs
# little more than its channel table, and the least recently used is dropped beyond this.
MAX_GROUP_ENGINES = 16
# A worker whose resident memory passes this drops its engines after the chunk: the engine's memo tables
# grow with the vocabulary a long run meets, and fresh engines reuse the freed memory (see BENCHMARKS.md).
WORKER_MB = 512


@dataclass
class BatchConfig:
    """What to run on each row and how."""

    task: str
    text_field: str = "text"
    workers: int = 1
    clean_first: bool = False
    html: bool = False
    channels: tuple[str, ...] = ()
    lm: str | None = None
    max_mb: float = 5.0
    drop_spun: float | None = None  # write only rows scored below this
    repair: bool = False  # restored text replaces the text field; the input text moves to keep_field
    keep_field: str = "original_text"
    tag: bool = False  # add only score, verdict and spans
    channel_dir: str | None = None
    group_by: str | None = None
    pool: bool = False  # estimate each group's table from the input first (pool.py)
    shard_rows: int = 1000
    engine: str = "local"  # or "ray"
    ray_address: str | None = None
    worker_mb: float = WORKER_MB
    out_format: str = "jsonl"  # set by the executor from OUT's name

    def check(self) -> None:
        if self.task not in TASKS:
            raise UnspinError(f"E010: unknown task {self.task!r}; choose one of {', '.join(TASKS)}")
        if self.task == "clean" and (self.drop_spun is not None or self.repair or self.tag):
            detail = "--drop-spun, --repair and --tag need --task restore or detect"
            raise UnspinError(E.BAD_OPTION.format(detail=detail))
        if self.repair and self.task != "restore":
            raise UnspinError(E.BAD_OPTION.format(detail="--repair needs --task restore"))
        if self.repair and self.tag:
            raise UnspinError(E.BAD_OPTION.format(detail="choose one of --repair and --tag"))
        if self.drop_spun is not None and not 0.0 <= self.drop_spun <= 1.0:
            raise UnspinError(E.BAD_OPTION.format(detail="--drop-spun takes a probability between 0 and 1"))
        if self.pool and self.task == "clean":
            raise UnspinError(E.BAD_OPTION.format(detail="--pool needs --task restore or detect"))
        if self.pool and self.channel_dir:
            raise UnspinError(E.BAD_OPTION.format(detail="--pool builds the group tables itself: drop --channel-dir"))
        if bool(self.channel_dir) != bool(self.group_by) and not self.pool:
            raise UnspinError(E.BAD_OPTION.format(detail="--channel-dir and --group-by go together"))
        if self.task == "clean" and self.channel_dir:
            raise UnspinError(E.BAD_OPTION.format(detail="--channel-dir needs --task restore or detect"))
        if self.shard_rows < 1:
            raise UnspinError(E.BAD_OPTION.format(detail="--shard-rows must be at least 1"))

    def fingerprint(self) -> dict[str, Any]:
        """The options that decide the output's bytes (a resumed run must use the same)."""
        d = asdict(self)
        for k in ("workers", "engine", "ray_address", "worker_mb"):
            d.pop(k)
        return d


@dataclass
class BatchStats:
    """Counts for the end-of-run summary."""

    rows: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    spun: int = 0
    clean: int = 0
    dropped: int = 0
    words: int = 0
    seconds: float = 0.0
    skipped: Counter[str] = field(default_factory=Counter)  # input records that are not documents (WARC)
    file_errors: list[str] = field(default_factory=list)
    resumed: int = 0  # rows whose shards a previous run had completed
    processed_words: int = 0  # words processed by this run (words/s)

    def add(self, o: Outcome) -> None:
        self.rows += 1
        self.words += o.words
        self.processed_words += o.words
        if o.error:
            self.errors[o.error] += 1
        elif o.verdict == "spun":
            self.spun += 1
        elif o.verdict == "clean":
            self.clean += 1
        if o.item is None:
            self.dropped += 1

    def merge(self, d: dict[str, Any]) -> None:
        """Add the counts a shard's completion marker recorded."""
        self.rows += d["rows"]
        self.resumed += d["rows"]
        self.words += d["words"]
        self.spun += d["spun"]
        self.clean += d["clean"]
        self.dropped += d["dropped"]
        self.errors.update(d["errors"])

    def words_per_second(self) -> float:
        return self.processed_words / self.seconds if self.seconds > 0 else 0.0


class Outcome(NamedTuple):
    """One row's result: the output item (None when dropped), error code, verdict and word count."""

    item: str | dict[str, Any] | None
    error: str | None
    verdict: str | None
    words: int


class Worker:
    """Holds the engines of one process and turns records into outcomes."""

    def __init__(self, cfg: BatchConfig) -> None:
        self.cfg = cfg
        self._base: Any = None
        self._groups: dict[str, Any] = {}
        self._engines: OrderedDict[str, Any] = OrderedDict()
        if cfg.channel_dir:
            self._groups = read_channel_dir(cfg.channel_dir)

    def engine(self, row: dict[str, Any]) -> Any:
        if self.cfg.task == "clean":
            return None
        if self._base is None:
            from ..engine import Engine

            self._base = Engine(channels=list(self.cfg.channels), lm=self.cfg.lm)
        if not self.cfg.group_by:
            return self._base
        key = group_key(row.get(self.cfg.group_by))
        if key is None or key not in self._groups:
            return self._base  # rows of unknown groups use no group table
        eng = self._engines.get(key)
        if eng is None:
            from ..engine import Engine
            from ..learn import ChannelTable

            b = self._base
            eng = Engine(lexicon=b.lexicon, lm=b.lm, params=b.params,
                         channels=[ChannelTable.load(self._groups[key]), *b.channels])
            self._engines[key] = eng
            if len(self._engines) > MAX_GROUP_ENGINES:
                self._engines.popitem(last=False)
        else:
            self._engines.move_to_end(key)
        return eng

    def chunk(self, recs: list[Record]) -> list[Outcome]:
        out = [self.record(r) for r in recs]
        if self._base is not None and _rss_mb() > self.cfg.worker_mb:
            self.recycle()
        return out

    def recycle(self) -> None:
        """Drop the engines and their memo tables; the next row builds fresh ones (same results)."""
        import gc

        self._base = None
        self._engines.clear()
        gc.collect()
        _malloc_trim()
        log.debug("worker memory over %g MB: engines rebuilt", self.cfg.worker_mb)

    def record(self, rec: Record) -> Outcome:
        cfg = self.cfg
        if isinstance(rec.payload, str):
            try:
                row = json.loads(rec.payload)
            except ValueError as exc:
                bad = {"unspin": None, "unspin_error": f"invalid JSON: {exc}", "line": rec.payload[:200]}
                return Outcome(self._item(bad), "invalid-json", None, 0)
        else:
            row = rec.payload
        if not isinstance(row, dict):
            return self._fail({"value": row}, "row is not a JSON object", "not-an-object")
        text = row.get(cfg.text_field)
        if text is None:
            return self._fail(row, f"missing field {cfg.text_field!r}", "missing-text")
        if not isinstance(text, str):
            return self._fail(row, f"field {cfg.text_field!r} is {type(text).__name__}, not a string", "not-a-string")
        if not text.strip():
            return self._fail(row, "text is empty", "empty-text")
        try:
            from ..engine import check_size

            check_size(text, cfg.max_mb)
            out = run_task(text, cfg, self.engine(row), html=rec.html)
        except UnspinError as exc:
            code = "too-large" if str(exc).startswith("E012") else "bad-input"
            return self._fail(row, str(exc), code)
        except Exception as exc:  # one bad row must never end a corpus run; its reason is kept in the row
            log.exception("row failed")
            return self._fail(row, f"internal error: {type(exc).__name__}: {exc}", "internal-error")
        words = len(text.split())
        if cfg.task == "clean":
            row["unspin"] = out
            return Outcome(self._item(row), None, None, words)
        score = out["spin_score"]
        verdict = "spun" if score >= 0.5 else "clean"
        if cfg.drop_spun is not None and score >= cfg.drop_spun:
            return Outcome(None, None, verdict, words)
        if cfg.repair:
            row[cfg.keep_field] = text
            row[cfg.text_field] = out["text"]
            out = {k: v for k, v in out.items() if k != "text"}
        elif cfg.tag:
            out = _tag(out)
        row["unspin"] = out
        return Outcome(self._item(row), None, verdict, words)

    def _item(self, row: dict[str, Any]) -> str | dict[str, Any]:
        if self.cfg.out_format == "parquet":
            # Parquet output holds the result as JSON text, so every shard has the same column type.
            if row.get("unspin") is not None:
                row["unspin"] = json.dumps(row["unspin"], ensure_ascii=False)
            return row
        return to_json(row)

    def _fail(self, row: dict[str, Any], reason: str, code: str) -> Outcome:
        row["unspin"] = None
        row["unspin_error"] = reason
        return Outcome(self._item(row), code, None, 0)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):  # not Linux: no recycling
        return 0.0


def _malloc_trim() -> None:
    """Give freed heap pages back to the system (glibc), so the worker's resident size really drops."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _tag(out: dict[str, Any]) -> dict[str, Any]:
    """Score, verdict and spans only; a restore's changes become spans that also name the original."""
    score = out["spin_score"]
    spans = out.get("spans")
    if spans is None:
        spans = [{"start": c["start"], "end": c["end"], "text": c["spun"], "score": c["confidence"],
                  "original": c["original"]} for c in out["changes"]]
    return {"spin_score": score, "verdict": "spun" if score >= 0.5 else "clean", "spans": spans}


def cleans_first(cfg: BatchConfig, html: bool) -> bool:
    """Does restore/detect run on the cleaned main text of a row (with --clean, or for a page from a WARC)?"""
    return cfg.clean_first or html


def run_task(text: str, cfg: BatchConfig, engine: Any, html: bool = False) -> dict[str, Any]:
    """What `unspin TASK --format json` prints for `text`; `html` marks a page from a WARC (always cleaned)."""
    if cfg.task == "clean":
        from ..clean import clean

        return clean(text, html=True if (html or cfg.html) else None).to_dict()
    if cleans_first(cfg, html):
        from ..engine import run_on_clean

        return run_on_clean(engine, cfg.task, text, html=html or cfg.html)
    res = engine.restore(text) if cfg.task == "restore" else engine.detect(text)
    return res.to_dict()


def run_batch(inp: str, out: str, cfg: BatchConfig, progress: Any = None) -> BatchStats:
    """Run `cfg` over IN into OUT; a rerun after a kill resumes from OUT.parts/ (see executor)."""
    from .executor import run

    return run(inp, out, cfg, progress=progress)
