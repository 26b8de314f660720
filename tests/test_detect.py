from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPUN = (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")
ORIGINAL = (ROOT / "examples" / "original.txt").read_text(encoding="utf-8")


def test_spun_scores_higher_than_its_original(engine):
    spun, clean = engine.detect(SPUN), engine.detect(ORIGINAL)
    assert spun.spin_score > clean.spin_score
    assert spun.verdict == "spun"
    assert clean.verdict == "clean"


def test_spans_point_into_the_input_and_carry_reasons(engine):
    res = engine.detect(SPUN)
    assert res.spans
    for s in res.spans:
        assert SPUN[s.start : s.end] == s.text
        assert 0 <= s.score <= 1
        assert s.reason
    assert set(res.to_dict()["spans"][0]) == {"start", "end", "text", "score"}
