"""The executor: records stream in chunks to workers and back in order into shards with completion markers."""

# OUT is built in OUT.parts/: shard k holds input records [k*shard_rows, (k+1)*shard_rows) and is written
# to a temporary file, synced and renamed, then marked done. A rerun of the same command (checked against
# OUT.parts/manifest.json) skips done shards and redoes the rest, so after a kill -9 at any moment the
# final OUT, assembled atomically once every shard is done, is the same bytes as an uninterrupted run's.

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import E, UnspinError
from .batch import BatchConfig, BatchStats, Outcome, Worker
from .readers import FileError, Record, Source, fingerprint, input_files
from .writers import JsonlSink, ShardWriter, assemble, out_format

log = logging.getLogger("unspin")

# A chunk is the unit sent to a worker: small enough to keep every core busy and memory flat, large
# enough that inter-process overhead stays a few percent of the per-document work.
CHUNK_ROWS = 8
CHUNK_CHARS = 1 << 20
INFLIGHT_PER_WORKER = 4  # chunks queued per worker: the backpressure that bounds memory on any input size

Progress = Callable[[BatchStats, int, int], None]  # (stats so far, input bytes read, input bytes in all)
Chunks = Iterator[tuple[int, list[Record]]]
Results = Iterator[tuple[int, list[Outcome]]]


def run(inp: str, out: str, cfg: BatchConfig, progress: Progress | None = None) -> BatchStats:
    cfg.check()
    cfg.out_format = out_format(out)
    if out == "-" and cfg.out_format != "jsonl":
        raise UnspinError(E.BAD_OPTION.format(detail="standard output takes JSON Lines only"))
    _preflight(cfg)
    sources = [Source(f, cfg.text_field) for f in input_files(inp)]
    if cfg.pool:
        cfg = _pooled(inp, out, cfg, sources)
    stats = BatchStats()
    feed = _Feed(sources, cfg, stats)
    t0 = time.perf_counter()
    mapper = _mapper(cfg)
    if out == "-":
        with JsonlSink("-") as sink:
            for _, outcomes in mapper(feed.chunks(set()), cfg):
                for o in outcomes:
                    stats.add(o)
                    if o.item is not None:
                        sink.write(o.item + "\n")  # type: ignore[operator]  # JSON Lines items are str
                if progress:
                    progress(stats, feed.tell(), feed.total)
    else:
        parts = _Parts(out, cfg, sources)
        done = parts.done()
        for k in sorted(done):
            stats.merge(parts.marker(k))
        shard: _Shard | None = None
        try:
            for k, outcomes in mapper(feed.chunks(done), cfg):
                if shard is not None and shard.index != k:
                    parts.commit(shard)
                    shard = None
                if shard is None:
                    shard = _Shard(k, ShardWriter(parts.shard_path(k), cfg.out_format))
                for o in outcomes:
                    stats.add(o)
                    shard.stats.add(o)
                    if o.item is not None:
                        shard.writer.write(o.item)
                if progress:
                    progress(stats, feed.tell(), feed.total)
            if shard is not None:
                parts.commit(shard)
                shard = None
        finally:
            if shard is not None:
                shard.writer.abort()
        parts.finish(feed.shards)
    stats.seconds = time.perf_counter() - t0
    stats.skipped.update(feed.skipped)
    stats.file_errors.extend(feed.file_errors)
    return stats


def _preflight(cfg: BatchConfig) -> None:
    """Fail on unusable channel tables, language model or channel directory before any worker starts."""
    if cfg.task == "clean":
        return
    from ..engine import Engine

    Engine(channels=list(cfg.channels), lm=cfg.lm)
    if cfg.channel_dir:
        from ..learn import read_channel_dir

        read_channel_dir(cfg.channel_dir)


def _pooled(inp: str, out: str, cfg: BatchConfig, sources: list[Source]) -> BatchConfig:
    """The config with each group's pooled table (see pool.py); standard output keeps them in a temporary dir."""
    from . import pool

    if inp == "-":
        raise UnspinError(E.BAD_OPTION.format(detail="--pool reads IN twice: give a file, not standard input"))
    if out != "-":
        return pool.prepare(sources, cfg, pool.pool_dir(out))
    import atexit
    import tempfile

    tmp = tempfile.mkdtemp(prefix="unspin-pool-")
    atexit.register(shutil.rmtree, tmp, True)
    return pool.prepare(sources, cfg, tmp)


class _Feed:
    """Reads every source in turn, numbers the records and cuts them into chunks that never span shards."""

    def __init__(self, sources: list[Source], cfg: BatchConfig, stats: BatchStats) -> None:
        self.sources, self.cfg = sources, cfg
        self.total = sum(s.size() for s in sources)
        self.shards = 0
        self.skipped: Any = stats.skipped.__class__()
        self.file_errors: list[str] = []
        self._done_bytes = 0
        self._current: Source | None = None

    def tell(self) -> int:
        return self._done_bytes + (self._current.tell() if self._current else 0)

    def _records(self) -> Iterator[Record]:
        for src in self.sources:
            self._current = src
            try:
                yield from src.records()
            except FileError as exc:
                log.info("%s", exc)  # the summary reports it; -v shows it as it happens
                self.file_errors.append(str(exc))
            self.skipped.update(src.skipped)
            self._current = None
            self._done_bytes += src.size()

    def chunks(self, done: set[int]) -> Chunks:
        n = self.cfg.shard_rows
        chunk: list[Record] = []
        size = 0
        shard = 0
        i = -1
        for i, rec in enumerate(self._records()):
            k = i // n
            if chunk and (k != shard or len(chunk) >= CHUNK_ROWS or size >= CHUNK_CHARS):
                yield shard, chunk
                chunk, size = [], 0
            shard = k
            if k in done:
                continue
            chunk.append(rec)
            p = rec.payload
            size += len(p) if isinstance(p, str) else len(str(p.get(self.cfg.text_field, "")))
        if chunk:
            yield shard, chunk
        self.shards = (i + n) // n if i >= 0 else 0


