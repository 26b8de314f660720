"""Engine calls off the event loop: worker processes that each hold one engine, or one in-process thread."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import ctypes
import gc
import importlib
import json
import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import E, UnspinError

log = logging.getLogger("unspin")

TASKS = ("clean", "detect", "restore", "trace")
# A short spun text run once at start-up, so that the first user request does not pay for paging in the models.
WARMUP = "The inventory market fell after the White Home spoke about the brand-new regulation."
START_TIMEOUT = 300.0
# Memo entries a worker keeps between requests: at 100,000 its memory swung by up to 14 % as the tables filled and
# were emptied, at 50,000 by about 6 %, at about the same speed.
MEMO_ENTRIES = 50_000
GC_YOUNG = 20_000  # a worker's young-generation collection threshold (the default is 700)


class Problem(Exception):
    """A request that ends in an HTTP error: status, one-line coded message, extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    @property
    def code(self) -> str:
        head = self.message.split(":", 1)[0]
        return head if head[:1] == "E" and head[1:].isdigit() else "E000"


def bad_input(exc: UnspinError) -> Problem:
    msg = str(exc)
    return Problem({"E012": 413, "E025": 404, "E027": 501}.get(msg[:4], 400), msg)


@dataclass(frozen=True)
class EngineSpec:
    """What a worker needs to build its own engine and open the source index (paths or picklable objects)."""

    lexicon: str | None = None
    lm: str | None = None
    channels: tuple[Any, ...] = ()
    params: Any = None
    exclude_sources: int = 0
    index: tuple[str, ...] = ()
    # Memo-table entries an engine keeps between requests before emptying them: they save about half the work
    # on words seen before, and bound a long-running worker's memory (about 0.85 kB each).
    memo_entries: int = MEMO_ENTRIES

    @classmethod
    def of(cls, engine: Any, index: Any = None, memo_entries: int = MEMO_ENTRIES) -> EngineSpec:
        """The recipe of an existing `Engine`: its files' paths, and its channel tables and parameters as objects."""
        return cls(lexicon=str(engine.lexicon.path), lm=str(engine.lm.path), channels=tuple(engine.channels),
                   params=engine.params, exclude_sources=int(engine.decoder.exclude), index=index_paths(index),
                   memo_entries=memo_entries)

    def build(self) -> tuple[Any, Any]:
        from ..engine import Engine

        engine = Engine(lexicon=self.lexicon, lm=self.lm, channels=list(self.channels), params=self.params,
                        exclude_sources=self.exclude_sources)
        return engine, open_index(self.index) if self.index else None


def index_paths(index: Any) -> tuple[str, ...]:
    if index is None:
        return ()
    if isinstance(index, str | os.PathLike):
        return (os.fspath(index),)
    if isinstance(index, Sequence) and all(isinstance(p, str | os.PathLike) for p in index):
        return tuple(os.fspath(p) for p in index)
    raise TypeError("worker processes open the index themselves: pass its path (or paths), not an open index")


def _trace_module() -> Any:
    try:
        return importlib.import_module("unspin.trace")
    except ModuleNotFoundError as exc:
        raise UnspinError(E.NO_TRACE.format(detail=f"no module {exc.name}")) from None


def open_index(paths: Sequence[str]) -> Any:
    """Open a source index with `unspin.trace.Index.open` (one path or several)."""
    index_cls = getattr(_trace_module(), "Index", None)
    if index_cls is None:
        raise UnspinError(E.NO_TRACE.format(detail="unspin.trace has no Index"))
    return index_cls.open(paths[0] if len(paths) == 1 else list(paths))


def _trace_fn() -> Any:
    fn = getattr(_trace_module(), "trace", None)  # unspin.trace.trace, which `unspin.trace(...)` calls
    if not callable(fn):
        raise UnspinError(E.NO_TRACE.format(detail="unspin.trace has no trace()"))
    return fn


def execute(engine: Any, index: Any, task: str, req: dict[str, Any]) -> bytes:
    """Run one task on one request and return the CLI contract's JSON as UTF-8 bytes."""
    text: str = req["text"]
    html = bool(req.get("html"))
    if task == "clean":
        from ..clean import clean

        out = clean(text, html=True if html else None).to_dict()
    elif task in ("restore", "detect"):
        if html or req.get("clean"):
            from ..engine import run_on_clean

            out = run_on_clean(engine, task, text, html=html)
        else:
            out = (engine.restore(text) if task == "restore" else engine.detect(text)).to_dict()
    elif task == "trace":
        if index is None:
            raise UnspinError(E.NO_TRACE_INDEX)
        if html or req.get("clean"):
            from ..clean import clean

            text = clean(text, html=True if html else None).text
        out = _trace_fn()(text, index, top=int(req.get("top", 10))).to_dict()
    else:
        raise UnspinError(f"E010: unknown task {task!r}")
    return json.dumps(out, ensure_ascii=False).encode("utf-8")


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system, so that a worker's memory stays level."""
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): freed memory is still reused, only not returned
            pass


