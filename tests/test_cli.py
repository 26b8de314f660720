import json

import pytest
from conftest import ROOT, run_cli

SPUN = ROOT / "examples" / "spun.txt"


def test_restore_json_follows_the_contract():
    p = run_cli("restore", str(SPUN), "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) == {"text", "spin_score", "changes"}
    assert 0 <= out["spin_score"] <= 1
    text = SPUN.read_text(encoding="utf-8")
    for c in out["changes"]:
        assert set(c) == {"start", "end", "spun", "original", "confidence", "alternatives"}
        assert text[c["start"] : c["end"]] == c["spun"]


def test_restore_plain_prints_text_and_stdin_works():
    text = SPUN.read_bytes()
    a = run_cli("restore", "-", stdin=text)
    b = run_cli("restore", str(SPUN))
    assert a.returncode == 0 and a.stdout == b.stdout
    assert a.stdout.decode().startswith("Metropolis") or a.stdout.decode().startswith("City")


def test_detect_json_and_text():
    p = run_cli("detect", str(SPUN), "--format", "json")
    out = json.loads(p.stdout)
    assert set(out) == {"spin_score", "verdict", "spans"}
    assert out["verdict"] in ("spun", "clean")
    line = run_cli("detect", str(SPUN)).stdout.decode()
    assert line.count("\n") == 1 and line.split("\t")[0] in ("spun", "clean")


def test_built_in_example():
    p = run_cli("restore", "example")
    assert p.returncode == 0 and p.stdout


@pytest.mark.parametrize("data,code", [
    (b"", "E001"), (b"   \n\t ", "E001"), (b"caf\xe9 au lait", "E002"), (b"abc\x00def", "E003"),
])
def test_bad_input_is_one_line_and_exit_2(data, code, tmp_path):
    f = tmp_path / "in.txt"
    f.write_bytes(data)
    for cmd in ("restore", "detect"):
        p = run_cli(cmd, str(f))
        assert p.returncode == 2
        err = p.stderr.decode().strip()
        assert code in err and "\n" not in err and "Traceback" not in err


def test_missing_file_and_bad_usage_exit_2(tmp_path):
    p = run_cli("restore", str(tmp_path / "nope.txt"))
    assert p.returncode == 2 and b"E004" in p.stderr
    assert run_cli("restore").returncode == 2
    assert run_cli("frobnicate").returncode == 2
    bad = tmp_path / "bad.tsv"
    bad.write_text("nonsense")
    p = run_cli("restore", str(SPUN), "--channel", str(bad))
    assert p.returncode == 2 and b"E005" in p.stderr


def test_awkward_but_valid_inputs_give_sensible_results(tmp_path):
    cases = {
        "french": "Le président de la République a déclaré que la situation était grave.",
        "html": "<html><body><p>The White Home said the inventory market fell.</p></body></html>",
        "long_line": ("the inventory market fell again and " * 60000).strip(),  # ~2 MB on one line
    }
    for name, text in cases.items():
        f = tmp_path / f"{name}.txt"
        f.write_text(text, encoding="utf-8")
        p = run_cli("restore", str(f), "--format", "json", timeout=600)
        assert p.returncode == 0, (name, p.stderr[-300:])
        out = json.loads(p.stdout)
        if name == "french":
            assert out["changes"] == [] and out["text"] == text
        if name == "html":
            assert "<p>" in out["text"]


def test_learn_then_use_the_table(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"spun": "The zorbly market fell.", "original": "The stock market fell."}]
    pairs.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    table = tmp_path / "t.tsv"
    p = run_cli("learn", str(pairs), str(table))
    assert p.returncode == 0, p.stderr
    doc = tmp_path / "doc.txt"
    doc.write_text("Yesterday the zorbly market fell again, and the zorbly market may fall further.")
    out = json.loads(run_cli("restore", str(doc), "--format", "json", "--channel", str(table)).stdout)
    assert "stock market" in out["text"]


def test_clean_first_keeps_offsets_in_the_raw_page(tmp_path):
    article = SPUN.read_text(encoding="utf-8")
    page = ("Home | News | Sport | Weather\n30.9 C London, Tuesday\n\n" + article +
            "\n\nLEAVE A REPLY\nPlease enter your comment!\nPlease enter your name here\n\nRelated Articles\n")
    f = tmp_path / "page.txt"
    f.write_text(page, encoding="utf-8")
    p = run_cli("restore", str(f), "--clean", "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert "LEAVE A REPLY" not in out["text"]
    for c in out["changes"]:
        assert page[c["start"] : c["end"]] == c["spun"]
    det = json.loads(run_cli("detect", str(f), "--clean", "--format", "json").stdout)
    for s in det["spans"]:
        assert page[s["start"] : s["end"]] == s["text"]
    cleaned = json.loads(run_cli("clean", str(f), "--format", "json").stdout)
    assert cleaned["removed"] and "Please enter your comment" not in cleaned["text"]


def test_a_20_mb_single_line_is_refused_at_once_with_a_reason(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("the inventory market fell again and " * 560000, encoding="utf-8")  # ~20 MB, one line
    p = run_cli("restore", str(big), timeout=60)
    assert p.returncode == 2
    err = p.stderr.decode().strip()
    assert "E012" in err and "\n" not in err