class _Shard:
    def __init__(self, index: int, writer: ShardWriter) -> None:
        self.index, self.writer = index, writer
        self.stats = BatchStats()


class _Parts:
    """OUT.parts/: the manifest, shard files and their completion markers."""

    def __init__(self, out: str, cfg: BatchConfig, sources: list[Source]) -> None:
        self.out = out
        self.dir = out + ".parts"
        self.ext = ".parquet" if cfg.out_format == "parquet" else ".jsonl"
        self.manifest = {
            "unspin_batch": 1,
            "inputs": [fingerprint(s.path) for s in sources],
            "options": cfg.fingerprint(),
        }
        mpath = os.path.join(self.dir, "manifest.json")
        if os.path.isdir(self.dir):
            try:
                with open(mpath, encoding="utf-8") as f:
                    old = json.load(f)
            except (OSError, ValueError):
                old = None  # killed before the manifest was written, or while the parts were removed: start over
            if old is None:
                shutil.rmtree(self.dir)
            elif old != json.loads(json.dumps(self.manifest)):
                raise UnspinError(E.STALE_PARTS.format(parts=self.dir))
        if not os.path.isdir(self.dir):
            os.makedirs(self.dir)
            tmp = mpath + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.manifest, f, indent=1)
            from .writers import _fsync_replace

            _fsync_replace(tmp, mpath)

    def shard_path(self, k: int) -> str:
        return os.path.join(self.dir, f"shard-{k:06d}{self.ext}")

    def _marker_path(self, k: int) -> str:
        return os.path.join(self.dir, f"shard-{k:06d}.done")

    def done(self) -> set[int]:
        found = set()
        for name in os.listdir(self.dir):
            if name.startswith("shard-") and name.endswith(".done"):
                k = int(name[6:12])
                if os.path.exists(self.shard_path(k)):
                    found.add(k)
        return found

    def marker(self, k: int) -> dict[str, Any]:
        with open(self._marker_path(k), encoding="utf-8") as f:
            return dict(json.load(f))

    def commit(self, shard: _Shard) -> None:
        shard.writer.commit()
        s = shard.stats
        mark = {"rows": s.rows, "words": s.words, "spun": s.spun, "clean": s.clean, "dropped": s.dropped,
                "errors": dict(s.errors)}
        tmp = self._marker_path(shard.index) + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(mark, f)
        from .writers import _fsync_replace

        _fsync_replace(tmp, self._marker_path(shard.index))

    def finish(self, shards: int) -> None:
        done = self.done()
        missing = [k for k in range(shards) if k not in done]
        if missing:
            raise RuntimeError(f"shards {missing[:5]} of {self.dir} were not completed")
        fmt = "parquet" if self.ext == ".parquet" else "jsonl"
        assemble([self.shard_path(k) for k in range(shards)], self.out, fmt)
        shutil.rmtree(self.dir)


# --- mappers: chunks in, outcomes out, in the same order ------------------------------------------


def _mapper(cfg: BatchConfig) -> Callable[[Chunks, BatchConfig], Results]:
    if cfg.engine == "ray":
        from .ray import map_chunks

        return map_chunks
    return map_local


def map_local(chunks: Chunks, cfg: BatchConfig) -> Results:
    workers = max(1, cfg.workers or os.cpu_count() or 1)
    if workers == 1:
        w = Worker(cfg)
        for k, chunk in chunks:
            yield k, w.chunk(chunk)
        return
    ctx = mp.get_context("fork" if os.name == "posix" else "spawn")
    pending: deque[tuple[int, Any]] = deque()
    with ctx.Pool(workers, initializer=_init, initargs=(cfg,)) as pool:
        for k, chunk in chunks:
            pending.append((k, pool.apply_async(_work, (chunk,))))
            while len(pending) >= workers * INFLIGHT_PER_WORKER:
                k0, res = pending.popleft()
                yield k0, res.get()
        while pending:
            k0, res = pending.popleft()
            yield k0, res.get()


_worker: list[Worker] = []  # the one Worker of a pool process, built by _init


def _init(cfg: BatchConfig) -> None:
    _die_with_parent()
    _worker[:] = [Worker(cfg)]


def _work(chunk: list[Record]) -> list[Outcome]:
    return _worker[0].chunk(chunk)


def _die_with_parent() -> None:
    """On Linux, a pool worker is killed when the batch process dies, even by kill -9."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not glibc-like: orphans then exit when their next task never comes
        pass
