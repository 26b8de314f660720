"""The source index: one SQLite database per directory holding documents and MinHash-LSH buckets.

datasketch's `MinHashLSH` does the banding; its bucket tables are SQLite-backed here, so an index
opens in milliseconds, is written in transactions (WAL: a crash mid-add loses at most the batch in
flight, never the index), grows by `add`, and several directories (shards) can be queried together.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unspin.errors import E, UnspinError

from .signature import MAX_CHUNKS, Sketcher, Words, chunk_features, chunks, words

log = logging.getLogger("unspin")

FORMAT = "unspin-trace-index"
FORMAT_VERSION = 1  # bump on any change to tokenising, chunking, shingles or band hashing: old sketches won't match
DB_NAME = "index.sqlite"
# 32 bands of 2 rows: a chunk spun at 35 % (shingle Jaccard ~0.3-0.6) collides in some band 95-100 % of
# the time, an unrelated chunk (Jaccard < 0.02) almost never.
NUM_PERM = 64
BANDS = 32
SEED = 7
# Documents per transaction. Bucket rows land all over the B-tree, so a commit rewrites most of its pages
# whatever its size: fewer, bigger commits (~350,000 rows each, inserted in key order) cut SQLite's share of
# a 139,000-document build from 78 to 19 CPU seconds (500 documents per commit, rows unsorted, before).
BATCH = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS zdict (data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS band (h INTEGER NOT NULL, v INTEGER NOT NULL, PRIMARY KEY (h, v)) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class AddStats:
    """What one `add` did: documents added, skipped (id already indexed) and rejected, with reasons."""

    added: int
    skipped: int
    rejected: int
    reasons: dict[str, int]
    seconds: float


def _require_datasketch() -> None:
    try:
        import datasketch  # noqa: F401
    except ImportError:
        raise ImportError(E.MISSING_EXTRA.format(feature="trace", extra="trace")) from None


class _Bands:
    """One LSH band's bucket table for datasketch, stored in the shared `band` table of the index."""

    def __init__(self, index: Index, band: int) -> None:
        self._index = index
        self._salt = (band * 0x9E3779B1) & 0xFFFFFFFF

    def _h(self, key: int) -> int:
        return ((key ^ self._salt) & 0xFFFFFFFF) - 0x80000000  # signed 32-bit: SQLite stores it in 4 bytes

    def get(self, key: int) -> list[int]:
        rows = self._index._conn().execute("SELECT v FROM band WHERE h = ?", (self._h(key),)).fetchall()
        return [v for (v,) in rows]

    def insert(self, key: int, *vals: int, buffer: bool = False) -> None:
        h = ((key ^ self._salt) & 0xFFFFFFFF) - 0x80000000
        for v in vals:
            self._index._pending_h.append(h)
            self._index._pending_v.append(v)

    def empty_buffer(self) -> None:
        """Rows are written by the index's own transaction (see Index.add)."""

    def __getattr__(self, name: str) -> Any:  # the rest of datasketch's storage API is not used
        raise AttributeError(f"the trace index's LSH storage does not support {name}")


class _NoKeys:
    """datasketch's key->bands table: not kept (documents are never removed, ids live in `doc`)."""

    def insert(self, key: Any, *vals: Any, buffer: bool = False) -> None:
        pass

    def empty_buffer(self) -> None:
        pass


def _band_hash(band_bytes: bytes) -> int:
    return zlib.crc32(band_bytes)


def _make_zdict() -> bytes:
    """A preset zlib dictionary of common English words (most frequent last): short texts compress ~15 % better."""
    from wordfreq import top_n_list

    return " ".join(reversed(top_n_list("en", 5000))).encode("utf-8")[-32768:]


