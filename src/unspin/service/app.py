"""The FastAPI application: the CLI contract's JSON over HTTP, the web page, and the limits that keep it up."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..errors import E, UnspinError

try:
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, JSONResponse, Response
    from fastapi.staticfiles import StaticFiles
    from pydantic import BaseModel, Field
except ImportError as exc:  # the service is an optional extra
    raise ImportError(E.MISSING_EXTRA.format(feature="unspin serve", extra="serve")) from exc

from .pool import MEMO_ENTRIES, TASKS, EngineSpec, Problem, ProcessRunner, ThreadRunner, bad_input, describe

log = logging.getLogger("unspin")
access_log = logging.getLogger("unspin.access")

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

STATIC = "static"
# The page's own policy: scripts, styles and requests only from this origin, nothing inline, no framing.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


# --- response schemas (documentation of the contract; bodies are the result objects' to_dict()) -------------


class ChangeOut(BaseModel):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    spun: str
    original: str
    confidence: float = Field(ge=0, le=1)
    alternatives: list[str]


class RestoreOut(BaseModel):
    text: str
    spin_score: float = Field(ge=0, le=1)
    changes: list[ChangeOut]


class SpanOut(BaseModel):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    score: float = Field(ge=0, le=1)


class DetectOut(BaseModel):
    spin_score: float = Field(ge=0, le=1)
    verdict: Literal["spun", "clean"]
    spans: list[SpanOut]


class RemovedOut(BaseModel):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    reason: str


class CleanOut(BaseModel):
    text: str
    removed: list[RemovedOut]


class MatchOut(BaseModel):
    id: str
    score: float
    aligned: float


class TraceOut(BaseModel):
    matches: list[MatchOut]


class ErrorOut(BaseModel):
    error: str = Field(description="one-line reason, starting with its code")
    code: str = Field(description="the error code, e.g. E001")


class HealthOut(BaseModel):
    status: Literal["ok"]
    workers: int


class VersionOut(BaseModel):
    unspin: str
    api: str
    mode: Literal["process", "thread"]
    workers: int
    lexicon: str
    lm: str
    channels: list[str]
    index: bool
    limits: dict[str, float | int]


# What the engine accepts: some non-blank character and no NUL (E001 and E003 otherwise).
TEXT_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
TEXT_IN = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "pattern": TEXT_PATTERN,
                 "description": "the document, as the CLI would read it: not blank, no NUL characters"},
        "html": {"type": "boolean", "default": False,
                 "description": "the text is HTML: extract the main text first (offsets stay in the input)"},
        "clean": {"type": "boolean", "default": False, "description": "strip page boilerplate first"},
    },
}
TRACE_IN = {**TEXT_IN, "properties": {**TEXT_IN["properties"],  # type: ignore[dict-item]  # a JSON schema literal
                                      "top": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        "text/plain": {"schema": {"type": "string", "pattern": TEXT_PATTERN}},
    }}}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    what = {400: "unusable input (empty, not UTF-8, NUL bytes)", 404: "no source index loaded",
            413: "body over the size limit", 415: "neither JSON nor plain text", 422: "malformed request body",
            501: "trace is not installed", 503: "too many requests in progress (see Retry-After)",
            504: "over the time limit"}
    return {c: {"model": ErrorOut, "description": what[c]} for c in codes}


# --- middleware (plain ASGI, so that the limits hold before any route code runs) -------------------------


def _problem_body(p: Problem) -> bytes:
    return json.dumps({"error": p.message, "code": p.code}, ensure_ascii=False).encode("utf-8")


async def _send_problem(send: Callable[[Message], Awaitable[None]], p: Problem) -> None:
    body = _problem_body(p)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    headers += [(k.lower().encode(), v.encode()) for k, v in p.headers.items()]
    await send({"type": "http.response.start", "status": p.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Answers 413 to a request body over `limit` bytes, by its Content-Length or while it streams in."""

    def __init__(self, app: ASGIApp, limit: int, limit_mb: float) -> None:
        self.app = app
        self.limit = limit
        self.limit_mb = limit_mb

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        too_big = Problem(413, E.BODY_TOO_LARGE.format(limit=self.limit_mb))
        for k, v in scope["headers"]:
            if k == b"content-length" and v.isdigit() and int(v) > self.limit:
                await _send_problem(send, too_big)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _send_problem(send, too_big)
                return
            chunks.append(chunk)
            if not msg.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class AccessLog:
    """One JSON line per request on the `unspin.access` logger, and security headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        rid = uuid.uuid4().hex[:12]
        path: str = scope["path"]
        rec: dict[str, Any] = {"status": 0, "bytes_out": 0, "bytes_in": 0}

        async def counting_receive() -> Message:
            msg = await receive()
            rec["bytes_in"] += len(msg.get("body", b""))
            return msg

        async def send_wrapper(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                rec["status"] = msg["status"]
                headers = list(msg.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if path == "/" or path.startswith("/static/"):
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                for k, v in headers:
                    if k == b"x-unspin-cache":
                        rec["cache"] = v.decode()
                msg = {**msg, "headers": headers}
            elif msg["type"] == "http.response.body":
                rec["bytes_out"] += len(msg.get("body", b""))
            await send(msg)

        try:
            await self.app(scope, counting_receive, send_wrapper)
        finally:
            client = scope.get("client")
            access_log.info(json.dumps({
                "ts": round(time.time(), 3), "id": rid, "method": scope["method"], "path": path,
                "status": rec["status"], "ms": round(1000 * (time.perf_counter() - t0), 1),
                "bytes_in": rec["bytes_in"], "bytes_out": rec["bytes_out"],
                "client": f"{client[0]}:{client[1]}" if client else None,
                **({"cache": rec["cache"]} if "cache" in rec else {}),
            }))


# --- the service ---------------------------------------------------------------------------------------


class ResultCache:
    """Response bodies of recent requests, least recently used dropped first, bounded in entries and bytes."""

    def __init__(self, entries: int, max_bytes: int = 64 << 20) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._d: OrderedDict[bytes, bytes] = OrderedDict()

    @staticmethod
    def key(task: str, req: dict[str, Any]) -> bytes:
        opts = json.dumps({k: v for k, v in sorted(req.items()) if k != "text"}).encode()
        return hashlib.sha256(task.encode() + b"\0" + opts + b"\0" + req["text"].encode("utf-8")).digest()

    def get(self, key: bytes) -> bytes | None:
        hit = self._d.get(key)
        if hit is not None:
            self._d.move_to_end(key)
        return hit

    def put(self, key: bytes, body: bytes) -> None:
        if self.entries <= 0 or len(body) > self.max_bytes // 4:
            return
        old = self._d.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        self._d[key] = body
        self.bytes += len(body)
        while len(self._d) > self.entries or self.bytes > self.max_bytes:
            _, dropped = self._d.popitem(last=False)
            self.bytes -= len(dropped)


class Service:
    """The shared state of one app: the runner that holds the models, the limits, the result cache."""

    def __init__(self, runner: ThreadRunner | ProcessRunner, spec: EngineSpec, *, timeout: float,
                 max_concurrency: int, cache: int, max_body_mb: float) -> None:
        self.runner = runner
        self.spec = spec
        self.timeout = timeout
        self.max_concurrency = max(1, max_concurrency)
        self.cache = ResultCache(cache)
        self.max_body_mb = max_body_mb
        self.inflight = 0
        self._running: dict[bytes, asyncio.Future[bytes]] = {}
        self.seconds_per_request = 0.1  # running mean of a worker's time per request, for Retry-After

    def retry_after(self) -> int:
        workers = max(1, len(self.runner.alive()))
        return max(1, min(60, math.ceil(self.inflight * self.seconds_per_request / workers)))

    async def call(self, task: str, req: dict[str, Any]) -> Response:
        key = self.cache.key(task, req)
        while True:
            hit = self.cache.get(key)
            if hit is not None:
                return Response(hit, media_type="application/json", headers={"x-unspin-cache": "hit"})
            running = self._running.get(key)
            if running is None:
                break
            try:  # the same request is being answered: share that answer
                body = await asyncio.shield(running)
            except asyncio.CancelledError:
                if running.cancelled():  # its caller went away; answer this one ourselves
                    continue
                raise
            return Response(body, media_type="application/json", headers={"x-unspin-cache": "shared"})
        if self.inflight + self.runner.backlog() >= self.max_concurrency:
            retry = self.retry_after()
            raise Problem(503, E.BUSY.format(n=self.inflight, retry=retry), {"Retry-After": str(retry)})
        self.inflight += 1
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(_consume)
        if self.cache.entries > 0:
            self._running[key] = fut
        t0 = time.perf_counter()
        try:
            body = await self.runner.run(task, req, self.timeout)
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as exc:
            fut.set_exception(exc)
            raise
        finally:
            self.inflight -= 1
            self._running.pop(key, None)
        fut.set_result(body)
        dt = time.perf_counter() - t0
        self.seconds_per_request += 0.1 * (dt - self.seconds_per_request)
        self.cache.put(key, body)
        return Response(body, media_type="application/json", headers={"x-unspin-cache": "miss"})


def _consume(fut: asyncio.Future[bytes]) -> None:
    if not fut.cancelled():
        fut.exception()  # retrieved here, so that a failure nobody shared is not reported as never retrieved


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise bad_input(UnspinError(E.NUL))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # JSON can carry lone surrogates that no UTF-8 file could
        raise bad_input(UnspinError(E.NOT_UTF8.format(detail=f"lone surrogate at character {exc.start}"))) from None
    if not text.strip():
        raise bad_input(UnspinError(E.EMPTY))


async def read_request(request: Request, options: dict[str, Any], task: str) -> dict[str, Any]:
    """The request as {"text", options...}: a JSON object with a text field, or the plain text itself."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    raw = await request.body()
    req = dict(options)
    if media == "text/plain":
        try:
            req["text"] = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise bad_input(UnspinError(E.NOT_UTF8.format(detail=f"byte {exc.start}"))) from None
    elif media in ("application/json", "") or media.endswith("+json"):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise Problem(422, E.BAD_BODY.format(detail=f"not JSON ({exc})")) from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise Problem(422, E.BAD_BODY.format(detail='expected a JSON object with a string field "text"'))
        req["text"] = data["text"]
        for name in ("html", "clean"):
            if name in data:
                if not isinstance(data[name], bool):
                    raise Problem(422, E.BAD_BODY.format(detail=f'"{name}" must be true or false'))
                req[name] = data[name]
        if task == "trace" and "top" in data:
            top = data["top"]
            if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 100:
                raise Problem(422, E.BAD_BODY.format(detail='"top" must be an integer from 1 to 100'))
            req["top"] = top
    else:
        raise Problem(415, E.BAD_MEDIA.format(media=media))
    _check_text(req["text"])
    return req


