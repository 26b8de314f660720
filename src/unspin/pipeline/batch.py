"""Run one task over a JSON Lines corpus, in input order, on several processes; bad rows carry their reason."""

from __future__ import annotations

import gzip
import io
import json
import logging
import multiprocessing as mp
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ..errors import E, UnspinError

log = logging.getLogger("unspin")

TASKS = ("restore", "detect", "clean")


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


@dataclass
class BatchStats:
    """Counts for the end-of-run summary."""

    rows: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    spun: int = 0
    words: int = 0
    seconds: float = 0.0


def open_text(path: str, mode: str = "r") -> IO[str]:
    if path == "-":
        import sys

        return sys.stdin if "r" in mode else sys.stdout
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding="utf-8")  # type: ignore[type-var]  # GzipFile is a binary buffer
    return open(path, mode, encoding="utf-8")


def read_rows(path: str) -> Iterator[str]:
    try:
        f = open_text(path)
    except OSError as exc:
        raise UnspinError(E.NOT_FOUND.format(path=path, detail=exc.strerror or exc)) from None
    n = 0
    try:
        with f:
            for line in f:
                n += 1
                if line.strip():
                    yield line
    except (EOFError, OSError, UnicodeDecodeError) as exc:
        raise UnspinError(E.NOT_FOUND.format(path=path, detail=f"{exc} after line {n}")) from None


# Each worker process holds one engine, built once by the pool initialiser.
_worker: dict[str, Any] = {}


def _init(cfg: BatchConfig) -> None:
    _worker["cfg"] = cfg
    if cfg.task != "clean":
        from ..engine import Engine

        _worker["engine"] = Engine(channels=list(cfg.channels), lm=cfg.lm)


def process_line(line: str) -> tuple[str, str | None, bool, int]:
    """Return the output JSON line, the error reason (or None), whether it was judged spun, and its words."""
    cfg: BatchConfig = _worker["cfg"]
    try:
        row = json.loads(line)
    except ValueError as exc:
        row = {"unspin": None, "unspin_error": f"invalid JSON: {exc}", "line": line[:200]}
        return json.dumps(row), "invalid-json", False, 0
    if not isinstance(row, dict):
        row = {"value": row}
        return _fail(row, "row is not a JSON object", "not-an-object")
    text = row.get(cfg.text_field)
    if text is None:
        return _fail(row, f"missing field {cfg.text_field!r}", "missing-text")
    if not isinstance(text, str):
        return _fail(row, f"field {cfg.text_field!r} is {type(text).__name__}, not a string", "not-a-string")
    if not text.strip():
        return _fail(row, "text is empty", "empty-text")
    try:
        out, spun = run_task(text, cfg, _worker.get("engine"))
    except UnspinError as exc:
        return _fail(row, str(exc), "bad-input")
    except Exception as exc:  # one bad row must never end a corpus run; its reason is kept in the row
        log.exception("row failed")
        return _fail(row, f"internal error: {type(exc).__name__}: {exc}", "internal-error")
    row["unspin"] = out
    return json.dumps(row, ensure_ascii=False), None, spun, len(text.split())


def run_task(text: str, cfg: BatchConfig, engine: Any) -> tuple[dict[str, Any], bool]:
    from ..engine import check_size

    check_size(text, cfg.max_mb)
    if cfg.task == "clean":
        from ..clean import clean

        return clean(text, html=cfg.html or None).to_dict(), False
    if cfg.clean_first:
        from ..engine import run_on_clean

        out = run_on_clean(engine, cfg.task, text, html=cfg.html)
    else:
        res = engine.restore(text) if cfg.task == "restore" else engine.detect(text)
        out = res.to_dict()
    return out, out["spin_score"] >= 0.5


def _fail(row: dict[str, Any], reason: str, code: str) -> tuple[str, str, bool, int]:
    row["unspin"] = None
    row["unspin_error"] = reason
    return json.dumps(row, ensure_ascii=False), code, False, 0


def run_batch(inp: str, out: str, cfg: BatchConfig) -> BatchStats:
    if cfg.task not in TASKS:
        raise UnspinError(f"E010: unknown task {cfg.task!r}; choose one of {', '.join(TASKS)}")
    stats = BatchStats()
    t0 = time.perf_counter()
    rows = read_rows(inp)
    try:
        sink = open_text(out, "w")
    except OSError as exc:
        raise UnspinError(E.NOT_FOUND.format(path=out, detail=exc.strerror or exc)) from None
    workers = max(1, cfg.workers or os.cpu_count() or 1)
    with sink:
        if workers == 1:
            _init(cfg)
            results: Iterator[tuple[str, str | None, bool, int]] = map(process_line, rows)
            _drain(results, sink, stats)
        else:
            ctx = mp.get_context("fork" if os.name == "posix" else "spawn")
            with ctx.Pool(workers, initializer=_init, initargs=(cfg,)) as pool:
                # imap keeps input order; a bounded chunksize keeps memory flat on long inputs.
                _drain(pool.imap(process_line, rows, chunksize=4), sink, stats)
    stats.seconds = time.perf_counter() - t0
    return stats


def _drain(results: Iterator[tuple[str, str | None, bool, int]], sink: IO[str], stats: BatchStats) -> None:
    for line, err, spun, words in results:
        sink.write(line + "\n")
        stats.rows += 1
        stats.words += words
        stats.spun += spun
        if err:
            stats.errors[err] += 1