class Index:
    """A trace index directory: open it with `Index.open(path)`; query it with `unspin.trace`."""

    def __init__(self, path: Path, *, writable: bool = False) -> None:
        _require_datasketch()
        self.path = path
        self.db_path = path / DB_NAME
        self.writable = writable
        self._local = threading.local()
        self._pending_h: list[int] = []  # bucket rows (h, v) of the transaction being written
        self._pending_v: list[int] = []
        meta = self._read_meta()
        self.meta = meta
        self.num_perm = int(meta.get("num_perm", NUM_PERM))
        self.bands = int(meta.get("bands", BANDS))
        self.sketcher = Sketcher(self.num_perm, int(meta.get("seed", SEED)))
        from datasketch import MinHashLSH

        self._lsh = MinHashLSH(num_perm=self.num_perm, params=(self.bands, self.num_perm // self.bands),
                               hashfunc=_band_hash)
        self._lsh.hashtables = [_Bands(self, i) for i in range(self.bands)]  # type: ignore[list-item]
        self._lsh.keys = _NoKeys()  # type: ignore[assignment]

    # -- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> Index | Shards:
        """Open one index directory, or several (shards) to be queried together."""
        if isinstance(path, (str, os.PathLike)):
            return cls(Path(path))
        paths = [Path(p) for p in path]
        if not paths:
            raise UnspinError(E.NO_INDEX.format(path="(none)", detail="no index directory given"))
        if len(paths) == 1:
            return cls(paths[0])
        return Shards([cls(p) for p in paths])

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> Index:
        """Make a new, empty index in directory `path` (which must not already hold one)."""
        _require_datasketch()
        p = Path(path)
        if (p / DB_NAME).exists():
            raise UnspinError(E.INDEX_EXISTS.format(path=p))
        try:
            p.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(p / DB_NAME)
            conn.execute("PRAGMA journal_mode=WAL")
            with conn:
                conn.executescript(_SCHEMA)
                meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "num_perm": str(NUM_PERM),
                        "bands": str(BANDS), "seed": str(SEED), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                         time.gmtime())}
                conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                conn.execute("INSERT INTO zdict VALUES (?)", (_make_zdict(),))
            conn.close()
        except OSError as exc:
            raise UnspinError(E.NO_INDEX.format(path=p, detail=exc.strerror or exc)) from None
        return cls(p, writable=True)

    @classmethod
    def for_writing(cls, path: str | os.PathLike[str]) -> Index:
        return cls(Path(path), writable=True)

    def _connect(self) -> sqlite3.Connection:
        if self.writable:
            conn = sqlite3.connect(self.db_path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-262144")  # 256 MB of page cache while bulk loading
        else:
            try:  # read-only use of a normal connection: it can share the WAL index with a writer
                conn = sqlite3.connect(f"file:{self.db_path}?mode=rw", uri=True, timeout=30)
                conn.execute("PRAGMA query_only=1")
            except sqlite3.OperationalError:  # a read-only file or directory
                conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
            conn.execute("PRAGMA cache_size=-65536")
        return conn

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections are not shared between threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._connect()
            except sqlite3.Error as exc:
                raise UnspinError(E.BAD_INDEX.format(path=self.path, detail=exc)) from None
            self._local.conn = conn
        return conn

    def _read_meta(self) -> dict[str, str]:
        if not self.path.is_dir():
            detail = "no such directory" if not self.path.exists() else "not a directory"
            raise UnspinError(E.NO_INDEX.format(path=self.path, detail=detail))
        if not self.db_path.is_file():
            raise UnspinError(E.NO_INDEX.format(path=self.path, detail=f"it holds no {DB_NAME}"))
        try:
            rows = self._conn().execute("SELECT key, value FROM meta").fetchall()
            meta = {str(k): str(v) for k, v in rows}
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if "no such table" in msg:
                raise UnspinError(E.FOREIGN_INDEX.format(path=self.path, detail="no meta table")) from None
            raise UnspinError(E.BAD_INDEX.format(path=self.path, detail=msg)) from None
        if meta.get("format") != FORMAT:
            raise UnspinError(E.FOREIGN_INDEX.format(path=self.path, detail=f"format {meta.get('format')!r}"))
        version = meta.get("format_version", "")
        if version != str(FORMAT_VERSION):
            raise UnspinError(E.OLD_INDEX.format(path=self.path, found=version or "missing",
                                                 expected=FORMAT_VERSION))
        try:
            self._conn().execute("SELECT rowid, id, text FROM doc LIMIT 1").fetchall()
            self._conn().execute("SELECT h, v FROM band LIMIT 1").fetchall()
            row = self._conn().execute("SELECT data FROM zdict").fetchone()
            if row is None:
                raise sqlite3.DatabaseError("the compression dictionary is missing")
            self._zdict = bytes(row[0])
            # Level 3: half the time of level 6 for 3 % more bytes (~500 per document); reading is unchanged.
            self._compressor = zlib.compressobj(3, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, self._zdict)
        except sqlite3.DatabaseError as exc:
            raise UnspinError(E.BAD_INDEX.format(path=self.path, detail=exc)) from None
        return meta

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- reading -------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._q("SELECT COUNT(*) FROM doc")[0][0])

    def _q(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise UnspinError(E.BAD_INDEX.format(path=self.path, detail=exc)) from None

    def candidates(self, sketches: Sequence[Any]) -> list[dict[tuple[int, int], int]]:
        """For each query chunk's MinHash: the (doc rowid, chunk number) pairs in its LSH buckets, with the
        number of bands that collide (datasketch's band hashes, all bands looked up in one statement)."""
        lsh = self._lsh
        tables = lsh.hashtables
        out = []
        for mh in sketches:
            keys = [t._h(lsh._H(mh.hashvalues[a:b])) for t, (a, b) in zip(tables, lsh.hashranges, strict=True)]
            marks = ",".join("?" * len(keys))
            rows = self._q(f"SELECT v, COUNT(*) FROM band WHERE h IN ({marks}) GROUP BY v", keys)
            out.append({divmod(int(v), MAX_CHUNKS): int(n) for v, n in rows})
        return out

    def query(self, sketch: Any) -> list[tuple[int, int]]:
        """datasketch's own LSH query: the (doc rowid, chunk number) pairs sharing a bucket with `sketch`."""
        try:
            return [divmod(int(v), MAX_CHUNKS) for v in self._lsh.query(sketch)]
        except sqlite3.DatabaseError as exc:
            raise UnspinError(E.BAD_INDEX.format(path=self.path, detail=exc)) from None

    def documents(self, rowids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """rowid -> (id, text) for the given documents."""
        ids = sorted(set(rowids))
        out: dict[int, tuple[str, str]] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for rowid, doc_id, blob in self._q(f"SELECT rowid, id, text FROM doc WHERE rowid IN ({marks})", part):
                try:
                    dec = zlib.decompressobj(zdict=self._zdict)
                    text = (dec.decompress(blob) + dec.flush()).decode("utf-8")
                except (zlib.error, UnicodeDecodeError) as exc:
                    detail = f"document {doc_id!r}: {exc}"
                    raise UnspinError(E.BAD_INDEX.format(path=self.path, detail=detail)) from None
                out[int(rowid)] = (str(doc_id), text)
        return out

    def check(self) -> list[str]:
        """Problems found by SQLite's integrity check and a bucket/document cross-check (empty: consistent)."""
        problems = [r[0] for r in self._q("PRAGMA integrity_check") if r[0] != "ok"]
        orphans = self._q(f"SELECT COUNT(*) FROM band WHERE v / {MAX_CHUNKS} NOT IN (SELECT rowid FROM doc)")[0][0]
        if orphans:
            problems.append(f"{orphans} LSH bucket rows point to no document")
        return problems

    def stats(self) -> dict[str, Any]:
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.name.startswith(DB_NAME))
        n = len(self)
        return {"documents": n, "bytes": size, "bytes_per_document": size / n if n else 0.0,
                "bucket_rows": int(self._q("SELECT COUNT(*) FROM band")[0][0])}

    # -- writing -------------------------------------------------------------------------------------

    def add(self, docs: Iterable[tuple[str, str] | tuple[str, None, str]], batch: int = BATCH) -> AddStats:
        """Index (id, text) documents, skipping ids already present; each batch is one transaction.

        An item (id, None, reason) counts as a rejected document with that reason.
        """
        if not self.writable:
            raise UnspinError(E.BAD_INDEX.format(path=self.path, detail="opened read-only"))
        t0 = time.perf_counter()
        added = skipped = rejected = 0
        reasons: dict[str, int] = {}
        buf: list[tuple[str, str]] = []

        def flush() -> None:
            nonlocal added, skipped
            a, s = self._write(buf)
            added += a
            skipped += s
            buf.clear()

        for item in docs:
            if len(item) == 3 and item[1] is None:
                rejected += 1
                reasons[str(item[2])] = reasons.get(str(item[2]), 0) + 1
                continue
            doc_id, text = str(item[0]), item[1]
            if not isinstance(text, str) or not text.strip():
                rejected += 1
                reasons["empty text"] = reasons.get("empty text", 0) + 1
                continue
            buf.append((doc_id, text))
            if len(buf) >= batch:
                flush()
        if buf:
            flush()
        try:
            self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError as exc:
            log.warning("trace index checkpoint failed: %s", exc)
        return AddStats(added, skipped, rejected, reasons, time.perf_counter() - t0)

    def _write(self, docs: list[tuple[str, str]]) -> tuple[int, int]:
        conn = self._conn()
        added = skipped = 0
        seen: set[str] = set()
        keys: list[int] = []  # LSH key of each chunk: doc rowid * MAX_CHUNKS + chunk number
        texts: list[tuple[Words, list[tuple[int, int]]]] = []
        try:
            with conn:  # one transaction: all of the batch, or (after a crash) none of it
                for doc_id, text in docs:
                    if doc_id in seen:
                        skipped += 1
                        continue
                    seen.add(doc_id)
                    comp = self._compressor.copy()  # copying a primed compressor skips loading the dictionary
                    blob = comp.compress(text.encode("utf-8")) + comp.flush()
                    cur = conn.execute("INSERT OR IGNORE INTO doc (id, text) VALUES (?, ?)", (doc_id, blob))
                    if cur.rowcount == 0:  # the id is already indexed
                        skipped += 1
                        continue
                    rowid = int(cur.lastrowid or 0)
                    w = words(text)
                    spans = chunks(text, w)[:MAX_CHUNKS]
                    texts.append((w, spans))
                    keys.extend(range(rowid * MAX_CHUNKS, rowid * MAX_CHUNKS + len(spans)))
                    added += 1
                which, starts, values = chunk_features(texts)
                rows = self.sketcher.sketch_rows(values, starts)
                if len(rows):
                    mh = self.sketcher.carrier(rows[0])
                    for k, row in zip(which.tolist(), rows, strict=True):
                        mh.hashvalues = row  # the MinHash datasketch bands: one per chunk, its values set in place
                        self._lsh.insert(keys[k], mh, check_duplication=False)
                # Bucket rows in key order: the B-tree takes them page by page instead of at random places.
                h = np.array(self._pending_h, dtype=np.int64)
                order = np.argsort(h, kind="stable")
                v = np.array(self._pending_v, dtype=np.int64)[order]
                conn.executemany("INSERT OR IGNORE INTO band (h, v) VALUES (?, ?)",
                                 zip(h[order].tolist(), v.tolist(), strict=True))
        except sqlite3.DatabaseError as exc:
            raise UnspinError(E.BAD_INDEX.format(path=self.path, detail=exc)) from None
        finally:
            self._pending_h.clear()
            self._pending_v.clear()
        return added, skipped


class Shards:
    """Several index directories queried together, as one."""

    def __init__(self, parts: list[Index]) -> None:
        self.parts = parts

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def close(self) -> None:
        for p in self.parts:
            p.close()


def read_corpus(path: str | os.PathLike[str], id_field: str = "id",
                text_field: str = "text") -> Iterator[tuple[str, str] | tuple[str, None, str]]:
    """(id, text) per JSON Lines row (plain or .gz); a bad row yields (line, None, reason)."""
    p = Path(path)
    try:
        fh = gzip.open(p, "rt", encoding="utf-8") if p.suffix == ".gz" else open(p, encoding="utf-8")
    except OSError as exc:
        raise UnspinError(E.NOT_FOUND.format(path=p, detail=exc.strerror or exc)) from None
    with fh:
        try:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    yield str(n), None, "not JSON"
                    continue
                if not isinstance(row, dict) or not isinstance(row.get(text_field), str):
                    yield str(n), None, f"no {text_field!r} field"
                    continue
                doc_id = row.get(id_field)
                if doc_id is None or isinstance(doc_id, (dict, list)):
                    yield str(n), None, f"no {id_field!r} field"
                    continue
                yield str(doc_id), row[text_field]
        except (UnicodeDecodeError, OSError, EOFError) as exc:
            raise UnspinError(E.NOT_FOUND.format(path=p, detail=exc)) from None
