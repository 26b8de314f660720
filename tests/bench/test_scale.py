import os

import pytest
from conftest import SHARED

from unspin.bench import scale


def test_tree_pss_counts_this_process():
    assert scale._tree_pss_kb(os.getpid()) > 1000


@pytest.mark.skipif(not (SHARED / "corpora" / "wikipedia-en").is_dir(), reason="shared corpora absent")
def test_memory_job_measures_a_real_batch_run(tmp_path):
    res = scale.job_memory({"clean_mb": [0.5], "detect_mb": []}, tmp_path)
    (r,) = res["clean"]
    assert r["input_mb"] >= 0.5 and r["rows"] > 10
    assert 10 < r["peak_pss_mb"] < 1536
    assert "words/s" in r["summary"]
    assert not list(tmp_path.iterdir())  # inputs and outputs are removed


def test_ceiling_job_times_real_detect_processes(tmp_path):
    texts = ["The White Home said on Monday that the inventory market fell sharply in early trading."] * 4
    res = scale.job_ceiling(texts, tmp_path)
    assert res["one_process_s"] > 0.2 and res["two_processes_s"] > 0.2  # each process loads the models
    assert res["ratio"] == pytest.approx(res["one_process_s"] / res["two_processes_s"])
    halves = [(tmp_path / f"half{i}.txt").read_text(encoding="utf-8").count("\n") for i in (0, 1)]
    assert halves == [2, 2]