def _worker_main(conn: Any, spec: EngineSpec) -> None:
    # Ctrl+C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        engine, index = spec.build()
        engine.restore(WARMUP)
        # What the warm-up loaded (the lexicon's, lemminflect's and wordfreq's tables: some 580,000 references)
        # lives as long as the worker: kept out of the collector's full passes, which would walk it all (some 30 ms)
        # every few requests.
        gc.freeze()
        # A restore allocates some hundred thousand objects, nearly all freed by reference counting: the
        # collector's young passes at the default 700 allocations find little and cost about 2 % of the time.
        gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    except BaseException as exc:  # report any start-up failure to the parent, which raises it
        conn.send(("fail", str(exc) if isinstance(exc, UnspinError) else f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if msg is None:
            return
        task, req = msg
        try:
            reply: tuple[str, Any] = ("ok", execute(engine, index, task, req))
        except UnspinError as exc:
            reply = ("bad", str(exc))
        except Exception as exc:  # one bad request must not end the worker; the parent answers 500 with the reason
            log.exception("request failed")
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply)
        if engine.trim_memo(spec.memo_entries):
            release_memory()


def _reply(msg: tuple[str, Any]) -> bytes:
    kind, value = msg
    if kind == "ok":
        return bytes(value)
    if kind == "bad":
        raise bad_input(UnspinError(value))
    raise Problem(500, f"E000: internal error: {value}")


class _Worker:
    def __init__(self, proc: Any, conn: Any) -> None:
        self.proc = proc
        self.conn = conn
        self.pid: int = proc.pid


class ProcessRunner:
    """`n` worker processes, each with its own engine; a request that overruns its time has its worker killed."""

    mode = "process"

    def __init__(self, spec: EngineSpec, workers: int) -> None:
        self.spec = spec
        self.n = max(1, workers)
        self.ctx = mp.get_context("spawn")  # no inherited sockets or locks; the models are memory-mapped anyway
        self.workers: list[_Worker] = []
        self._idle: collections.deque[_Worker] = collections.deque()
        self._waiters: collections.deque[asyncio.Future[_Worker]] = collections.deque()
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        fresh = [self._spawn() for _ in range(self.n)]
        try:
            for w in fresh:
                self._await_ready(w)
        except BaseException:
            for w in fresh:
                self._kill(w)
            raise
        self.workers = fresh
        self._idle.extend(fresh)

    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, self.spec), daemon=True, name="unspin-worker")
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def _await_ready(self, w: _Worker) -> None:
        try:
            if not w.conn.poll(START_TIMEOUT):
                raise UnspinError(E.WORKER_DIED.format(detail=f"not ready after {START_TIMEOUT:g} s"))
            kind, value = w.conn.recv()
        except (EOFError, OSError):
            w.proc.join(5)
            raise UnspinError(E.WORKER_DIED.format(detail=f"exit code {w.proc.exitcode} at start-up")) from None
        if kind != "ready":
            raise UnspinError(value)

    def _kill(self, w: _Worker) -> None:
        if w.proc.is_alive():
            os.kill(w.pid, signal.SIGKILL)
        w.proc.join(5)
        w.conn.close()

    def alive(self) -> list[int]:
        return [w.pid for w in self.workers if w.proc.is_alive()]

    def starting(self) -> int:
        return sum(1 for t in self._tasks if not t.done())

    def backlog(self) -> int:
        return len(self._waiters)

    async def _acquire(self, timeout: float) -> _Worker:
        while self._idle:
            w = self._idle.popleft()
            if w.proc.is_alive():
                return w
            self._replace(w)  # died while idle (killed from outside, out of memory): start another
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[_Worker] = loop.create_future()
        self._waiters.append(fut)
        await asyncio.wait({fut}, timeout=max(0.0, timeout))
        if not fut.done():
            fut.cancel()
            raise Problem(504, E.TIMEOUT.format(limit=timeout))
        w = fut.result()
        if not w.proc.is_alive():
            self._replace(w)
            return await self._acquire(timeout)
        return w

    def _release(self, w: _Worker) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(w)
                return
        self._idle.append(w)

    def _replace(self, w: _Worker) -> None:
        """Kill `w` and start a replacement in the background; it joins the pool once its models are loaded."""
        self._kill(w)
        if w in self.workers:
            self.workers.remove(w)
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self) -> None:
        loop = asyncio.get_running_loop()
        for attempt in range(3):
            w = self._spawn()
            self.workers.append(w)
            try:
                await loop.run_in_executor(None, self._await_ready, w)
            except UnspinError as exc:
                log.error("worker %d did not start (%s)", w.pid, exc)
                self.workers.remove(w)
                self._kill(w)
                await asyncio.sleep(2.0 * (attempt + 1))
                continue
            if self._closed:
                self._kill(w)
                return
            log.info("worker %d started", w.pid)
            self._release(w)
            return

    async def run(self, task: str, req: dict[str, Any], timeout: float) -> bytes:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        w = await self._acquire(timeout)
        fd = w.conn.fileno()
        # uvloop's add_reader leaves the pipe non-blocking; a whole message is sent and received blocking
        # (the other side is ready and waiting, so that takes no longer than copying it).
        os.set_blocking(fd, True)
        try:
            w.conn.send((task, req))
        except OSError:
            self._replace(w)
            raise Problem(500, E.WORKER_DIED.format(detail="pipe closed")) from None
        ready: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, readable)
        try:
            await asyncio.wait({ready}, timeout=max(0.0, deadline - loop.time()))
        except asyncio.CancelledError:  # the caller went away mid-task: the worker's reply would be stale
            loop.remove_reader(fd)
            self._replace(w)
            raise
        loop.remove_reader(fd)
        os.set_blocking(fd, True)
        if not ready.done():
            log.warning("worker %d killed: request over the %g s limit", w.pid, timeout)
            self._replace(w)
            raise Problem(504, E.TIMEOUT.format(limit=timeout))
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            w.proc.join(1)
            code = w.proc.exitcode
            self._replace(w)
            raise Problem(500, E.WORKER_DIED.format(detail=f"exit code {code}")) from None
        self._release(w)
        return _reply(msg)

    def close(self) -> None:
        self._closed = True
        for w in self.workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        end = time.monotonic() + 3
        for w in self.workers:
            w.proc.join(max(0.0, end - time.monotonic()))
            self._kill(w)
        self.workers = []
        self._idle.clear()


