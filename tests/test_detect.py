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


def test_features_pool_segments_and_average_the_weighed_types():
    import numpy as np

    from unspin.detect import TokenView, features_of_views
    from unspin.params import DETECT_FEATURES

    views = [TokenView(np.array([0.9, 0.0, 0.0]), 0.0, 1.2, 2), TokenView(np.array([0.0]), 0.0, 0.0, 2)]
    f = features_of_views(views)
    assert len(f) == len(DETECT_FEATURES)
    assert f[DETECT_FEATURES.index("mean_p")] == 0.9 / 4
    assert f[DETECT_FEATURES.index("type_mean_p")] == 1.2 / 4
    assert f[-1] == 1.0


def test_content_logp_is_the_content_mean_less_the_function_mean():
    import numpy as np

    from unspin.detect import TokenView, features_of_views
    from unspin.params import DETECT_FEATURES

    views = [TokenView(np.zeros(3), 0.0, 0.0, 0, 3, -12.0, 2, -3.0),
             TokenView(np.zeros(2), 0.0, 0.0, 0, 1, -4.0, 2, -1.0)]
    f = features_of_views(views)
    assert f[DETECT_FEATURES.index("content_logp")] == -16.0 / 4 - -4.0 / 4


def test_swapped_content_words_are_less_likely_in_context_without_the_lexicon(engine):
    from unspin.detect import word_logp

    def gap(text: str) -> float:
        content, content_logp, function, function_logp = word_logp(next(iter(engine.analyse(text))), engine.lm)
        return content_logp / content - function_logp / function

    original = "The government announced new rules for banks on Tuesday, and the minister said they would apply."
    spun = "The regime proclaimed novel statutes for banks on Tuesday, and the secretary commented they would apply."
    assert gap(spun) < gap(original)


def test_text_the_lm_reads_as_predictable_scores_lower_under_the_shipped_detector(engine):
    from unspin.detect import features_of_views, spin_probability, token_view
    from unspin.params import DETECT_FEATURES

    f = features_of_views([token_view(an, engine.lm) for an in engine.analyse(SPUN, detect_only=True)])
    k = DETECT_FEATURES.index("content_logp")
    more_likely = f.copy()
    more_likely[k] += 0.3  # content words a little more likely in context, relative to the function words
    w = engine.params.detect_w
    assert spin_probability(more_likely, w) < spin_probability(f, w)


def test_detect_and_restore_read_the_same_features(engine):
    from unspin.detect import features_of_views, spin_probability, token_view

    views = [token_view(an, engine.lm) for an in engine.analyse(SPUN, detect_only=True)]
    assert engine.detect(SPUN).spin_score == spin_probability(features_of_views(views), engine.params.detect_w)
    assert engine.restore(SPUN).spin_score == engine.detect(SPUN).spin_score