def _problem_response(p: Problem) -> JSONResponse:
    return JSONResponse({"error": p.message, "code": p.code}, status_code=p.status, headers=p.headers)


def create_app(
    engine: Any = None,
    index: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Any = None,
    *,
    channels: Sequence[Any] = (),
    lm: str | os.PathLike[str] | None = None,
    workers: int = 0,
    max_body_mb: float = 2.0,
    timeout: float = 60.0,
    max_concurrency: int = 32,
    cache: int = 256,
    cors_origins: Sequence[str] = (),
    memo_entries: int = MEMO_ENTRIES,
) -> FastAPI:
    """Build the service; its models load here, once, in this process (`workers=0`) or in `workers` processes."""
    from .. import __version__

    if workers > 0:
        spec = EngineSpec.of(engine, index, memo_entries) if engine is not None else EngineSpec(
            lm=os.fspath(lm) if lm else None, channels=tuple(os.fspath(c) for c in channels),
            index=_paths(index), memo_entries=memo_entries)
        runner: ThreadRunner | ProcessRunner = ProcessRunner(spec, workers)
    else:
        from ..engine import Engine

        if engine is None:
            engine = Engine(channels=list(channels), lm=lm)
        spec = EngineSpec.of(engine, index if _is_path(index) else None, memo_entries)
        opened = index
        if _is_path(index):
            from .pool import index_paths, open_index

            opened = open_index(index_paths(index))
        if index is not None and not spec.index:
            spec = EngineSpec(**{**spec.__dict__, "index": ("<object>",)})
        runner = ThreadRunner(engine, opened, memo_entries)
    runner.start()
    svc = Service(runner, spec, timeout=timeout, max_concurrency=max_concurrency, cache=cache,
                  max_body_mb=max_body_mb)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        runner.close()

    app = FastAPI(
        title="unspin",
        version=__version__,
        summary="Find and undo machine article spinning in English text.",
        description="Response bodies are exactly what `unspin TASK --format json` prints. Send JSON "
                    '`{"text": ...}` or the text itself as `text/plain`.',
        lifespan=lifespan,
    )
    app.state.service = svc

    @app.exception_handler(Problem)
    async def on_problem(_request: Request, exc: Problem) -> JSONResponse:
        return _problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors())
        return _problem_response(Problem(422, E.BAD_BODY.format(detail=detail or "invalid")))

    def endpoint(task: str, summary: str, model: type[BaseModel], errors: tuple[int, ...]) -> None:
        schema = TRACE_IN if task == "trace" else TEXT_IN

        async def handler(request: Request, html: bool = Query(False, description="for text/plain bodies"),
                          clean: bool = Query(False, description="for text/plain bodies")) -> Response:
            req = await read_request(request, {"html": html, "clean": clean}, task)
            return await svc.call(task, req)

        async def trace_handler(request: Request, html: bool = Query(False, description="for text/plain bodies"),
                                clean: bool = Query(False, description="for text/plain bodies"),
                                top: int = Query(10, ge=1, le=100, description="for text/plain bodies")) -> Response:
            if not svc.spec.index:
                raise Problem(404, E.NO_TRACE_INDEX)
            req = await read_request(request, {"html": html, "clean": clean, "top": top}, task)
            return await svc.call(task, req)

        chosen = trace_handler if task == "trace" else handler
        chosen.__name__ = task
        app.post(f"/v1/{task}", summary=summary, response_model=None, openapi_extra=_body(schema),
                 responses={200: {"model": model, "description": "the CLI contract's JSON"}, **_errors(*errors)},
                 )(chosen)

    common = (400, 413, 415, 422, 503, 504)
    endpoint("restore", "Restore the most likely original wording", RestoreOut, common)
    endpoint("detect", "Probability that the text was spun, and the suspicious spans", DetectOut, common)
    endpoint("clean", "Strip page boilerplate from scraped text or HTML", CleanOut, common)
    endpoint("trace", "The likely sources of the text in the loaded index", TraceOut, (*common, 404, 501))

    @app.get("/healthz", response_model=HealthOut, responses={503: {"model": ErrorOut}})
    async def healthz() -> Any:
        alive = len(runner.alive())
        if not alive:
            return _problem_response(Problem(503, E.WORKER_DIED.format(detail="no worker is running"),
                                             {"Retry-After": "5"}))
        return {"status": "ok", "workers": alive}

    @app.get("/v1/version", response_model=VersionOut)
    async def version() -> Any:
        return {"unspin": __version__, "api": "v1", "mode": runner.mode, "workers": len(runner.alive()),
                **describe(svc.spec),
                "limits": {"max_body_mb": max_body_mb, "timeout_s": timeout, "max_concurrency": max_concurrency}}

    static = resources.files("unspin.service") / STATIC
    static_dir = Path(str(static))

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(static_dir / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/example.txt", include_in_schema=False)
    async def example() -> Response:
        text = (resources.files("unspin") / "data" / "example_spun.txt").read_text(encoding="utf-8")
        return Response(text, media_type="text/plain; charset=utf-8")

    app.mount("/static", StaticFiles(directory=static_dir), name="static")

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["content-type"], max_age=600)
    limit = int(max_body_mb * 1_000_000)
    app.add_middleware(BodyLimit, limit=limit, limit_mb=max_body_mb)
    app.add_middleware(AccessLog)
    return app


def _is_path(index: Any) -> bool:
    return isinstance(index, str | os.PathLike) or (
        isinstance(index, list | tuple) and bool(index) and all(isinstance(p, str | os.PathLike) for p in index))


def _paths(index: Any) -> tuple[str, ...]:
    from .pool import index_paths

    return index_paths(index)


__all__ = ["TASKS", "create_app"]
