import gzip
import json

from conftest import ROOT, run_cli

SPUN = (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")
ORIGINAL = (ROOT / "examples" / "original.txt").read_text(encoding="utf-8")


def _rows():
    return [
        {"id": 1, "text": SPUN},
        {"id": 2, "text": 5},
        {"id": 3},
        {"id": 4, "text": ORIGINAL},
        {"id": 5, "text": "   "},
        {"id": 6, "text": "The White Home said the inventory market fell."},
    ]


def test_batch_keeps_order_and_reports_bad_rows(tmp_path):
    src = tmp_path / "in.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as f:
        for r in _rows():
            f.write(json.dumps(r) + "\n")
        f.write("{not json\n")
    out = tmp_path / "out.jsonl"
    p = run_cli("batch", str(src), str(out), "--task", "detect", "--workers", "2")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("id") for r in rows[:6]] == [1, 2, 3, 4, 5, 6]
    assert len(rows) == 7
    assert set(rows[0]["unspin"]) == {"spin_score", "verdict", "spans"}
    for bad in (rows[1], rows[2], rows[4], rows[6]):
        assert bad["unspin"] is None and bad["unspin_error"]
    assert b"errors:" in p.stderr


def test_batch_row_equals_the_single_document_command(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": SPUN}) + "\n")
    out = tmp_path / "out.jsonl"
    assert run_cli("batch", str(src), str(out), "--task", "restore", "--workers", "1").returncode == 0
    single = tmp_path / "doc.txt"
    single.write_text(SPUN, encoding="utf-8")
    direct = json.loads(run_cli("restore", str(single), "--format", "json").stdout)
    assert json.loads(out.read_text())["unspin"] == direct


def test_batch_cleans_first_and_keeps_offsets_in_the_row_text(tmp_path):
    page = ("Home | News | Sport | Weather\n30.9 C London, Tuesday\n\n" + SPUN +
            "\n\nLEAVE A REPLY\nPlease enter your comment!\nPlease enter your name here\n")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": page}) + "\n")
    out = tmp_path / "out.jsonl"
    p = run_cli("batch", str(src), str(out), "--task", "restore", "--clean", "--workers", "1")
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())["unspin"]
    assert "LEAVE A REPLY" not in res["text"] and res["changes"]
    for c in res["changes"]:
        assert page[c["start"] : c["end"]] == c["spun"]
