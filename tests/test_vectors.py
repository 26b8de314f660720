import numpy as np
import pytest

from unspin.errors import UnspinError
from unspin.vectors import Vectors


@pytest.fixture(scope="module")
def vectors():
    return Vectors.default()


def test_shipped_vectors_are_unit_length_and_cover_common_words(vectors):
    for w in ("market", "stock", "shooting", "government"):
        u = vectors.unit(w)
        assert u is not None
        assert abs(float(np.linalg.norm(u)) - 1.0) < 1e-4
    assert vectors.unit("qzxwv") is None
    assert vectors.unit("stock qzxwv") is None  # a phrase needs every word


def test_topic_neighbours_are_closer_than_unrelated_words(vectors):
    market, stock, soup = vectors.unit("market"), vectors.unit("stock"), vectors.unit("soup")
    assert market @ stock > market @ soup


def test_context_rows_are_zero_for_words_without_a_vector(vectors):
    rows = vectors.context_rows(["the", "qzxwv", "market", ","])
    assert rows.shape == (4, vectors.dim)
    assert not rows[1].any() and not rows[3].any()
    assert rows[2].any()


def test_a_bad_file_raises_a_coded_error(tmp_path):
    bad = tmp_path / "v.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(UnspinError, match="E073"):
        Vectors(bad)
