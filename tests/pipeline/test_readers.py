import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from unspin.pipeline.readers import FileError, Source, input_files

ROWS = [{"id": i, "text": f"Document number {i} is about the weather."} for i in range(50)]


def _jsonl() -> bytes:
    return "".join(json.dumps(r) + "\n" for r in ROWS).encode()


def _read(path):
    src = Source(str(path))
    return [json.loads(r.payload) if isinstance(r.payload, str) else r.payload for r in src.records()], src


@pytest.mark.parametrize("name", ["c.jsonl", "c.jsonl.gz", "c.jsonl.zst"])
def test_jsonl_plain_gzip_and_zstd_give_the_same_rows(tmp_path, name):
    data = _jsonl()
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    (tmp_path / name).write_bytes(data)
    rows, src = _read(tmp_path / name)
    assert rows == ROWS
    assert src.tell() == 0 or src.tell() == len(data)


def test_truncated_gzip_names_the_file_and_how_far_it_got(tmp_path):
    data = gzip.compress(_jsonl() * 200)
    bad = tmp_path / "cut.jsonl.gz"
    bad.write_bytes(data[: len(data) // 2])
    src = Source(str(bad))
    got = []
    with pytest.raises(FileError) as err:
        for r in src.records():
            got.append(r)
    assert err.value.path == str(bad) and err.value.rows == len(got) > 0
    assert str(bad) in str(err.value) and f"after {len(got)} records" in str(err.value)


def test_parquet_rows_and_a_corrupt_parquet_file(tmp_path):
    good = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), good)
    rows, _ = _read(good)
    assert rows == ROWS
    bad = tmp_path / "bad.parquet"
    raw = good.read_bytes()
    bad.write_bytes(raw[:100] + b"\xff" * 64 + raw[164:-12])
    with pytest.raises(FileError) as err:
        list(Source(str(bad)).records())
    assert "bad.parquet" in str(err.value) and err.value.rows == 0


def _warc(path, records):
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        for url, ctype, body in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
        req = w.create_warc_record("http://a.example/", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
        w.write_record(req)


def test_warc_keeps_html_and_reports_non_html_and_binary_records(tmp_path):
    page = b"<html><body><p>The White Home said the inventory market fell sharply.</p></body></html>"
    path = tmp_path / "crawl.warc.gz"
    _warc(path, [
        ("http://a.example/", "text/html; charset=utf-8", page),
        ("http://a.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00binary"),
        ("http://a.example/fake.html", "text/html", b"<html>\x00\x01\x02\x00</html>"),
        ("http://a.example/style.css", "text/css", b"body { color: red }"),
    ])
    rows, src = _read(path)
    assert [r["url"] for r in rows] == ["http://a.example/"]
    assert rows[0]["text"] == page.decode()
    assert src.skipped == {"not HTML (image/png)": 1, "binary payload": 1, "not HTML (text/css)": 1}


def test_input_files_directory_and_glob(tmp_path):
    for name in ("b.jsonl", "a.jsonl.gz", "c.parquet", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.rsplit("/", 1)[1] for p in input_files(str(tmp_path))] == ["a.jsonl.gz", "b.jsonl", "c.parquet"]
    assert [p.rsplit("/", 1)[1] for p in input_files(str(tmp_path / "*.jsonl*"))] == ["a.jsonl.gz", "b.jsonl"]
