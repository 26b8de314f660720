"""Start the service under uvicorn, with JSON access logs on standard error."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import sys
from collections.abc import Sequence

from ..errors import E, UnspinError

log = logging.getLogger("unspin")


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_bind(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, addr = infos[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
    except OSError as exc:
        raise UnspinError(E.CANNOT_LISTEN.format(host=host, port=port, detail=exc.strerror or exc)) from None


def serve(host: str = "127.0.0.1", port: int = 8000, *, index: Sequence[str] = (), channels: Sequence[str] = (),
          lm: str | None = None, max_body_mb: float = 2.0, timeout: float = 60.0, max_concurrency: int = 32,
          workers: int | None = None, cache: int = 256, cors_origins: Sequence[str] = (),
          access_log: bool = True, memo_entries: int | None = None) -> None:
    """Load the models, then answer HTTP on host:port until interrupted."""
    try:
        import uvicorn
    except ImportError as exc:
        raise ImportError(E.MISSING_EXTRA.format(feature="unspin serve", extra="serve")) from exc
    from .app import create_app

    acc = logging.getLogger("unspin.access")
    acc.propagate = False
    if access_log:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        acc.addHandler(handler)
        acc.setLevel(logging.INFO)
    _check_bind(host, port)  # before the models load: a port in use is a one-line error, not a traceback
    if not is_loopback(host):
        log.warning("listening on %s: the service is reachable from other machines and has no authentication", host)
    n = default_workers() if workers is None else workers
    app = create_app(index=list(index) or None, channels=channels, lm=lm, workers=n, max_body_mb=max_body_mb,
                     timeout=timeout, max_concurrency=max_concurrency, cache=cache, cors_origins=cors_origins,
                     **({} if memo_entries is None else {"memo_entries": memo_entries}))
    acc.info(json.dumps({"event": "start", "url": f"http://{host}:{port}/", "workers": n,
                         "mode": "process" if n else "thread", "pid": os.getpid()}))
    # uvicorn's own access log would duplicate ours; its errors still go to standard error.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning", timeout_graceful_shutdown=5,
                server_header=False)
