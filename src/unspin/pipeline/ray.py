"""`unspin batch --engine ray`: chunks of records run on a Ray cluster through Ray Data, results back in order."""

# The driver (the `unspin batch` process) reads the input and writes the shards exactly as the local
# executor does, so resuming, ordering and the output bytes are the same; Ray Data maps windows of chunks
# over actors that each hold one engine. Every node needs unspin installed (`pip install 'unspin[ray]'`).

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from typing import Any

from ..errors import E
from .batch import BatchConfig, Outcome, Worker
from .readers import Record

try:
    import ray
    import ray.data
except ImportError:
    raise ImportError(E.MISSING_EXTRA.format(feature="--engine ray", extra="ray")) from None

log = logging.getLogger("unspin")

# Chunks per Ray Data window, per actor: each window starts its actors once, so it must hold enough work
# to make that start-up small, and few enough rows that the driver's memory stays bounded.
WINDOW_PER_ACTOR = 32


class _Actor:
    def __init__(self, cfg: BatchConfig) -> None:
        self.worker = Worker(cfg)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        chunk: list[Record] = pickle.loads(row["chunk"])
        node = ray.get_runtime_context().get_node_id()
        return {"i": row["i"], "out": pickle.dumps(self.worker.chunk(chunk)), "node": node}


def connect(address: str | None) -> None:
    """Join the cluster at `address` (or start a local one) unless this process is already connected."""
    if ray.is_initialized():
        return
    ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False, include_dashboard=False)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # per-dataset INFO lines would drown the summary


def map_chunks(chunks: Iterator[tuple[int, list[Record]]], cfg: BatchConfig) -> Iterator[tuple[int, list[Outcome]]]:
    connect(cfg.ray_address)
    actors = cfg.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    window: list[tuple[int, list[Record]]] = []
    nodes: set[str] = set()
    for item in chunks:
        window.append(item)
        if len(window) >= actors * WINDOW_PER_ACTOR:
            yield from _run_window(window, cfg, actors, nodes)
            window = []
    if window:
        yield from _run_window(window, cfg, actors, nodes)
    log.info("ran on %d Ray nodes with %d actors", len(nodes), actors)


def _run_window(window: list[tuple[int, list[Record]]], cfg: BatchConfig, actors: int,
                nodes: set[str]) -> Iterator[tuple[int, list[Outcome]]]:
    items = [{"i": n, "chunk": pickle.dumps(chunk)} for n, (_, chunk) in enumerate(window)]
    source = ray.data.from_items(items, override_num_blocks=min(len(items), actors * 4))
    pool = ray.data.ActorPoolStrategy(size=min(actors, len(items)))
    # A class is Ray Data's way to keep one engine per actor; its stubs only name plain callables.
    ds = source.map(_Actor, fn_constructor_kwargs={"cfg": cfg}, compute=pool, num_cpus=1)  # type: ignore[arg-type]
    results = sorted(ds.take_all(), key=lambda r: r["i"])  # preserve_order is set; sorting makes it certain
    if len(results) != len(window):
        raise RuntimeError(f"Ray returned {len(results)} results for {len(window)} chunks")
    nodes.update(r["node"] for r in results)
    for (k, _), r in zip(window, results, strict=True):
        yield k, pickle.loads(r["out"])
