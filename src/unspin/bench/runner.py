"""`unspin bench`: spin held-out text with every profile, restore and detect it, say why quality falls short.

This module is the benchmark's own report, so it prints (to stdout at the end, progress to stderr).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unspin.bench import metrics as M
from unspin.bench.spinners import PROFILE_SOURCE, PROFILES, SpunDoc, make_spinner
from unspin.text import match_case_phrase, tokenize

SHARED = Path(os.environ.get("UNSPIN_SHARED", Path(__file__).resolve().parents[3] / ".." / "shared")).resolve()
BBC = SHARED / "corpora" / "bbc" / "dev.jsonl"
WIKI = SHARED / "corpora" / "wikipedia-en" / "enwiki-04.jsonl.gz"
TORTURED = SHARED / "data" / "tortured" / "pps_learn.tsv"
WIKI_HELD_OUT = 200  # the last 200 articles of shard 04: the shipped LM and embeddings leave them out
MAX_DOC_WORDS = 450

# Sizes keep quick within ~5 minutes and full within ~45 on 2 cores at issue 2's speed targets.
SUITES: dict[str, dict[str, Any]] = {
    "quick": {
        "rates": (0.15, 0.35),
        "docs": 10,
        "detect_docs": 20,
        "clean_docs": 16,
        "clean_news_docs": 100,
        "learn_profiles": ("contentfarm",),
        "learn_sizes": (10, 50, 200),
        "learn_eval_docs": 8,
        "tortured": 200,
        "pool_compare": True,
        "pool_docs": 30,
        "throughput_words": 4000,
        "workers": 2,
    },
    "full": {
        "rates": (0.10, 0.15, 0.35, 0.50),
        "docs": 30,
        "detect_docs": 60,
        "clean_docs": 60,
        "clean_news_docs": 300,
        "learn_profiles": tuple(PROFILES),
        "learn_sizes": (10, 50, 200),
        "learn_eval_docs": 20,
        "tortured": None,
        "pool_compare": True,
        "pool_docs": 200,
        "throughput_words": 20000,
        "workers": max(1, min(4, os.cpu_count() or 1)),
    },
}
CARRIERS = (
    "In this paper we study {} in detail.",
    "Recent results show that {} is widely used.",
    "The proposed method relies on {} to reach good accuracy.",
)


def _say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    id: str
    text: str


def _truncate(text: str, limit: int = MAX_DOC_WORDS) -> str:
    out, n = [], 0
    for para in text.split("\n\n"):
        out.append(para)
        n += len(para.split())
        if n >= limit:
            break
    return "\n\n".join(out)


def load_docs() -> tuple[list[Doc], list[Doc]]:
    """(BBC dev docs deduplicated by body, held-out Wikipedia docs), each truncated to about 450 words."""
    seen: set[str] = set()
    bbc = []
    with BBC.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            body = row["text"].strip()
            if body in seen or len(body.split()) < 80:
                continue
            seen.add(body)
            bbc.append(Doc(row["id"], _truncate(body)))
    # Shuffle by a hash of the id, so every suite samples all five categories alike.
    bbc.sort(key=lambda d: hashlib.md5(d.id.encode()).hexdigest())
    with gzip.open(WIKI, "rt", encoding="utf-8") as fh:
        # The first half of the held-out tail fits the decoder's weights (scripts/fit_params.py): use the second.
        rows = [json.loads(line) for line in fh][-WIKI_HELD_OUT // 2 :]
    wiki = [Doc(r["id"], _truncate(r["text"])) for r in rows if len(r["text"].split()) >= 80]
    return bbc, wiki


def split_docs(bbc: Sequence[Doc], wiki: Sequence[Doc], cfg: dict[str, Any]) -> dict[str, list[Doc]]:
    """The suite's document sets; the clean set takes the held-out Wikipedia articles the others leave."""
    n, n_det = cfg["docs"], cfg["detect_docs"]
    used = set(range(n // 2)) | set(range(40, 40 + n_det // 2))
    spare = [d for i, d in enumerate(wiki) if i not in used]
    return {
        "eval": _mix(bbc, wiki, n, 0),
        "detect": _mix(bbc, wiki, n_det, 40),
        "clean": _mix(bbc[100:], spare, cfg["clean_docs"]),
        "learn_eval": list(bbc[300 : 300 + cfg["learn_eval_docs"]]),
        "train": list(bbc[400 : 400 + max(cfg["learn_sizes"])]),
        "clean_news": list(bbc[700 : 700 + cfg["clean_news_docs"]]),
    }


def _mix(bbc: Sequence[Doc], wiki: Sequence[Doc], n: int, offset: int = 0) -> list[Doc]:
    """n documents, alternating BBC and Wikipedia, starting at `offset` in each."""
    half = n // 2
    return list(bbc[offset : offset + n - half]) + list(wiki[offset : offset + half])


# --- restorers ------------------------------------------------------------------------------------

Restorer = Callable[[str], tuple[str, int]]
Detector = Callable[[str], tuple[float, list[tuple[int, int]]]]


def identity(text: str) -> tuple[str, int]:
    return text, 0


class TableLookup:
    """The tortured-phrase screeners' baseline: replace every known spun phrase by its listed original."""

    def __init__(self, table: Any, min_prob: float = 0.5) -> None:
        # Only forms that stood for something else more often than for themselves, as a screener's list.
        self.entries = {k: v[0].original for k, v in table.entries.items() if v and v[0].prob >= min_prob}
        self.max_words = max((k.count(" ") + 1 for k in self.entries), default=0)

    def __call__(self, text: str) -> tuple[str, int]:
        from unspin.text import lm_form

        toks = [t for t in tokenize(text) if t.text[0].isalnum()]
        out, pos, i, n_changes = [], 0, 0, 0
        while i < len(toks):
            for n in range(min(self.max_words, len(toks) - i), 0, -1):
                span = toks[i : i + n]
                if any(text[a.end : b.start] != " " for a, b in zip(span, span[1:], strict=False)):
                    continue
                orig = self.entries.get(" ".join(lm_form(t.text) for t in span))
                if orig is not None:
                    out += [
                        text[pos : span[0].start],
                        match_case_phrase(orig, text[span[0].start : span[-1].end]),
                    ]
                    pos, i, n_changes = span[-1].end, i + n, n_changes + 1
                    break
            else:
                i += 1
        out.append(text[pos:])
        return "".join(out), n_changes


def _engine_restorer(eng: Any) -> Restorer:
    def restore(text: str) -> tuple[str, int]:
        res = eng.restore(text)
        return res.text, len(res.changes)

    return restore


def _engine_detector(eng: Any) -> Detector:
    def detect(text: str) -> tuple[float, list[tuple[int, int]]]:
        res = eng.detect(text)
        return float(res.spin_score), [(s.start, s.end) for s in res.spans]

    return detect


# Worker state: the engines are built once per process (SQLite handles do not survive a fork).
_ENGINES: dict[tuple[int, bool], Any] = {}
_ENGINE_ERROR: list[str] = []
ENGINE_ARGS: dict[str, Any] = {}  # lexicon= / lm= paths to benchmark instead of the shipped models
# The parent's Params, inherited by forked workers: every engine of a run decodes with the same weights,
# even if params.json is rewritten while the benchmark runs.
_SNAPSHOT: dict[str, Any] = {}


def engine(exclude: int = 0, pool: bool = True, channels: Sequence[Any] = ()) -> Any:
    """The shipped engine (shared lexicon and LM), or None when it cannot be built here."""
    if _ENGINE_ERROR:
        return None
    try:
        from unspin import Engine

        base = _ENGINES.get((0, True))
        if base is None:
            base = _ENGINES[(0, True)] = Engine(**ENGINE_ARGS, params=_SNAPSHOT.get("params"))
            _SNAPSHOT.setdefault("params", base.params)
        if not channels and (exclude, pool) == (0, True):
            return base
        if channels:
            return Engine(
                lexicon=base.lexicon,
                lm=base.lm,
                vectors=base.vectors,
                names=base.names,
                channels=list(channels),
                exclude_sources=exclude,
                pool=pool,
                params=base.params,
            )
        key = (exclude, pool)
        if key not in _ENGINES:
            _ENGINES[key] = Engine(
                lexicon=base.lexicon, lm=base.lm, vectors=base.vectors, names=base.names, exclude_sources=exclude,
                pool=pool,
                params=base.params,
            )
        return _ENGINES[key]
    except Exception as exc:  # noqa: BLE001 - any failure means "no engine": report it and run the baselines
        _ENGINE_ERROR.append(f"{type(exc).__name__}: {exc}")
        return None


def _candidate_check(exclude: int, channels: Sequence[Any] = ()) -> Callable[[str, str], bool] | None:
    eng = engine()
    if eng is None:
        return None
    from unspin.lexicon import Source
    from unspin.text import lm_form

    lex = eng.lexicon

    def has(spun: str, original: str) -> bool:
        want = original.lower()
        key = " ".join(lm_form(t.text) for t in tokenize(spun))
        if any(e.original == lm_form(original) or e.original == want for ch in channels for e in ch.get(key)):
            return True
        try:
            cands = lex.candidates(spun.lower(), exclude=Source(exclude))
        except Exception:  # noqa: BLE001 - a lookup failure counts as "not among the candidates"
            return False
        return any(c.original.lower() == want for c in cands)

    return has


# --- sections (each runs in a worker) ------------------------------------------------------------

_DOCS: dict[str, list[Doc]] = {}


def _spin_all(
    profile: str, rate: float, docs: Iterable[Doc], seed: int = 1, per_occurrence: bool = False
) -> list[SpunDoc]:
    sp = make_spinner(profile, rate, seed=seed, per_occurrence=per_occurrence)
    return [sp.spin(d.text) for d in docs]


def _score(spun: Sequence[SpunDoc], restorer: Restorer, has: Callable[[str, str], bool] | None) -> dict[str, Any]:
    total = M.RestoreScore()
    errors = 0
    t0 = time.perf_counter()
    for d in spun:
        try:
            restored, n = restorer(d.spun)
        except Exception:  # noqa: BLE001 - a failed document counts as unrestored, and is counted
            restored, n, errors = d.spun, 0, errors + 1
        total += M.score_restore(d.original, d.spun, restored, d.subs, n, has)
    out: dict[str, Any] = total.summary()
    if has is None:  # without a lexicon there is no candidate list to blame
        out["err_not_in_candidates"] = out["err_candidate_not_chosen"] = None
    out["sub_share"] = round(total.gold / max(total.ref_words, 1), 4)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["failed_docs"] = errors
    out["examples"] = total.examples[:6]
    return out


def job_restore(profile: str, rate: float, loso: bool, per_occurrence: bool, pool: bool) -> dict[str, Any]:
    spun = _spin_all(profile, rate, _DOCS["eval"], per_occurrence=per_occurrence)
    exclude = PROFILE_SOURCE[profile] if loso else 0
    eng = engine(exclude, pool)
    res = {"profile": profile, "rate": rate, "loso": loso, "per_occurrence": per_occurrence, "pool": pool}
    if eng is None:
        res["engine"] = "unavailable"
        res.update(_score(spun, identity, None))
    else:
        res.update(_score(spun, _engine_restorer(eng), _candidate_check(exclude)))
    return res


def job_pooled(profile: str, rate: float, loso: bool, n_docs: int) -> dict[str, Any]:
    """`batch --pool` on a corpus of `n_docs` from one spinner: the evaluation documents plus training ones."""
    from unspin.pipeline.pool import pooled_table

    spun = _spin_all(profile, rate, _DOCS["eval"])
    more = _spin_all(profile, rate, _DOCS["train"][: max(0, n_docs - len(spun))])
    exclude = PROFILE_SOURCE[profile] if loso else 0
    res: dict[str, Any] = {"profile": profile, "rate": rate, "loso": loso, "eval_docs": len(spun)}
    eng = engine(exclude)
    if eng is None:
        res["engine"] = "unavailable"
        return res
    t0 = time.perf_counter()
    got = pooled_table(eng, [d.spun for d in spun + more])
    res["pool_seconds"] = round(time.perf_counter() - t0, 1)
    res.update(got.summary())
    tables = [got.table] if got.table is not None else []
    res.update(_score(spun, _engine_restorer(engine(exclude, True, tables)), _candidate_check(exclude, tables)))
    return res


def job_pooled_clean() -> dict[str, Any]:
    """`batch --pool` over the clean documents: how many of their words the pooled table changes."""
    from unspin.pipeline.pool import pooled_table

    eng = engine()
    if eng is None:
        return {"engine": "unavailable"}
    got = pooled_table(eng, [d.text for d in _DOCS["clean"]])
    restorer = _engine_restorer(engine(0, True, [got.table]) if got.table is not None else eng)
    changed = words = 0
    for d in _DOCS["clean"]:
        c, w = M.clean_changes(d.text, restorer(d.text)[0])
        changed, words = changed + c, words + w
    share = round(changed / max(words, 1), 5)
    return {**got.summary(), "words": words, "changed_words": changed, "changed_share": share}


def job_clean() -> dict[str, Any]:
    eng = engine()
    restorer = identity if eng is None else _engine_restorer(eng)
    changed = words = flagged = news = 0
    by_source: dict[str, list[int]] = {"news": [0, 0], "wikipedia": [0, 0]}
    for d in _DOCS["clean"]:
        is_news = not d.id.startswith("enwiki")
        try:
            restored, _ = restorer(d.text)
            # "Clean news documents scored >= 0.5" counts the news half only.
            flagged += is_news and eng is not None and eng.detect(d.text).spin_score >= 0.5
        except Exception:  # noqa: BLE001 - a failure leaves the text as it was
            restored = d.text
        c, w = M.clean_changes(d.text, restored)
        changed, words, news = changed + c, words + w, news + is_news
        src = by_source["news" if is_news else "wikipedia"]
        src[0], src[1] = src[0] + c, src[1] + w
    out: dict[str, Any] = {
        "docs": len(_DOCS["clean"]),
        "words": words,
        "changed_words": changed,
        "changed_share": round(changed / max(words, 1), 5),
        "by_source": {k: {"words": w, "changed_words": c, "changed_share": round(c / max(w, 1), 5)}
                      for k, (c, w) in by_source.items()},
        "engine": "unavailable" if eng is None else "shipped",
    }
    if eng is not None:
        out["news_docs"] = news
        out["docs_scored_spun"] = round(flagged / max(news, 1), 4)
    return out


def job_clean_news() -> dict[str, Any]:
    """Detect scores of unspun BBC news documents: the share scored >= 0.5 is the false-alarm rate on news."""
    eng = engine()
    if eng is None:
        return {"engine": "unavailable"}
    scores = [eng.detect(d.text).spin_score for d in _DOCS["clean_news"]]
    return {"docs": len(scores), "flagged": round(sum(s >= 0.5 for s in scores) / max(len(scores), 1), 4),
            "mean_score": round(sum(scores) / max(len(scores), 1), 4),
            "flagged_at_0.9": round(sum(s >= 0.9 for s in scores) / max(len(scores), 1), 4)}


def job_detect(profile: str, rate: float, loso: bool) -> dict[str, Any]:
    # Every other document is spun, so both classes hold news and encyclopaedia text alike: a detector
    # that only tells the genres apart scores 0.5, not 1.
    docs = _DOCS["detect"][::2] + _DOCS["detect"][1::2]
    half = len(docs) // 2
    spun = _spin_all(profile, rate, docs[:half], seed=2)
    eng = engine(PROFILE_SOURCE[profile] if loso else 0)
    res: dict[str, Any] = {"profile": profile, "rate": rate, "loso": loso}
    if eng is None:
        res["engine"] = "unavailable"
        return res
    detect = _engine_detector(eng)
    labels, scores = [], []
    pred_hit = pred_n = gold_hit = gold_n = 0
    for d in spun:
        s, spans = detect(d.spun)
        labels.append(1)
        scores.append(s)
        gold = [(x.spun_start, x.spun_end) for x in d.subs]
        ph, gh = M.span_overlap(spans, gold)
        pred_hit, pred_n, gold_hit, gold_n = (
            pred_hit + ph,
            pred_n + len(spans),
            gold_hit + gh,
            gold_n + len(gold),
        )
    for clean in docs[half:]:
        s, _ = detect(clean.text)
        labels.append(0)
        scores.append(s)
    fpr, tpr = M.roc_curve(labels, scores)
    res.update(
        {
            "auc": round(M.roc_auc(labels, scores), 4),
            **{k: round(v, 4) for k, v in M.f1_at(labels, scores).items()},
            "ece": round(M.expected_calibration_error(labels, scores), 4),
            "clean_flagged": round(sum(s >= 0.5 for s in scores[half:]) / max(len(docs) - half, 1), 4),
            "span_precision": round(pred_hit / max(pred_n, 1), 4),
            "span_recall": round(gold_hit / max(gold_n, 1), 4),
            "roc": {"fpr": [round(x, 4) for x in fpr], "tpr": [round(x, 4) for x in tpr]},
        }
    )
    return res


def job_learn(profile: str, sizes: Sequence[int], rate: float = 0.35) -> dict[str, Any]:
    from unspin.learn import learn_pairs

    train = _spin_all(profile, rate, _DOCS["train"][: max(sizes)], seed=3)
    test = _spin_all(profile, rate, _DOCS["learn_eval"], seed=3)
    out: dict[str, Any] = {"profile": profile, "rate": rate, "curve": []}
    for n in sizes:
        table = learn_pairs((d.spun, d.original) for d in train[:n])
        row: dict[str, Any] = {"n_docs": n, "entries": len(table)}
        row["table_lookup"] = _score(test, TableLookup(table), None)
        eng = engine(0, True, [table])
        if eng is not None:
            row["engine"] = _score(test, _engine_restorer(eng), _candidate_check(0, [table]))
        out["curve"].append(row)
    return out


def _tortured_split(limit: int | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    import csv

    with TORTURED.open(encoding="utf-8") as fh:
        rows = [(r["tortured"], r["expected"]) for r in csv.DictReader(fh, delimiter="\t")]
    learn: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for t, e in rows:
        (learn if hashlib.md5(t.encode()).digest()[0] % 2 == 0 else held).append((t, e))
    return learn, held[:limit] if limit else held


def job_tortured(limit: int | None) -> dict[str, Any]:
    from unspin.learn import learn_phrases

    learn, held = _tortured_split(limit)
    table = learn_phrases(learn)
    out: dict[str, Any] = {"learned_pairs": len(learn), "held_out": len(held), "entries": len(table)}
    systems: dict[str, Restorer] = {"identity": identity, "table_lookup": TableLookup(table)}
    eng0 = engine()
    if eng0 is not None:
        systems["engine_zero_shot"] = _engine_restorer(eng0)
        systems["engine_learned"] = _engine_restorer(engine(0, True, [table]))
    for name, restorer in systems.items():
        exact = folded = 0
        for i, (t, e) in enumerate(held):
            carrier = CARRIERS[i % len(CARRIERS)]
            try:
                restored, _ = restorer(carrier.format(t))
            except Exception:  # noqa: BLE001 - a failure is a miss
                restored = ""
            exact += restored == carrier.format(e)
            # The list writes some originals in Title Case ("Support Vector Regression") that a lower-case
            # spun phrase gives no clue to: reported beside the exact score, never instead of it.
            folded += restored.casefold() == carrier.format(e).casefold()
        out[name] = round(exact / max(len(held), 1), 4)
        out[f"{name}_ignoring_case"] = round(folded / max(len(held), 1), 4)
    return out


def _sample_docs(n_words: int) -> list[str]:
    out, n = [], 0
    for d in _DOCS["eval"] + _DOCS["clean"]:
        out.append(d.text)
        n += len(d.text.split())
        if n >= n_words:
            break
    return out


def _sample_text(n_words: int) -> str:
    return "\n\n".join(_sample_docs(n_words))


def job_throughput(n_words: int) -> dict[str, Any]:
    """Words/s of restore and detect on one core, document by document, models loaded."""
    spinner = make_spinner("wordnet", 0.15, seed=4)
    spun = [spinner.spin(t).spun for t in _sample_docs(n_words)]
    words = sum(len(t.split()) for t in spun)
    out: dict[str, Any] = {"words": words, "docs": len(spun)}
    eng = engine()
    if eng is not None:
        eng.detect("Warm-up text for the caches.")
        for task, fn in (("restore", eng.restore), ("detect", eng.detect)):
            t0 = time.perf_counter()
            for doc in spun:
                fn(doc)
            out[f"{task}_words_per_s"] = round(words / (time.perf_counter() - t0))
    out["bert_base_mlm"] = bert_cost(" ".join(" ".join(spun).split()[:BERT_WORDS]))
    return out


BERT_WORDS = 1500  # enough for a stable rate; the model is slow


def bert_cost(text: str) -> dict[str, Any]:
    """Words/s of one forward pass of a randomly initialised BERT-base masked LM on one core."""
    try:
        import torch
        from transformers import BertConfig, BertForMaskedLM
    except ImportError:
        return {"skipped": "torch and transformers are not installed (pip install torch transformers)"}
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig()).eval()
    words = len(text.split())
    # About 1.3 word pieces per English word; 512-piece windows as MLM scorers use.
    pieces = int(words * 1.3)
    ids = torch.randint(1000, 30000, (1, pieces))
    t0 = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, pieces, 512):
            model(input_ids=ids[:, i : i + 512])
    dt = time.perf_counter() - t0
    return {
        "words_per_s": round(words / dt),
        "note": "one forward pass, random weights, 512-piece windows, 1 thread",
    }


_STARTUP = """
import json, resource, sys, time
t = time.perf_counter()
from unspin import Engine
eng = Engine(**json.loads(sys.argv[1]))
eng.restore("The White Home made use of the brand-new regulations.")
first = time.perf_counter() - t
text = sys.stdin.read()
eng.restore(text)
eng.detect(text)
# ru_maxrss survives exec on Linux: a child forked from a large parent reports the parent's peak.
# VmHWM is this process image's own peak, so read it where /proc exists.
try:
    peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
except (OSError, IndexError, ValueError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps([first, peak]))
"""


def startup_and_memory(text: str) -> dict[str, Any]:
    """Start-up to the first restore in a fresh interpreter, and its peak memory after restoring `text`."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _STARTUP, json.dumps({k: str(v) for k, v in ENGINE_ARGS.items()})],
        input=text,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["unknown"])[-1]}
    first, peak_kb = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "startup_to_first_result_s": round(first, 3),
        "process_wall_s": round(wall, 3),
        "peak_memory_mb": round(peak_kb / 1024, 1),
        "peak_memory_note": f"restore + detect of {len(text.split())} words in one call",
    }


def job_clean_section() -> dict[str, Any]:
    try:
        from unspin.bench.clean_eval import run_clean_bench
    except ImportError:
        return {"skipped": "unspin.bench.clean_eval is not there"}
    root = Path(__file__).resolve().parents[3]
    for cand in (root / "tests" / "clean" / "fixtures", root / "tests" / "fixtures" / "clean"):
        if cand.is_dir():
            try:
                return run_clean_bench(cand)
            except Exception as exc:  # noqa: BLE001 - another module's failure is reported, not fatal
                return {"error": f"{type(exc).__name__}: {exc}"}
    return {"skipped": "no clean fixtures directory found"}


def prepare_spinners() -> None:
    for p in PROFILES:
        try:
            make_spinner(p, 0.1)
        except (OSError, ValueError) as exc:
            _say(f"spinner profile {p} is unavailable: {exc}")


def _call(job: tuple[str, tuple[Any, ...]]) -> tuple[str, tuple[Any, ...], Any]:
    name, args = job
    t0 = time.perf_counter()
    result = globals()[name](*args)
    if isinstance(result, dict):
        result["job_seconds"] = round(time.perf_counter() - t0, 1)
    return name, args, result


# --- the run ---------------------------------------------------------------------------------------


def run(suite: str = "quick", out: Path | None = None) -> dict[str, Any]:
    """Run a suite ("quick" or "full"); write results.json, results.md and plots into `out`."""
    cfg = SUITES[suite]
    t_start = time.perf_counter()
    results: dict[str, Any] = {
        "suite": suite,
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if not BBC.exists() or not WIKI.exists():
        msg = f"skipped: the shared corpora are absent ({BBC.parent.parent}); nothing to spin"
        _say(msg)
        results["skipped"] = msg
        if out is not None:
            write_outputs(results, out)
        return results
    bbc, wiki = load_docs()
    _DOCS.update(split_docs(bbc, wiki, cfg))
    results["data"] = {
        "bbc_docs": len(bbc),
        "wiki_held_out_docs": len(wiki),
        "eval_docs": len(_DOCS["eval"]),
        "eval_words": sum(len(d.text.split()) for d in _DOCS["eval"]),
    }
    _say(f"suite {suite}: {len(bbc)} BBC + {len(wiki)} Wikipedia documents; building the engine")
    eng = engine()
    if eng is None:
        results["engine"] = f"unavailable ({_ENGINE_ERROR[0]}); identity only"
    else:
        results["engine"] = "shipped" if not ENGINE_ARGS else ", ".join(f"{k}={v}" for k, v in ENGINE_ARGS.items())
    if eng is None:
        _say(f"the engine cannot be built ({_ENGINE_ERROR[0]}): running the identity baseline only")
    jobs: list[tuple[str, tuple[Any, ...]]] = [
        ("job_clean", ()),
        ("job_clean_news", ()),
        ("job_pooled_clean", ()),
    ]
    for p in PROFILES:
        for rate in cfg["rates"]:
            jobs += [
                ("job_restore", (p, rate, False, False, True)),
                ("job_restore", (p, rate, True, False, True)),
            ]
        jobs.append(("job_restore", (p, 0.15, False, True, True)))
        if cfg["pool_compare"]:
            jobs.append(("job_restore", (p, 0.15, False, False, False)))
        jobs += [("job_detect", (p, 0.15, False)), ("job_detect", (p, 0.15, True))]
        jobs += [("job_pooled", (p, 0.15, False, cfg["pool_docs"])), ("job_pooled", (p, 0.15, True, cfg["pool_docs"]))]
    jobs += [("job_learn", (p, cfg["learn_sizes"])) for p in cfg["learn_profiles"]]
    if TORTURED.exists():
        jobs.append(("job_tortured", (cfg["tortured"],)))
    jobs.append(("job_clean_section", ()))
    prepare_spinners()  # build every profile's dictionary once; forked workers share them
    done: list[tuple[str, tuple[Any, ...], Any]] = []
    workers = cfg["workers"] if eng is not None else 1
    _ENGINES.clear()  # each worker opens its own
    if workers > 1:
        with mp.get_context("fork").Pool(workers) as pool:
            for k, item in enumerate(pool.imap_unordered(_call, jobs), 1):
                done.append(item)
                _say(f"{k}/{len(jobs)} {item[0]}{item[1]}")
    else:
        for k, job in enumerate(jobs, 1):
            done.append(_call(job))
            _say(f"{k}/{len(jobs)} {job[0]}{job[1]}")
    order = {j: i for i, j in enumerate(jobs)}
    done.sort(key=lambda r: order[(r[0], r[1])])
    results["restore"] = [r for name, _, r in done if name == "job_restore"]
    results["clean_text"] = next(r for name, _, r in done if name == "job_clean")
    results["detect"] = [r for name, _, r in done if name == "job_detect"]
    results["clean_news"] = next(r for name, _, r in done if name == "job_clean_news")
    results["learn"] = [r for name, _, r in done if name == "job_learn"]
    results["pooled"] = [r for name, _, r in done if name == "job_pooled"]
    results["pooled_clean"] = next(r for name, _, r in done if name == "job_pooled_clean")
    results["tortured"] = next((r for name, _, r in done if name == "job_tortured"), {"skipped": f"{TORTURED} absent"})
    _say("throughput, start-up and memory (alone on the machine)")
    results["throughput"] = job_throughput(cfg["throughput_words"])
    results["clean"] = next(r for name, _, r in done if name == "job_clean_section")
    results["throughput"].update(startup_and_memory(_sample_text(cfg["throughput_words"])))
    results["seconds"] = round(time.perf_counter() - t_start, 1)
    if out is not None:
        write_outputs(results, out)
    return results


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# --- report ------------------------------------------------------------------------------------------


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return "nan" if math.isnan(x) else f"{x:.{digits}f}"
    return str(x)


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# unspin bench — suite `{results['suite']}`",
        "",
        f"Machine: {results['machine']['cpu']} ({results['machine']['cores']} cores), "
        f"Python {results['machine']['python']}. Started {results['started']} UTC; "
        f"took {results.get('seconds', '?')} s. Engine: {results.get('engine', '?')}.",
        "",
    ]
    if "skipped" in results:
        return "\n".join(lines + [results["skipped"], ""])
    d = results["data"]
    lines += [
        f"Data: {d['eval_docs']} evaluation documents ({d['eval_words']} words) per configuration, half BBC "
        f"dev (deduplicated), half held-out Wikipedia (last {WIKI_HELD_OUT // 2} articles of enwiki-04; "
        f"the {WIKI_HELD_OUT // 2} before them fit the weights).",
        "",
    ]
    lines += [
        "## Restore",
        "",
        "Rate = the spinner dictionary's coverage; sub share = substitutions per original word. "
        "LOSO = the profile's source left out of the lexicon. NER = net error reduction "
        "1 − WER(restored)/WER(spun). Breakdown of missed substitutions: original not among the candidates "
        "/ among them but not chosen.",
        "",
        "| profile | rate | variant | sub share | WER spun | WER restored | NER | recall | damage | "
        "not in cands | not chosen |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["restore"]:
        variant = "LOSO" if r["loso"] else "in-lexicon"
        if r["per_occurrence"]:
            variant += ", per-occurrence"
        if not r["pool"]:
            variant += ", per-token (no pooling)"
        lines.append(
            f"| {r['profile']} | {r['rate']:.2f} | {variant} | {_f(r['sub_share'])} | {_f(r['wer_spun'])} | "
            f"{_f(r['wer_restored'])} | **{_f(r['net_error_reduction'])}** | {_f(r['recall'])} | "
            f"{_f(r['damage'], 4)} | {_f(r['err_not_in_candidates'])} | {_f(r['err_candidate_not_chosen'])} |"
        )
    c = results["clean_text"]
    lines += [
        "",
        f"Clean (unspun) text, {c.get('docs', '?')} documents: {c['changed_words']} of {c['words']} words "
        f"changed ({_f(100 * c['changed_share'], 3)} %)"
        + "".join(f"; {k}: {v['changed_words']} of {v['words']} ({_f(100 * v['changed_share'], 3)} %)"
                  for k, v in c.get("by_source", {}).items())
        + f". Share of the {c.get('news_docs', '?')} news documents that detect scores ≥ 0.5: "
        f"{_f(c.get('docs_scored_spun', 'n/a'))}.",
        "",
    ]
    lines += [
        "## Detect",
        "",
        "Half spun at 15 %, half clean documents, per profile; each half is half BBC news, half Wikipedia.",
        "",
        "| profile | variant | ROC AUC | F1 @0.5 | precision | recall | ECE | clean ≥ 0.5 | span P | span R |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["detect"]:
        if "auc" not in r:
            lines.append(f"| {r['profile']} | {'LOSO' if r['loso'] else 'in-lexicon'} | engine unavailable |||||||| ")
            continue
        lines.append(
            f"| {r['profile']} | {'LOSO' if r['loso'] else 'in-lexicon'} | **{_f(r['auc'])}** "
            f"| {_f(r['f1'])} | "
            f"{_f(r['precision'])} | {_f(r['recall'])} | {_f(r['ece'])} | {_f(r['clean_flagged'])} | "
            f"{_f(r['span_precision'])} | {_f(r['span_recall'])} |"
        )
    cn = results.get("clean_news", {})
    if "docs" in cn:
        lines += ["", f"Clean BBC news, {cn['docs']} other documents: {_f(100 * cn['flagged'], 1)} % scored ≥ 0.5 "
                  f"({_f(100 * cn['flagged_at_0.9'], 1)} % ≥ 0.9), mean score {_f(cn['mean_score'])}.", ""]
    if results.get("pooled"):
        pc = results.get("pooled_clean", {})
        lines += [
            "",
            "## Pooling across documents (`batch --pool`)",
            "",
            "What `batch --pool` does with a corpus from one spinner: the row's evaluation documents and other "
            "documents spun by the same profile (docs in all) are scored by detect; when at least 30 % look spun, "
            "`adapt` estimates the spinner's table from all of them, and the evaluation documents are restored "
            "with it. The last column is the same documents restored one at a time (the restore table above).",
            "",
            "| profile | rate | variant | docs | scored spun | entries | NER | recall | damage | per document alone |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        alone = {(r["profile"], r["rate"], r["loso"]): r for r in results["restore"]
                 if r["pool"] and not r["per_occurrence"]}
        for r in results["pooled"]:
            if "net_error_reduction" not in r:
                continue
            a = alone.get((r["profile"], r["rate"], r["loso"]), {})
            lines.append(
                f"| {r['profile']} | {r['rate']:.2f} | {'LOSO' if r['loso'] else 'in-lexicon'} | {r['docs']} | "
                f"{_f(r['spun_share'], 2)} | {r['entries']} | **{_f(r['net_error_reduction'])}** | "
                f"{_f(r['recall'])} | {_f(r['damage'], 4)} | "
                f"{_f(a.get('net_error_reduction'))} |"
            )
        if "changed_share" in pc:
            lines += ["", f"Clean documents pooled the same way ({pc['docs']} documents, "
                      f"{_f(100 * pc['spun_share'], 1)} % scored as spun, table applied: {pc['applied']}, "
                      f"{pc['entries']} entries): {pc['changed_words']} of {pc['words']} words changed "
                      f"({_f(100 * pc['changed_share'], 3)} %).", ""]
    lines += [
        "",
        "## Learning a spinner (`unspin learn` on N spun/original document pairs)",
        "",
        "Evaluated on other documents of the same profile at 35 %. Table lookup = replace learned phrases only.",
        "",
        "| profile | N docs | entries | lookup NER | lookup damage | engine NER | engine recall | engine damage |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["learn"]:
        for row in r["curve"]:
            e = row.get("engine", {})
            lines.append(
                f"| {r['profile']} | {row['n_docs']} | {row['entries']} | "
                f"{_f(row['table_lookup']['net_error_reduction'])} | "
                f"{_f(row['table_lookup']['damage'], 4)} | "
                f"**{_f(e.get('net_error_reduction', '—'))}** | {_f(e.get('recall', '—'))} | "
                f"{_f(e.get('damage', '—'), 4)} |"
            )
    t = results["tortured"]
    lines += ["", "## Tortured phrases", ""]
    if "skipped" in t:
        lines.append(t["skipped"])
    else:
        lines += [
            f"Learned from {t['learned_pairs']} pairs of pps_learn.tsv; exact restoration of {t['held_out']} "
            "held-back phrases in a carrier sentence:",
            "",
            "| system | exact | exact ignoring case |",
            "| --- | ---: | ---: |",
        ]
        lines += [
            f"| {k} | {_f(t[k])} | {_f(t.get(k + '_ignoring_case', 'n/a'))} |"
            for k in ("identity", "table_lookup", "engine_zero_shot", "engine_learned")
            if k in t
        ]
    tp = results["throughput"]
    bert = tp.get("bert_base_mlm", {})
    lines += [
        "",
        "## Speed and memory (one core, models loaded)",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| restore words/s | {tp.get('restore_words_per_s', '—')} |",
        f"| detect words/s | {tp.get('detect_words_per_s', '—')} |",
        f"| BERT-base MLM forward pass words/s (baseline) | {bert.get('words_per_s', bert.get('skipped', '—'))} |",
        f"| start-up to first result (s, fresh process) "
        f"| {tp.get('startup_to_first_result_s', tp.get('error', '—'))} |",
        f"| peak memory of that process (MB; {tp.get('peak_memory_note', '')}) | {tp.get('peak_memory_mb', '—')} |",
        "",
        f"Throughput measured on {tp.get('words', '?')} words of spun text, document by document, after the "
        "other sections finished (nothing else running).",
        "",
    ]
    lines += ["## Boilerplate removal (`unspin clean`)", ""]
    cl = results.get("clean", {})
    if "skipped" in cl or "error" in cl:
        lines.append(str(cl.get("skipped", cl.get("error"))))
    else:
        lines += [
            "| split | format | pages | precision | recall | F1 |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
        for split, by_format in cl.items():
            if not isinstance(by_format, dict):
                continue
            for fmt, m in by_format.items():
                if isinstance(m, dict) and "f1" in m:
                    lines.append(
                        f"| {split} | {fmt} | {m.get('pages', '')} | {_f(m['precision'])} "
                        f"| {_f(m['recall'])} | {_f(m['f1'])} |"
                    )
        if "text_mb_per_s" in cl:
            lines += ["", f"Plain-text cleaning: {_f(cl['text_mb_per_s'], 2)} MB/s per core."]
    lines.append("")
    return "\n".join(lines)


def plots(results: dict[str, Any], out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, loso, target in ((axes[0], False, 0.5), (axes[1], True, 0.25)):
        for k, p in enumerate(PROFILES):
            rows = sorted(
                (r["rate"], r["net_error_reduction"])
                for r in results["restore"]
                if r["profile"] == p and r["loso"] == loso and not r["per_occurrence"] and r["pool"]
            )
            if rows:
                ax.plot([100 * x for x, _ in rows], [y for _, y in rows], marker="o", color=f"C{k}", label=p)
        ax.axhline(0, color="grey", lw=0.8)
        ax.axhline(target, color="black", lw=0.8, ls=":", label=f"issue 2 target at 15 % ({target})")
        ax.set_xlabel("spin rate (dictionary coverage, %)")
        ax.set_title("profile's source left out (LOSO)" if loso else "profile's source in the lexicon")
        ax.set_ylim(min(-0.2, ax.get_ylim()[0]), 1.0)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("net error reduction 1 − WER(restored)/WER(spun)")
    axes[0].legend(fontsize=8)
    fig.suptitle("Restore quality vs spin rate per spinner profile")
    fig.tight_layout()
    fig.savefig(out / "restore_vs_rate.png", dpi=120)
    plt.close(fig)
    made.append("restore_vs_rate.png")
    det = [r for r in results["detect"] if "roc" in r]
    if det:
        fig, ax = plt.subplots(figsize=(5.5, 5))
        for k, p in enumerate(PROFILES):
            for r in det:
                if r["profile"] == p:
                    ax.plot(
                        r["roc"]["fpr"],
                        r["roc"]["tpr"],
                        "--" if r["loso"] else "-",
                        color=f"C{k}",
                        label=f"{p}{' LOSO' if r['loso'] else ''} (AUC {r['auc']:.3f})",
                    )
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
        ax.set_xlabel("false positive rate (clean documents)")
        ax.set_ylabel("true positive rate (spun at 15 %)")
        ax.set_title("Detection ROC per spinner profile")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "detect_roc.png", dpi=120)
        plt.close(fig)
        made.append("detect_roc.png")
    return made


def write_outputs(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    results["plots"] = plots(results, out) if "skipped" not in results else []
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results), encoding="utf-8")


# --- CLI hooks -------------------------------------------------------------------------------------


# Sections beyond the core restore/detect suite live in their own modules, unspin.bench.<section>, each with
# run(suite, out) -> dict and markdown(results) -> str.
SECTIONS = ("core", "trace", "adapt", "scale", "serve")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--section", choices=SECTIONS, default="core",
                        help="which benchmark: core restore/detect (default), trace, adapt, scale or serve")
    parser.add_argument("--suite", choices=tuple(SUITES), default="quick", help="quick (≤ 5 min) or full (≤ 45 min)")
    parser.add_argument("--out", type=Path, default=None, help="write results.json, results.md and plots here")
    parser.add_argument("--lexicon", default=None, help="benchmark this lexicon file instead of the shipped one")
    parser.add_argument("--lm", default=None, help="benchmark this language model instead of the shipped one")
    parser.add_argument("--gate", action="store_true", help="run only the pinned CI gate and compare with its floors")
    parser.add_argument(
        "--update-floors",
        action="store_true",
        help="re-measure the gate and write its floors (lowering one needs --reason)",
    )
    parser.add_argument("--reason", default=None, help="why the floors change (kept in floors.json)")


def main(args: argparse.Namespace) -> int:
    if args.update_floors or args.gate:
        from unspin.bench import gate

        if args.update_floors:
            if not args.reason:
                print('unspin bench: --update-floors needs --reason "..."', file=sys.stderr)
                return 2
            changes = gate.update_floors(args.reason)
            print(json.dumps(changes, indent=1))
            return 0
        measured = gate.measure()
        failures = gate.check(measured)
        print(json.dumps({"measured": measured, "failures": failures}, indent=1))
        return 1 if failures else 0
    if args.section != "core":
        import importlib

        try:
            mod = importlib.import_module(f"unspin.bench.{args.section}")
        except ModuleNotFoundError as exc:
            print(f"unspin bench: the {args.section} section is not available ({exc})", file=sys.stderr)
            return 2
        section_results = mod.run(args.suite, args.out)
        print(mod.markdown(section_results))
        return 0
    for key in ("lexicon", "lm"):
        if getattr(args, key, None):
            ENGINE_ARGS[key] = getattr(args, key)
    results = run(args.suite, args.out)
    print(markdown(results))
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="unspin bench")
    add_arguments(p)
    sys.exit(main(p.parse_args()))