class ThreadRunner:
    """One in-process thread runs every engine call in turn, so the event loop stays free to answer."""

    mode = "thread"

    def __init__(self, engine: Any, index: Any, memo_entries: int = MEMO_ENTRIES) -> None:
        self.engine = engine
        self.index = index
        self.memo_entries = memo_entries
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="unspin-engine")
        self._orphans = 0

    def start(self) -> None:
        self.engine.restore(WARMUP)

    def alive(self) -> list[int]:
        return [os.getpid()]

    def backlog(self) -> int:
        # Calls that overran their time limit keep the thread busy until they end: count them against the limit.
        return self._orphans

    async def run(self, task: str, req: dict[str, Any], timeout: float) -> bytes:
        cf = self.pool.submit(self._call, task, req)
        try:
            await asyncio.wait({asyncio.wrap_future(cf)}, timeout=max(0.0, timeout))
        finally:
            if not cf.done() and not cf.cancel():
                self._orphans += 1
                loop = asyncio.get_running_loop()
                cf.add_done_callback(lambda _f: loop.call_soon_threadsafe(self._orphan_done))
        if cf.cancelled() or not cf.done():
            raise Problem(504, E.TIMEOUT.format(limit=timeout))
        return _reply(cf.result())

    def _orphan_done(self) -> None:
        self._orphans -= 1

    def _call(self, task: str, req: dict[str, Any]) -> tuple[str, Any]:
        try:
            return "ok", execute(self.engine, self.index, task, req)
        except UnspinError as exc:
            return "bad", str(exc)
        except Exception as exc:  # answered as 500 with the reason; the service goes on
            log.exception("request failed")
            return "error", f"{type(exc).__name__}: {exc}"
        finally:
            if self.engine.trim_memo(self.memo_entries):
                release_memory()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def describe(spec: EngineSpec) -> dict[str, Any]:
    return {
        "lexicon": Path(spec.lexicon).name if spec.lexicon else "shipped",
        "lm": Path(spec.lm).name if spec.lm else "shipped",
        "channels": [getattr(c, "name", None) or Path(os.fspath(c)).name for c in spec.channels],
        "index": bool(spec.index),
    }
