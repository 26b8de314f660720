"""Build src/unspin/data/vectors.npz from the word2vec model of scripts/train_embeddings.py (dev-time only).

Keeps the most frequent alphabetic words, each vector scaled to unit length and quantised to int8 with one
float32 scale per row, and a SIF weight a / (a + p(word)) per word (p: the word's share of the training
tokens counted by word2vec), so frequent words count less in a context's mean vector.

    PYTHONPATH=src .venv/bin/python scripts/build_vectors.py [--vectors .build/w2v.kv] [--top 40000]
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

ROOT = Path(__file__).resolve().parents[1]
WORD = re.compile(r"[a-z][a-z'-]*\Z")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vectors", type=Path, default=ROOT / ".build" / "w2v.kv")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "unspin" / "data" / "vectors.npz")
    ap.add_argument("--top", type=int, default=40000)
    ap.add_argument("--sif", type=float, default=1e-4, help="SIF constant a")
    args = ap.parse_args()
    kv = KeyedVectors.load(str(args.vectors))
    counts = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key], dtype=np.float64)
    p = counts / counts.sum()
    keep = [i for i, w in enumerate(kv.index_to_key) if WORD.match(w)][: args.top]  # index order: by count
    words = [kv.index_to_key[i] for i in keep]
    vec = kv.vectors[keep].astype(np.float64)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    scale = np.abs(vec).max(axis=1) / 127.0
    q = np.rint(vec / scale[:, None]).astype(np.int8)
    weight = args.sif / (args.sif + p[keep])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, words=np.frombuffer("\n".join(words).encode("ascii"), dtype=np.uint8), q=q,
             scale=scale.astype(np.float32), weight=weight.astype(np.float32))
    back = q.astype(np.float64) * scale[:, None]
    cos = (back * vec).sum(axis=1) / np.linalg.norm(back, axis=1)
    md5 = hashlib.md5(args.out.read_bytes()).hexdigest()
    print(f"{len(words)} words x {q.shape[1]} dims -> {args.out} ({args.out.stat().st_size} bytes, md5 {md5}); "
          f"quantisation cosine min {cos.min():.5f} mean {cos.mean():.5f}")


if __name__ == "__main__":
    main()
