"""Line-level precision/recall/F1 of ``unspin.clean`` on page fixtures, and plain-text throughput."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from unspin.clean import clean

PAGE_SUFFIXES = (".txt", ".html")
EXPECTED_SUFFIX = ".expected.txt"


def _norm_lines(text: str) -> list[str]:
    return [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()]


def fixture_pages(directory: Path) -> list[tuple[Path, Path]]:
    """(page, expected) pairs in ``directory``: NAME.txt or NAME.html with NAME.expected.txt."""
    pairs = []
    for page in sorted(directory.iterdir()):
        if page.name.endswith(EXPECTED_SUFFIX) or page.suffix not in PAGE_SUFFIXES:
            continue
        expected = page.with_name(page.name[: -len(page.suffix)] + EXPECTED_SUFFIX)
        if expected.exists():
            pairs.append((page, expected))
    return pairs


def score_page(page: Path, expected: Path) -> tuple[int, int, int]:
    """(true positives, predicted, expected) lines, compared as multisets with whitespace collapsed."""
    raw = page.read_text(encoding="utf-8")
    pred = Counter(_norm_lines(clean(raw, html=page.suffix == ".html").text))
    gold = Counter(_norm_lines(expected.read_text(encoding="utf-8")))
    tp = sum((pred & gold).values())
    return tp, sum(pred.values()), sum(gold.values())


def prf(tp: int, npred: int, ngold: int) -> dict[str, float]:
    p = tp / npred if npred else 1.0
    r = tp / ngold if ngold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def score_dir(directory: Path, suffix: str | None = None) -> dict[str, Any]:
    """Micro-averaged line P/R/F1 over the fixtures in ``directory`` (only pages ending in ``suffix``)."""
    tp = npred = ngold = pages = 0
    for page, expected in fixture_pages(directory):
        if suffix and page.suffix != suffix:
            continue
        a, b, c = score_page(page, expected)
        tp, npred, ngold, pages = tp + a, npred + b, ngold + c, pages + 1
    return {"pages": pages, **prf(tp, npred, ngold)}


def throughput(directory: Path, target_mb: float = 8.0, runs: int = 5) -> float:
    """Median MB (UTF-8) per CPU-second of plain-text cleaning over a concatenation of the text fixtures."""
    pages = [p.read_text(encoding="utf-8") for p, _ in fixture_pages(directory) if p.suffix == ".txt"]
    if not pages:
        return 0.0
    unit = "\n\n".join(pages)
    reps = max(1, int(target_mb * 1e6 / len(unit.encode("utf-8"))))
    big = "\n\n".join([unit] * reps)
    mb = len(big.encode("utf-8")) / 1e6
    times = []
    for _ in range(runs):
        t0 = time.process_time()  # CPU time: one core, whatever else the machine runs
        clean(big, html=False)
        times.append(time.process_time() - t0)
    return mb / statistics.median(times)


def run_clean_bench(fixtures_dir: str | Path) -> dict[str, Any]:
    """Line P/R/F1 per fixture split and format, and plain-text MB per CPU-second.

    Splits: dev/ (tuned on), heldout/ (generated like dev, scored only at the end) and wild/
    (hand-written pages in other layouts, never tuned on).
    """
    root = Path(fixtures_dir)
    out: dict[str, Any] = {}
    for split in ("dev", "heldout", "wild"):
        d = root / split
        if d.is_dir():
            out[split] = {"text": score_dir(d, ".txt"), "html": score_dir(d, ".html"), "all": score_dir(d)}
    out["text_mb_per_s"] = throughput(root / "dev")
    return out
