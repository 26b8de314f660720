"""Readers stream records out of JSON Lines (plain, .gz, .zst), Parquet and WARC files, one at a time."""

from __future__ import annotations

import glob
import gzip
import io
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..errors import E, UnspinError

log = logging.getLogger("unspin")

PARQUET = (".parquet", ".pq")
WARC = (".warc", ".warc.gz", ".arc", ".arc.gz")
JSONL = (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz", ".jsonl.zst", ".json.zst",
         ".ndjson.zst")
HTML_TYPES = ("text/html", "application/xhtml+xml")


class FileError(UnspinError):
    """A file that could not be read to its end; `rows` records came out of it before the failure."""

    def __init__(self, path: str, rows: int, detail: object) -> None:
        self.path, self.rows = path, rows
        super().__init__(E.BAD_FILE.format(path=path, rows=rows, detail=detail))


@dataclass
class Record:
    """One document on its way to a worker: a raw JSON line (decoded there) or a decoded row."""

    payload: str | dict[str, Any]
    html: bool = False


def kind_of(path: str) -> str:
    p = path.lower()
    if p.endswith(PARQUET):
        return "parquet"
    if p.endswith(WARC):
        return "warc"
    return "jsonl"


def input_files(inp: str) -> list[str]:
    """The files named by IN: `-`, one file, every supported file under a directory, or a glob pattern."""
    if inp == "-":
        return ["-"]
    if os.path.isdir(inp):
        found = sorted(
            os.path.join(d, f) for d, _, fs in os.walk(inp) for f in fs
            if f.lower().endswith(JSONL + PARQUET + WARC)
        )
        if not found:
            raise UnspinError(E.NOT_FOUND.format(path=inp, detail="no .jsonl, .parquet or .warc files inside"))
        return found
    if any(c in inp for c in "*?[") and not os.path.exists(inp):
        found = sorted(glob.glob(inp, recursive=True))
        if not found:
            raise UnspinError(E.NOT_FOUND.format(path=inp, detail="the pattern matches no file"))
        return found
    if not os.path.exists(inp):
        raise UnspinError(E.NOT_FOUND.format(path=inp, detail="No such file or directory"))
    return [inp]


def fingerprint(path: str) -> list[Any]:
    """What identifies an input file's content for a resumed run: its path, size and modification time."""
    if path == "-":
        return ["-"]
    st = os.stat(path)
    return [os.path.abspath(path), st.st_size, st.st_mtime_ns]


class Source:
    """One input file; `records()` streams it and `tell()` says how many of its bytes were consumed."""

    def __init__(self, path: str, text_field: str = "text") -> None:
        self.path = path
        self.text_field = text_field
        self.kind = kind_of(path)
        self.rows = 0
        self.skipped: Counter[str] = Counter()
        self._raw: IO[bytes] | None = None

    def size(self) -> int:
        return 0 if self.path == "-" else os.path.getsize(self.path)

    def tell(self) -> int:
        try:
            return self._raw.tell() if self._raw is not None and not self._raw.closed else 0
        except (OSError, ValueError):
            return 0

    def records(self) -> Iterator[Record]:
        """Yield every record; a failure to read on raises FileError naming the file and how far it got."""
        try:
            if self.kind == "parquet":
                yield from self._parquet()
            elif self.kind == "warc":
                yield from self._warc()
            else:
                yield from self._jsonl()
        except (FileError, ImportError):
            raise
        except UnspinError as exc:
            raise FileError(self.path, self.rows, exc) from None
        except Exception as exc:  # any decoder's failure (zlib, zstd, Arrow, WARC) ends this file, never the run
            raise FileError(self.path, self.rows, f"{type(exc).__name__}: {exc}") from None

    def _open_raw(self) -> IO[bytes]:
        if self.path == "-":
            self._raw = sys.stdin.buffer
        else:
            try:
                self._raw = open(self.path, "rb")
            except OSError as exc:
                raise UnspinError(E.NOT_FOUND.format(path=self.path, detail=exc.strerror or exc)) from None
        return self._raw

    def _jsonl(self) -> Iterator[Record]:
        raw = self._open_raw()
        p = self.path.lower()
        stream: IO[bytes]
        if p.endswith(".gz"):
            stream = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]  # a binary file object
        elif p.endswith(".zst"):
            zstandard = _zstd()
            stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)  # type: ignore[assignment]
        else:
            stream = raw
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")  # type: ignore[type-var]
        try:
            for line in text:
                if line.strip():
                    self.rows += 1
                    yield Record(line)
        finally:
            if raw is not sys.stdin.buffer:
                raw.close()

    def _parquet(self) -> Iterator[Record]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError(E.MISSING_EXTRA.format(feature="reading Parquet", extra="corpus")) from None
        raw = self._open_raw()
        try:
            pf = pq.ParquetFile(raw)
            for batch in pf.iter_batches(batch_size=256):
                for row in batch.to_pylist():
                    self.rows += 1
                    yield Record(row)
        finally:
            raw.close()

    def _warc(self) -> Iterator[Record]:
        try:
            from warcio.archiveiterator import ArchiveIterator
        except ImportError:
            raise ImportError(E.MISSING_EXTRA.format(feature="reading WARC", extra="corpus")) from None
        raw = self._open_raw()
        try:
            for rec in ArchiveIterator(raw, arc2warc=True):
                if rec.rec_type not in ("response", "resource", "conversion"):
                    continue  # requests, metadata and warcinfo describe the crawl, they are not documents
                url = rec.rec_headers.get_header("WARC-Target-URI") or ""
                ctype = (rec.http_headers.get_header("Content-Type") if rec.http_headers else
                         rec.rec_headers.get_header("Content-Type")) or ""
                body = rec.content_stream().read()
                reason = _not_html(ctype, body)
                if reason:
                    self.skipped[reason] += 1
                    log.info("skipped %s in %s: %s", url, self.path, reason)
                    continue
                self.rows += 1
                yield Record({
                    "url": url,
                    "warc_record_id": rec.rec_headers.get_header("WARC-Record-ID"),
                    "warc_date": rec.rec_headers.get_header("WARC-Date"),
                    self.text_field: _decode(body, ctype),
                }, html=True)
        finally:
            raw.close()


def _not_html(ctype: str, body: bytes) -> str:
    """Why a WARC record is not an HTML document, or '' when it is one."""
    mime = ctype.split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return f"not HTML ({mime})"
    if not body.strip():
        return "empty payload"
    if b"\x00" in body[:65536]:
        return "binary payload"
    if not mime and b"<" not in body[:4096]:
        return "not HTML (no content type, no markup)"
    return ""


def _decode(body: bytes, ctype: str) -> str:
    charset = "utf-8"
    for part in ctype.split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == "charset" and v.strip():
            charset = v.strip().strip("'\"")
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _zstd() -> Any:
    try:
        import zstandard
    except ImportError:
        raise ImportError(E.MISSING_EXTRA.format(feature="Zstandard files", extra="corpus")) from None
    return zstandard
