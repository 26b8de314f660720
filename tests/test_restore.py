from pathlib import Path

from unspin.restore import apply_changes

ROOT = Path(__file__).resolve().parents[1]
SPUN = (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")
ORIGINAL = (ROOT / "examples" / "original.txt").read_text(encoding="utf-8")


def _words(s):
    return s.lower().split()


def _wer(a, b):
    import difflib

    sm = difflib.SequenceMatcher(a=_words(a), b=_words(b), autojunk=False)
    same = sum(m.size for m in sm.get_matching_blocks())
    return 1 - same / max(len(_words(b)), 1)


def test_changes_rebuild_the_output_and_leave_the_rest_byte_identical(engine):
    res = engine.restore(SPUN)
    assert apply_changes(SPUN, res.changes) == res.text
    pos = 0
    for c in res.changes:
        assert SPUN[c.start : c.end] == c.spun
        assert c.start >= pos
        pos = c.end
        assert 0.0 <= c.confidence <= 1.0
        assert c.original not in c.alternatives


def test_restoring_the_example_brings_it_closer_to_the_original(engine):
    res = engine.restore(SPUN)
    assert _wer(res.text, ORIGINAL) < 0.8 * _wer(SPUN, ORIGINAL)
    originals = {c.original.lower() for c in res.changes}
    assert {"schools", "city", "meeting"} <= originals


def test_thesaurus_spins_are_undone(engine):
    text = ("Police said the inventory market fell sharply on Monday. "
            "Traders said the inventory market would recover by the end of the week.")
    res = engine.restore(text)
    assert "stock market" in res.text
    assert "Police said" in res.text


def test_one_learned_article_teaches_a_content_farm_dictionary():
    from unspin import Engine, learn_pairs

    table = learn_pairs([("The White Home said the Supreme Courtroom will rule in the Center East case.",
                          "The White House said the Supreme Court will rule in the Middle East case.")])
    res = Engine(channels=[table]).restore(
        "A spokesman for the White Home said the Center East talks would resume after the Supreme Courtroom ruling.")
    assert "White House" in res.text
    assert "Middle East" in res.text
    assert "Supreme Court ruling" in res.text


def test_clean_text_comes_back_unchanged(engine):
    res = engine.restore(ORIGINAL)
    changed = sum(len(c.spun.split()) for c in res.changes)
    assert changed <= max(1, len(ORIGINAL.split()) // 100)


def test_names_numbers_quotes_and_brackets_survive(engine):
    text = 'Barack Obama (born 1961) said "it is 42 percent" in 2009.'
    res = engine.restore(text)
    for keep in ("Barack Obama", "(born 1961)", '"', "42", "2009"):
        assert keep in res.text


def test_per_type_pooling_changes_every_occurrence_alike(engine):
    text = ("The inventory market rose. Traders said the inventory market was calm. "
            "By noon the inventory market had gained two points.")
    res = engine.restore(text)
    fixed = [c for c in res.changes if c.spun.lower() == "inventory"]
    assert len(fixed) in (0, 3)
    assert len({c.original for c in fixed}) <= 1


def test_learned_words_compose_into_phrase_candidates(engine):
    from unspin import Engine
    from unspin.learn import learn_phrases

    table = learn_phrases([("include extraction", "feature extraction"), ("choice tree", "decision tree")])
    dec = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[table]).decoder
    originals = {o.original: o.learned_p for o in dec.options("include choice", 40)}
    assert originals.get("feature decision", 0) > 0.5
    assert "include choice" not in originals
    # One learned word alone composes nothing: that is the single-word entry's job.
    assert not dec._composed("include the")


def test_a_phrase_list_reads_a_span_as_a_phrase_the_language_model_knows(engine):
    from unspin import Engine
    from unspin.learn import learn_phrases

    # "ocean" -> "sea" is learned; "degree" -> "level" only the lexicon offers. The LM knows "sea level" as a
    # phrase and not "ocean degree": restore reads the span as that phrase.
    table = learn_phrases([("ocean creature", "sea animal")])
    eng = Engine(lexicon=engine.lexicon, lm=engine.lm, vectors=engine.vectors, channels=[table],
                 params=engine.params)
    assert "sea level" in eng.decoder.collocations("ocean degree")
    text = "The ocean degree rose last year."
    assert eng.restore(text).text == "The sea level rose last year."
    # A confident swap next to a word of the list's terms is a reading even where the LM does not know the phrase
    # ("sea animal"); next to another word ("sponge") only a phrase the LM knows is.
    assert eng.decoder.collocations("ocean animal")["sea animal"] == 1.0
    assert "sea sponge" not in eng.decoder.collocations("ocean sponge")
    # None for a span with a function word at an end, nor one without a learned word.
    assert not eng.decoder.collocations("ocean the") and not eng.decoder.collocations("high degree")
    # Without the collocation readings the span stays; detect (and so restore's gate) reads the text as before.
    old = Engine(lexicon=engine.lexicon, lm=engine.lm, vectors=engine.vectors, channels=[table],
                 params=engine.params)
    old.decoder._phrase_tables = []
    assert old.restore(text).text == text
    assert eng.detect(text).to_dict() == old.detect(text).to_dict()


def test_a_phrase_list_rewrites_terms_but_not_names(engine):
    from unspin import Engine
    from unspin.learn import learn_phrases

    table = learn_phrases([("first class", "quality"), ("counterfeit consciousness", "artificial intelligence"),
                           ("profound learning", "deep learning")])
    eng = Engine(lexicon=engine.lexicon, lm=engine.lm, vectors=engine.vectors, channels=[table],
                 params=engine.params)
    res = eng.restore("We trained a model of counterfeit consciousness with profound learning on first class data.")
    assert res.text == "We trained a model of artificial intelligence with deep learning on quality data."
    # The same words as a name (capitals inside a sentence, an acronym) are not the list's lower-case terms.
    for text in ("He served under Sergeant First Class Randy Shughart in Mogadishu.",
                 "We built a model of Counterfeit Consciousness for the test."):
        res = eng.restore(text)
        assert res.text == text, res.changes


def test_a_learned_hyphenated_rewrite_is_undone_and_written_back_with_its_hyphen():
    from unspin import Engine, learn_pairs

    table = learn_pairs([("They sell a red-hot phone and a sparkling laptop.",
                          "They sell a new phone and a brand-new laptop.")] * 3)
    text = "The firm showed a red-hot tablet and a sparkling watch."
    res = Engine(channels=[table]).restore(text)
    assert "a new tablet" in res.text and "a brand-new watch" in res.text
    assert apply_changes(text, res.changes) == res.text
    # A table without hyphenated keys leaves hyphenated words alone as before.
    assert "well-known" in Engine(channels=[learn_pairs([("a big home", "a big house")])]).restore(
        "The well-known home is big.").text


def test_topic_columns_favour_the_original_that_fits_the_wider_context(engine):
    from unspin.params import CANDIDATE_FEATURES

    text = ("The bank said shares fell sharply as the inventory market closed lower on Monday. "
            "Traders sold shares in the banks and investors feared the inventory market would fall further.")
    an = next(engine.analyse(text))
    (d,) = [d for d in an.types if d.key == "inventory"]
    win, doc = CANDIDATE_FEATURES.index("topic_win"), CANDIDATE_FEATURES.index("topic_doc")
    by = {o.original: f for o, f in zip(d.options, d.features, strict=True)}
    assert by["stock"][win] > 1.0 and by["stock"][doc] > 1.0
    assert by["stock"][win] > max(f[win] for o, f in by.items() if o != "stock")


def test_short_forms_are_not_expanded(engine):
    # In a spun document (past the gate); "secs" is all three thesauri's synonym of "seconds".
    text = SPUN + ("\n\nHe ran the 100m in 9.8 secs, two secs faster than last year, and the crowd of 20,000 "
                   "cheered. It took him secs to recover.")
    res = engine.restore(text)
    assert res.spin_score >= engine.params.restore_min_score and res.changes
    assert "seconds" in {o.original for o in engine.decoder.options("secs", 40)}
    assert res.text.count("secs") == 3


def test_names_short_forms_and_spellings_are_not_rewritten(engine):
    from unspin.restore import _SPELLING, _respelling, _us_spelling, _written_as_name, unwritten
    from unspin.text import tokenize

    text = "The Munster coach said the win put Munster top."
    toks = tokenize(text)
    an = engine.decoder.analyse(text)
    (d,) = [d for d in an.types if d.key == "munster"]
    guesses = unwritten(d, text, toks)
    assert "lancashire" in [d.rows[k][0] for k in guesses]  # a word-vector neighbour only
    assert _written_as_name(text, toks, d.occurrences)
    start = "Munster won."
    assert not _written_as_name(start, tokenize(start), [(0, 1)])  # sentence-initial: no evidence either way
    text = "Loans were sold to Fannie Mae in May."
    an = engine.decoder.analyse(text)
    (d,) = [d for d in an.types if d.key == "fannie mae"]
    assert "policy" in [d.rows[k][0] for k in unwritten(d, text, an.tokens)]  # several words read as one
    text = "The White Home said so."
    an = engine.decoder.analyse(text)
    (d,) = [d for d in an.types if d.key == "home"]
    assert "house" not in [d.rows[k][0] for k in unwritten(d, text, an.tokens)]  # one for one inside a name
    def respelling(spun, full):
        return _respelling(spun, _SPELLING.sub(_us_spelling, spun), full)

    assert respelling("bn", "billion") and respelling("net", "internet") and respelling("secs", "seconds")
    assert respelling("visualisation", "visualization") and respelling("colour", "color")
    assert not respelling("pelage", "fur") and not respelling("capturing", "shooting")


def test_names_stay_when_the_pairs_show_the_spinner_leaving_names_alone(engine):
    from unspin import Engine, learn_pairs

    names = ("Then Ann, Ben, Cal, Dan, Eve, Fay, Gus, Hal, Ian, Jo, Kim, Lee, Max, Ned, Oz, Pam, Ray, Sam, Tom "
             "and Uma came.")
    table = learn_pairs([(names + " They sold the home.", names + " They sold the house.")])
    assert table.names == (20.0, 0.0)
    text = "They sold the home. The Home Office agreed."
    an = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[table]).decoder.analyse(text)
    home = [d for d in an.types if d.key == "home"]
    assert [an.tokens[i].text for d in home for i, _ in d.occurrences] == ["home"]
    # Without that evidence (a table counted no names) "Home" is read like any other word.
    table.names = (0.0, 0.0)
    an = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[table]).decoder.analyse(text)
    assert sorted(an.tokens[i].text for d in an.types if d.key == "home" for i, _ in d.occurrences) == ["Home", "home"]


