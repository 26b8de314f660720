"""Word vectors for the decoder's wider-context feature: how well a word fits the topic of the words around it.

The shipped file (`data/vectors.npz`, see SOURCES.md) holds word2vec vectors trained on English Wikipedia,
unit length, quantised to int8 with one scale per row, and a SIF weight per word that damps frequent words
in a context's mean vector.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import E, UnspinError


class Vectors:
    """Unit word vectors (int8 rows times a scale) and context weights, looked up by lower-case word."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            with np.load(self.path, allow_pickle=False) as z:
                words = z["words"].tobytes().decode("ascii").split("\n")
                q, scale, weight = z["q"], z["scale"].astype(np.float32), z["weight"].astype(np.float32)
        except (OSError, KeyError, ValueError) as exc:
            raise UnspinError(E.BAD_VECTORS.format(path=self.path, detail=exc)) from exc
        if not (len(words) == q.shape[0] == scale.shape[0] == weight.shape[0]):
            raise UnspinError(E.BAD_VECTORS.format(path=self.path, detail="arrays of different lengths"))
        self.index = {w: i for i, w in enumerate(words)}
        self.q = q
        self.scale = scale
        # A context's sum takes each word's vector times its SIF weight: fold both into one factor per row.
        self.ctx_scale = scale * weight
        self.dim = int(q.shape[1])
        self._phrase: dict[str, np.ndarray | None] = {}

    @classmethod
    def default(cls) -> Vectors:
        """The shipped vectors (src/unspin/data/vectors.npz)."""
        return cls(Path(str(resources.files("unspin").joinpath("data", "vectors.npz"))))

    def context_rows(self, forms: list[str]) -> np.ndarray:
        """Each token's SIF-weighted vector (zeros for a word without a vector), as (len(forms), dim) float32."""
        index = self.index
        ids = np.fromiter((index.get(f, -1) for f in forms), dtype=np.int64, count=len(forms))
        out = np.zeros((len(forms), self.dim), dtype=np.float32)
        have = ids >= 0
        if have.any():
            got = ids[have]
            out[have] = self.q[got].astype(np.float32) * self.ctx_scale[got, None]
        return out

    def unit(self, phrase: str) -> np.ndarray | None:
        """The unit mean vector of a phrase's words, or None when a word has no vector."""
        got = self._phrase.get(phrase, False)
        if got is False:
            if len(self._phrase) > 200_000:
                self._phrase.clear()
            got = None
            words = phrase.split()
            v = None
            if len(words) == 1:  # most phrases: the row itself, as the sum over one row is
                i = self.index.get(words[0], -1)
                if i >= 0:
                    v = self.q[i].astype(np.float32) * self.scale[i]
            elif words:
                ids = [self.index.get(w, -1) for w in words]
                if min(ids) >= 0:
                    v = (self.q[ids].astype(np.float32) * self.scale[ids, None]).sum(axis=0)
            if v is not None:
                norm = float(np.sqrt(v.dot(v)))  # what np.linalg.norm computes for a vector
                if norm > 0:
                    got = v / norm
            self._phrase[phrase] = got
        return got  # type: ignore[return-value]  # the False sentinel never survives the branch above

    def memo_size(self) -> int:
        return len(self._phrase)

    def clear_memo(self) -> None:
        self._phrase.clear()
