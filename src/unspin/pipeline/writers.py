"""Writers: shard files (JSON Lines or Parquet) written atomically, and their assembly into one output file."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import sys
from collections.abc import Sequence
from typing import IO, Any

from ..errors import E, UnspinError


def out_format(path: str) -> str:
    if path.lower().endswith((".parquet", ".pq")):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError(E.MISSING_EXTRA.format(feature="writing Parquet", extra="corpus")) from None
        return "parquet"
    return "jsonl"


def to_json(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=_jsonable)


def _jsonable(v: Any) -> Any:
    """Values Parquet rows can hold that JSON cannot: dates as ISO strings, bytes as UTF-8 text."""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bytes | bytearray):
        return bytes(v).decode("utf-8", errors="replace")
    return str(v)


def _fsync_replace(tmp: str, final: str) -> None:
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)
    dfd = os.open(os.path.dirname(os.path.abspath(final)), os.O_RDONLY)
    try:
        os.fsync(dfd)  # the rename itself survives a crash once the directory is synced
    finally:
        os.close(dfd)


class ShardWriter:
    """Writes one shard to `path + '.tmp'` and renames it to `path` only once it is complete."""

    def __init__(self, path: str, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self.tmp = path + ".tmp"
        self.rows: list[dict[str, Any]] = []
        self._f: IO[str] | None = open(self.tmp, "w", encoding="utf-8") if fmt == "jsonl" else None

    def write(self, item: str | dict[str, Any]) -> None:
        if self._f is not None:
            self._f.write(item if isinstance(item, str) else to_json(item))
            self._f.write("\n")
        else:
            self.rows.append(item if isinstance(item, dict) else json.loads(item))

    def commit(self) -> None:
        if self._f is not None:
            self._f.close()
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            keys = list(dict.fromkeys(k for r in self.rows for k in r))  # from_pylist would keep row 1's only
            pq.write_table(pa.Table.from_pydict({k: [r.get(k) for r in self.rows] for k in keys}), self.tmp)
        _fsync_replace(self.tmp, self.path)

    def abort(self) -> None:
        if self._f is not None:
            self._f.close()
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


class JsonlSink:
    """A text sink for JSON Lines output; .gz and .zst outputs are byte-for-byte reproducible."""

    def __init__(self, path: str) -> None:
        self.raw: IO[bytes] | None = None
        if path == "-":
            self.text: IO[str] = sys.stdout
            return
        try:
            self.raw = open(path, "wb")
        except OSError as exc:
            raise UnspinError(E.NOT_FOUND.format(path=path, detail=exc.strerror or exc)) from None
        p = path.lower().removesuffix(".tmp")
        stream: Any = self.raw
        if p.endswith(".gz"):
            stream = gzip.GzipFile(filename="", fileobj=self.raw, mode="wb", mtime=0)
        elif p.endswith(".zst"):
            from .readers import _zstd

            stream = _zstd().ZstdCompressor().stream_writer(self.raw, closefd=False)
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")

    def write(self, s: str) -> None:
        self.text.write(s)

    def close(self) -> None:
        if self.raw is None:
            self.text.flush()
            return
        self.text.close()  # flushes the compressor's trailer into raw, which GzipFile leaves open
        self.raw.close()

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def assemble(parts: Sequence[str], out: str, fmt: str) -> None:
    """Concatenate completed shards in order into `out`, atomically (written beside it, then renamed)."""
    tmp = out + ".tmp"
    if fmt == "parquet":
        _assemble_parquet(parts, tmp)
    else:
        with JsonlSink(tmp) as sink:
            for p in parts:
                with open(p, encoding="utf-8") as f:
                    shutil.copyfileobj(f, sink.text, 1 << 20)
    _fsync_replace(tmp, out)


def _assemble_parquet(parts: Sequence[str], tmp: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(p) for p in parts]
    schemas = [s.remove_metadata() for s in schemas]
    schema = pa.unify_schemas(schemas, promote_options="permissive") if schemas else pa.schema([])
    with pq.ParquetWriter(tmp, schema) as w:
        for p in parts:
            rows = pq.read_table(p).to_pylist()
            if rows:
                w.write_table(pa.Table.from_pylist(rows, schema=schema))
