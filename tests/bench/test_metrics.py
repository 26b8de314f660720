import math

from unspin.bench.metrics import (
    clean_changes,
    expected_calibration_error,
    f1_at,
    net_error_reduction,
    roc_auc,
    roc_curve,
    score_restore,
    span_overlap,
    wer,
)
from unspin.bench.spinners import make_spinner

ORIG = "The White House said it will use the new rules to cut costs."


def test_wer():
    assert wer(ORIG, ORIG) == 0
    assert wer("The White Home said it will use the new rules to cut costs.", ORIG) == 1 / 13
    assert wer("The White Home said it will make use of the new rules to cut costs.", ORIG) == 3 / 13


def test_net_error_reduction():
    assert net_error_reduction(0.2, 0.0) == 1.0
    assert net_error_reduction(0.2, 0.2) == 0.0
    assert net_error_reduction(0.2, 0.3) < 0
    assert net_error_reduction(0.0, 0.0) == 0.0


def _doc():
    doc = make_spinner("contentfarm", 1.0).spin(ORIG)
    assert {s.original for s in doc.subs} >= {"White House", "use"}
    return doc


def test_score_identity_restorer():
    doc = _doc()
    sc = score_restore(doc.original, doc.spun, doc.spun, doc.subs).summary()
    assert sc["net_error_reduction"] == 0.0
    assert sc["recall"] == 0.0
    assert sc["damage"] == 0.0


def test_score_perfect_restorer():
    doc = _doc()
    sc = score_restore(doc.original, doc.spun, doc.original, doc.subs).summary()
    assert sc["net_error_reduction"] == 1.0 and sc["recall"] == 1.0 and sc["damage"] == 0.0


def test_score_damage_and_breakdown():
    doc = _doc()
    # Restore everything but "use", and break the untouched word "rules".
    restored = doc.original.replace(" use ", " make use of ").replace("rules", "regulations")
    sc = score_restore(
        doc.original, doc.spun, restored, doc.subs, has_candidate=lambda spun, orig: orig != "use"
    )
    s = sc.summary()
    assert sc.restored == sc.gold - 1
    assert sc.not_in_candidates == 1 and sc.candidate_not_chosen == 0
    assert sc.damaged == 1 and abs(s["damage"] - 1 / sc.untouched) < 1e-4


def test_clean_changes():
    assert clean_changes(ORIG, ORIG) == (0, 13)
    assert clean_changes(ORIG, ORIG.replace("costs", "prices")) == (1, 13)


def test_auc():
    y = [0, 0, 0, 1, 1, 1]
    assert roc_auc(y, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]) == 1.0
    assert roc_auc(y, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]) == 0.0
    assert roc_auc(y, [0.5] * 6) == 0.5
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))
    fpr, tpr = roc_curve(y, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    assert fpr[0] == 0 and tpr[-1] == 1 and fpr[-1] == 1


def test_f1_ece_spans():
    y = [0, 1, 1, 0]
    f = f1_at(y, [0.2, 0.9, 0.4, 0.6])
    assert f["precision"] == 0.5 and f["recall"] == 0.5
    assert expected_calibration_error([0, 1], [0.0, 1.0]) == 0.0
    assert abs(expected_calibration_error([0, 0], [0.95, 0.95]) - 0.95) < 1e-9
    assert span_overlap([(0, 5), (10, 12)], [(3, 6), (20, 22)]) == (1, 1)
