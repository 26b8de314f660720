from conftest import ROOT

SPUN = (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")


def test_trimming_the_memo_tables_changes_no_result(engine):
    before = engine.restore(SPUN).to_dict()
    held = engine.lexicon.memo_size() + engine.decoder.memo_size()
    assert held > 0
    assert engine.trim_memo(held) is False
    assert engine.lexicon.memo_size() + engine.decoder.memo_size() == held
    assert engine.trim_memo(held - 1) is True
    assert engine.lexicon.memo_size() + engine.decoder.memo_size() == 0
    assert engine.restore(SPUN).to_dict() == before
