"""Compile the reverse thesaurus src/unspin/data/lexicon.sqlite from the thesauri and word2vec neighbours.

Usage: .venv/bin/python scripts/build_lexicon.py [--vectors .build/w2v.kv] [--out PATH]
Needs the Debian packages wordnet-base, mythes-en-us and libaiksaurus-1.2-data, and the vectors made by
scripts/train_embeddings.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import sqlite3
import subprocess
import sys
import time
import zlib
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
from lemminflect import getAllLemmas
from wordfreq import zipf_frequency

from unspin.lexicon import FIXED, FORMAT_VERSION, POS_CODES, RANKED, RECORD, Source, score
from unspin.lexicon.builtin import iter_builtin
from unspin.lexicon.sources import DEBIAN_PACKAGES, iter_pairs, iter_wordnet_related

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("build_lexicon")

SRC_INDEX = {s: i for i, s in enumerate(RANKED)}
_BITS = tuple(int(s) for s in RANKED)
PER_SOURCE_FLOOR = 15
THESAURI = (("wordnet", Source.WORDNET), ("mythes", Source.MYTHES), ("moby", Source.MOBY))
_TERM_RE = re.compile(r"^[a-z][a-z'\-]*(?: [a-z][a-z'\-]*){0,4}$")


def position_rank(i: int) -> float:
    """Strength of the i-th listed synonym (0-based): spinners favour the first ones."""
    return 1.0 / (1.0 + i / 4.0)


class Builder:
    def __init__(self, key_min: float, orig_min: float, max_words: int) -> None:
        self.key_min, self.orig_min, self.max_words = key_min, orig_min, max_words
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self._zipf: dict[str, float] = {}
        # (key id, original id, pos code) -> [source bits, cosine, rank per RANKED source]
        self.pairs: dict[tuple[int, int, int], list[float]] = {}

    def zipf(self, term: str) -> float:
        z = self._zipf.get(term)
        if z is None:
            z = self._zipf[term] = zipf_frequency(term, "en")
        return z

    def ok(self, term: str, minimum: float) -> bool:
        return (
            len(term.split(" ")) <= self.max_words
            and _TERM_RE.match(term) is not None
            and self.zipf(term) >= minimum
        )

    def tid(self, term: str) -> int:
        i = self.ids.get(term)
        if i is None:
            i = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return i

    def add(self, key: str, orig: str, pos: int, source: Source, rank: float, sim: float = 0.0) -> None:
        k = (self.tid(key), self.tid(orig), pos)
        rec = self.pairs.get(k)
        if rec is None:
            rec = self.pairs[k] = [0, sim] + [0.0] * len(RANKED)
        rec[0] = int(rec[0]) | int(source)
        rec[1] = max(rec[1], sim)
        j = 2 + SRC_INDEX[source]
        rec[j] = max(rec[j], rank)


def add_thesauri(b: Builder, names: set[str]) -> None:
    for name, flag in THESAURI:
        if name not in names:
            continue
        t0 = time.time()
        position: dict[str, int] = defaultdict(int)
        n = 0
        for head, syn, pos in iter_pairs(name):
            i = position[head]
            position[head] = i + 1
            r = position_rank(i)
            code = POS_CODES[pos]
            # A spinner saw `head` and wrote `syn`: the forward listing is the strong evidence.
            if b.ok(syn, b.key_min) and b.ok(head, b.orig_min):
                b.add(syn, head, code, flag, r)
                n += 1
            # The reverse swap (saw `syn`, wrote `head`) is only implied: half weight.
            if b.ok(head, b.key_min) and b.ok(syn, b.orig_min):
                b.add(head, syn, code, flag, 0.5 * r)
                n += 1
        log.info("%s: %d directed pairs in %.1f s", name, n, time.time() - t0)
    # WordNet's hypernym and similar-to links are what MyThes and many spinner tables add to synonyms
    # ("house" -> "home", "big" -> "ample"); they count as WordNet at a lower rank.
    position = defaultdict(int)
    n = 0
    related = iter_wordnet_related() if "wordnet" in names else iter(())
    for head, word, pos, _rel in related:
        i = position[head]
        position[head] = i + 1
        r = 0.5 * position_rank(i)
        code = POS_CODES[pos]
        # Forward only: the reverse of a hypernym link is a hyponym swap ("year" -> "school year"),
        # which spinners seldom make and which costs precision on clean text.
        if b.ok(word, b.key_min) and b.ok(head, b.orig_min):
            b.add(word, head, code, Source.WORDNET, r)
            n += 1
    log.info("wordnet relations: %d directed pairs", n)


def add_builtin(b: Builder) -> None:
    position: dict[str, int] = defaultdict(int)
    for orig, spun, pos in iter_builtin():
        i = position[orig]
        position[orig] = i + 1
        b.add(spun, orig, POS_CODES[pos] if pos else FIXED, Source.BUILTIN, position_rank(i))


def _lemmas(word: str) -> set[str]:
    return {lemma for ls in getAllLemmas(word).values() for lemma in ls} | {word}


def add_embeddings(
    b: Builder, vectors: Path, n_keys: int, n_neighbours: int, min_cos: float
) -> dict[str, np.ndarray]:
    """Add word2vec neighbours of the most frequent words; return unit vectors for cosine features."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load(str(vectors))
    words = kv.index_to_key
    mat = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    alpha = [i for i, w in enumerate(words) if w.isalpha() and w.isascii()]
    rows = np.array(alpha[:n_keys])
    cand_rows = np.array(alpha[: n_keys * 2])
    cand = mat[cand_rows]
    n = 0
    for start in range(0, len(rows), 2048):
        batch = rows[start : start + 2048]
        sims = mat[batch] @ cand.T
        top = np.argpartition(-sims, n_neighbours + 8, axis=1)[:, : n_neighbours + 8]
        for bi, r in enumerate(batch):
            w = words[r]
            if not b.ok(w, b.key_min):
                continue
            order = top[bi][np.argsort(-sims[bi, top[bi]])]
            own = _lemmas(w)
            i = 0
            for c in order:
                o = words[cand_rows[c]]
                cos = float(sims[bi, c])
                if o == w or cos < min_cos or own & _lemmas(o) or not b.ok(o, b.orig_min):
                    continue
                b.add(w, o, FIXED, Source.EMBED, position_rank(i), cos)
                n += 1
                i += 1
                if i >= n_neighbours:
                    break
    log.info("embeddings: %d neighbour pairs for %d words", n, len(rows))
    return {w: mat[i] for i, w in enumerate(words)}


