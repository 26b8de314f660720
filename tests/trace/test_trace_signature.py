import numpy as np
from tracedata import wiki_docs

from unspin.trace.signature import Sketcher, chunk_features, chunks, features, word_arrays, words

EDGE_TEXTS = [
    "",
    "Two words",
    "Paris London Rome",  # three words, all immutable after the first
    "x " * 30 + "\n\nThe 12 Big Apple of New York, 14 days.\n\n" + "the of and " * 60,  # a stop-word-only chunk
    "A short one.\n\nThen, 1,500 people in Leeds and Bradford met the Mayor of Leeds on 3 May 2001.",
]


def _texts():
    return [d["text"] for d in wiki_docs(150, skip=400, paras=2)] + EDGE_TEXTS


def test_batched_chunk_features_equal_features_chunk_by_chunk():
    texts = _texts()
    parsed = [(words(t), chunks(t)) for t in texts]
    expected = []  # (position among all chunks, features) of each chunk with any shingles
    g = 0
    for w, spans in parsed:
        arrays = word_arrays(w)
        for a, b in spans:
            f = features(w, a, b, arrays)
            if len(f):
                expected.append((g, f))
            g += 1
    which, starts, values = chunk_features(parsed)
    assert which.tolist() == [k for k, _ in expected]
    ends = list(starts[1:]) + [len(values)]
    for (_, f), a, b in zip(expected, starts, ends, strict=True):
        assert np.array_equal(values[a:b], f)
    assert any(len(spans) > 1 for _, spans in parsed) and g > len(expected)  # several chunks; some without shingles


def test_sketch_rows_equal_datasketch_minhashes():
    sketcher = Sketcher(64, 7)
    which, starts, values = chunk_features([(words(t), chunks(t)) for t in _texts()])
    rows = sketcher.sketch_rows(values, starts)
    ends = list(starts[1:]) + [len(values)]
    assert rows.shape == (len(which), 64)
    for row, a, b in zip(rows, starts, ends, strict=True):  # datasketch's own MinHash.update_batch
        assert np.array_equal(row, sketcher.sketch(values[a:b]).hashvalues)
    big = np.arange(20_000, dtype=np.uint64) * np.uint64(2654435761) % np.uint64(2**32)  # a set over one block
    assert np.array_equal(sketcher.sketch_rows(big, np.array([0]))[0], sketcher.sketch(big).hashvalues)
    assert sketcher.sketch_rows(values[:0], starts[:0]).shape == (0, 64)
