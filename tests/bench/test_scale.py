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