def add_cosines(b: Builder, unit: dict[str, np.ndarray]) -> None:
    """Embedding cosine for every pair whose words all have vectors (phrases: mean of word vectors)."""
    dim = len(next(iter(unit.values())))
    vecs = np.zeros((len(b.terms), dim), dtype=np.float32)
    for i, t in enumerate(b.terms):
        ws = t.split(" ")
        if all(w in unit for w in ws):
            v = np.sum([unit[w] for w in ws], axis=0)
            vecs[i] = v / (np.linalg.norm(v) or 1.0)
    keys = np.array([k for k, _, _ in b.pairs], dtype=np.int64)
    origs = np.array([o for _, o, _ in b.pairs], dtype=np.int64)
    cos = np.einsum("ij,ij->i", vecs[keys], vecs[origs])
    for rec, c in zip(b.pairs.values(), cos, strict=True):
        if rec[1] == 0.0:
            rec[1] = float(c)


def write(b: Builder, out: Path, max_per_key: int, meta: dict[str, str]) -> None:
    by_key: dict[int, list[tuple[float, int, int, list[float]]]] = defaultdict(list)
    for (k, o, pos), rec in b.pairs.items():
        extra = max(0, b.terms[o].count(" ") - b.terms[k].count(" "))
        s = score(int(rec[0]), max(rec[2:]), rec[1], b.zipf(b.terms[o]), extra)
        by_key[k].append((s, o, pos, rec))
    used: dict[int, int] = {}
    entries: list[tuple[str, bytes]] = []
    n_rec = 0
    for k, cands in by_key.items():
        cands.sort(key=lambda c: -c[0])
        # Beyond the overall best, keep each source's own best few, so leaving a source out (or
        # facing a spinner built on one source) still finds that source's first choices.
        per_source: dict[int, int] = defaultdict(int)
        kept = []
        for j, c in enumerate(cands):
            bits = [bit for bit in _BITS if int(c[3][0]) & bit]
            if j < max_per_key or any(per_source[bit] < PER_SOURCE_FLOOR for bit in bits):
                kept.append(c)
            for bit in bits:
                per_source[bit] += 1
        cands = kept
        rows = []
        for _, o, pos, rec in cands:
            if o not in used:
                used[o] = len(used)
            sim = int(round(max(-1.0, min(1.0, rec[1])) * 127))
            rows.append((used[o], pos, int(rec[0]), sim, *(int(round(r * 255)) for r in rec[2:])))
        arr = np.array(rows, dtype=RECORD)
        n_rec += len(arr)
        entries.append((b.terms[k], zlib.compress(arr.tobytes(), 9)))
    vocab = sorted(used, key=used.__getitem__)
    words = "\n".join(b.terms[o] for o in vocab).encode("utf-8")
    zipf = bytes(min(255, int(round(b.zipf(b.terms[o]) * 10))) for o in vocab)
    meta |= {
        "format_version": str(FORMAT_VERSION),
        "keys": str(len(entries)),
        "records": str(n_rec),
        "originals": str(len(vocab)),
        "max_words": str(max(4, max(len(k.split(" ")) for k, _ in entries))),
    }
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.executescript(
        """
        PRAGMA page_size = 4096;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE vocab (words BLOB NOT NULL, zipf BLOB NOT NULL);
        -- A rowid table keeps the ~1 kB candidate blobs on their own pages (no overflow chains).
        CREATE TABLE entry (key TEXT PRIMARY KEY, cands BLOB NOT NULL);
        """
    )
    db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    db.execute("INSERT INTO vocab VALUES (?, ?)", (words, zipf))
    db.executemany("INSERT INTO entry VALUES (?, ?)", sorted(entries))
    db.commit()
    db.execute("VACUUM")
    db.close()
    tmp.replace(out)
    log.info("wrote %s: %d keys, %d records, %.1f MB", out, len(entries), n_rec, out.stat().st_size / 1e6)