def test_a_form_written_for_several_inflections_is_undone_occurrence_by_occurrence(engine):
    import dataclasses

    from unspin import Engine, learn_pairs

    # A spinner that pastes its synonym's base form: "take" stands for get, got and getting alike.
    pairs = [("We take the keys now.", "We get the keys now."), ("Yesterday they take a prize.",
             "Yesterday they got a prize."), ("It is take cold.", "It is getting cold.")] * 12
    table = learn_pairs(pairs)
    eng = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[table],
                 params=dataclasses.replace(engine.params, aligned_threshold=0.2))
    text = "Last week she take a new job, and now it is take late. They want to take a car."
    (d,) = [d for d in eng.decoder.analyse(text).types if d.key == "take"]
    originals = [o.original for o in d.options]
    assert sorted(originals[k] for k in d.forms) == ["get", "getting", "got"]
    assert [originals[d.at(n)] for n in range(3)] == ["got", "getting", "get"]
    # The inflections count together against keeping "take".
    assert d.margin > d.posterior[d.best + 1] - d.posterior[0]
    res = eng.restore(text)
    assert res.text == "Last week she got a new job, and now it is getting late. They want to get a car."
    assert apply_changes(text, res.changes) == res.text
    # A form the pairs show written for one word only is decided as one type, as before.
    table = learn_pairs([("We take the keys now.", "We get the keys now.")] * 12)
    eng = Engine(lexicon=engine.lexicon, lm=engine.lm, channels=[table], params=eng.params)
    (d,) = [d for d in eng.decoder.analyse(text).types if d.key == "take"]
    assert d.forms == () and d.per_occurrence == ()


def test_a_word_lemminflect_strips_to_nothing_is_restored_without_error(engine):
    # lemminflect's verb rules give "rina" the lemma "", whose inflection rules then failed with an IndexError.
    result = engine.restore("Rina said the house was big.")
    assert result.text.startswith("Rina said")
