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


def test_restore_leaves_a_document_it_scores_below_the_gate_unchanged(engine):
    import dataclasses

    from unspin import Engine

    res = engine.restore(SPUN)
    assert res.changes and res.spin_score >= engine.params.restore_min_score > 0
    strict = Engine(lexicon=engine.lexicon, lm=engine.lm,
                    params=dataclasses.replace(engine.params, restore_min_score=res.spin_score + 1e-6))
    gated = strict.restore(SPUN)
    assert gated.text == SPUN and gated.changes == []
    assert gated.spin_score == res.spin_score  # the score is still reported


def test_a_table_from_learn_has_its_own_gate(engine):
    import dataclasses

    from unspin import Engine, learn_pairs
    from unspin.learn import ChannelTable, learn_phrases

    table = learn_pairs([("The metropolis council met.", "The city council met.")] * 3)
    phrases = learn_phrases([("metropolis council", "city council")])
    assert engine.params.tabled_min_score is not None and engine.params.aligned_min_score is not None
    assert engine.params.tabled_min_score > engine.params.restore_min_score
    # A table from document pairs decides its types at a lower margin, so its gate is higher.
    assert engine.params.aligned_min_score > engine.params.tabled_min_score
    res = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[table], params=engine.params).restore(SPUN)
    assert res.changes and res.spin_score >= engine.params.aligned_min_score
    for tables, field in (([table], "aligned_min_score"), ([phrases], "tabled_min_score")):
        # Each kind of table answers to its own gate only.
        other = "tabled_min_score" if field == "aligned_min_score" else "aligned_min_score"
        score = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=tables,
                       params=dataclasses.replace(engine.params, **{field: 0.0})).restore(SPUN).spin_score
        for gate in (score + 1e-6, score - 1e-6):
            eng = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=tables,
                         params=dataclasses.replace(engine.params, **{field: gate, other: 0.0}))
            assert (eng.restore(SPUN).changes == []) == (gate > score)
    # A table from `adapt` (guessed from spun text alone) answers to a gate of its own, not to learn's.
    assert engine.params.adapted_min_score is not None
    assert engine.params.restore_min_score < engine.params.adapted_min_score < engine.params.tabled_min_score
    adapted = ChannelTable(dict(table.entries), name="adapted")
    assert adapted.kind == "pairs"
    loose = dataclasses.replace(engine.params, tabled_min_score=2.0, aligned_min_score=2.0, adapted_min_score=0.0)
    score = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[adapted], params=loose).restore(SPUN).spin_score
    for gate in (score + 1e-6, score - 1e-6):
        eng = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[adapted],
                     params=dataclasses.replace(loose, adapted_min_score=gate))
        assert (eng.restore(SPUN).changes == []) == (gate > score)


def test_restore_reports_the_spin_score_detect_gives(engine):
    from conftest import SHARED

    texts = [SPUN, "The committee met on Tuesday and agreed the budget for next year."]
    bbc = SHARED / "corpora" / "bbc" / "dev.jsonl"
    if bbc.exists():  # a longer clean text: restore must not decide its rare words before the gate
        import json

        texts.append(json.loads(bbc.read_text(encoding="utf-8").splitlines()[3])["text"])
    for text in texts:
        assert engine.restore(text).spin_score == engine.detect(text).spin_score


def test_restore_decides_in_full_only_what_detect_found_suspicious(engine):
    from unspin.engine import SUSPECT_P

    res = engine.restore(SPUN)
    flagged = {d.key for an in engine.analyse(SPUN, detect_only=True) for d in an.types if d.p_spun >= SUSPECT_P}
    changed = {c.spun.lower() for c in res.changes}
    assert changed and changed <= flagged