def package_version(pkg: str) -> str:
    try:
        return subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vectors", type=Path, default=ROOT / ".build" / "w2v.kv")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "unspin" / "data" / "lexicon.sqlite")
    ap.add_argument("--key-min-zipf", type=float, default=1.5)
    ap.add_argument("--orig-min-zipf", type=float, default=2.5)
    ap.add_argument("--no-moby", action="store_true", help="leave out the Moby (Aiksaurus) thesaurus")
    ap.add_argument("--max-words", type=int, default=5)
    ap.add_argument("--max-per-key", type=int, default=90)
    ap.add_argument("--embed-words", type=int, default=50000)
    ap.add_argument("--embed-neighbours", type=int, default=20)
    ap.add_argument("--embed-min-cos", type=float, default=0.35)
    args = ap.parse_args()
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)
    b = Builder(args.key_min_zipf, args.orig_min_zipf, args.max_words)
    names = {"wordnet", "mythes"} if args.no_moby else {"wordnet", "mythes", "moby"}
    add_thesauri(b, names)
    add_builtin(b)
    meta = {
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sources": ",".join(sorted(names)) + ",embed,builtin",
        "licence": "CC BY-SA 3.0 as a whole (embedding neighbours derived from English Wikipedia, by "
        "Wikipedia contributors); WordNet 3.0 licence (Princeton University); LibreOffice en_US thesaurus "
        "(MyThes, from WordNet); Moby thesaurus by Grady Ward, public domain, read from Aiksaurus data "
        "(Debian declares the Aiksaurus package GPL-2+); see SOURCES.md",
        "wordfreq": version("wordfreq"),
        "lemminflect": version("lemminflect"),
        "args": " ".join(f"{k}={v}" for k, v in sorted(vars(args).items()) if k not in ("out",)),
    }
    for pkg in DEBIAN_PACKAGES.values():
        meta[f"debian:{pkg}"] = package_version(pkg)
    if args.vectors.exists():
        unit = add_embeddings(b, args.vectors, args.embed_words, args.embed_neighbours, args.embed_min_cos)
        add_cosines(b, unit)
        meta["embeddings"] = f"word2vec {args.vectors.name} ({len(unit)} words), gensim {version('gensim')}"
    else:
        log.warning("no vectors at %s: building without embeddings", args.vectors)
    write(b, args.out, args.max_per_key, meta)
    # The decoder's candidate lists of frequent words, stored in the file (scripts/store_ranked.py).
    subprocess.run([sys.executable, str(ROOT / "scripts" / "store_ranked.py"), "--lexicon", str(args.out)], check=True)


if __name__ == "__main__":
    main()
