"""`unspin bench --section adapt`: tables estimated from unpaired spun documents, against zero-shot and `learn`.

For each spinner profile: spin N training documents (BBC news, never the evaluation documents), estimate a
table with `adapt` from the spun side alone with the profile's source left out of the lexicon, and restore
*other* documents of the same profile with it; compare with zero-shot restoration (same lexicon) and with
`learn` from 200 aligned pairs. Also: learning curves, honesty of the table's probabilities, corpora that are
not what the user presumed (half clean, two spinners, all clean), and runtime and peak memory for 1,000 documents.
This module is the benchmark's own report, so it prints progress to stderr.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from unspin.bench import runner as R
from unspin.bench.spinners import PROFILE_SOURCE, PROFILES, SpunDoc
from unspin.text import lm_form, tokenize

RATE = 0.35  # as the core benchmark's learn section
SUITES: dict[str, dict[str, Any]] = {
    "quick": {
        "profiles": ("wordnet", "contentfarm"),
        "main_docs": 100,
        "curve": (10, 30, 100),
        "long_curve": ("wordnet",),
        "eval_docs": 8,
        "robust_docs": 60,
        "runtime_docs": 100,
        "workers": 2,
    },
    "full": {
        "profiles": tuple(PROFILES),
        "main_docs": 200,
        "curve": (10, 30, 100, 200, 300, 1000),
        "long_curve": ("wordnet", "mythes"),  # the others stop at main_docs: 1,000-document runs take minutes each
        "eval_docs": 20,
        "robust_docs": 200,
        "runtime_docs": 1000,
        "workers": 2,
    },
}
TRAIN_START = 400  # BBC documents 400.. train (as the core learn section), 300.. evaluate
EVAL_START = 300
_DOCS: dict[str, list[R.Doc]] = {}


def _words(s: str) -> list[str]:
    return [lm_form(t.text) for t in tokenize(s) if t.is_word]


def gold_of(doc: SpunDoc | None, toks: list, i: int, j: int) -> str:
    """The original of spun tokens [i, j): the span itself if untouched, '\\x00' if no clean label."""
    if doc is None:
        return " ".join(lm_form(t.text) for t in toks[i:j])
    s, e = toks[i].start, toks[j - 1].end
    hit = [x for x in doc.subs if x.spun_start < e and s < x.spun_end]
    if not hit:
        return " ".join(lm_form(t.text) for t in toks[i:j])
    sub = hit[0]
    sw, ow = _words(sub.spun), _words(sub.original)
    if len(hit) == 1 and sub.spun_start == s and sub.spun_end == e:
        return " ".join(ow)
    if len(hit) == 1 and len(sw) == len(ow) and sub.spun_start <= s and e <= sub.spun_end:
        k = len(_words(doc.spun[sub.spun_start : s]))
        return " ".join(ow[k : k + (j - i)])
    return "\x00"


def honesty(report: Any, spun: list[SpunDoc | None]) -> list[dict[str, Any]]:
    """Each observed entry's prob against the share of its form's occurrences that really came from it."""
    tokens = [tokenize(d.spun) if d is not None else None for d in spun]
    by_key = {t.key: t for t in report.types}
    bins: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, entries in report.table.entries.items():
        t = by_key.get(key)
        if t is None:
            continue
        golds = Counter(gold_of(spun[n], tokens[n], i, j)
                        for n, i, j in t.occurrences if spun[n] is not None)
        total = sum(golds.values())
        for e in entries:
            label = "0.8-1.0" if e.prob >= 0.8 else "0.5-0.8" if e.prob >= 0.5 else "< 0.5"
            bins[label].append((e.prob, golds[e.original] / max(total, 1)))
    out = []
    for label in ("< 0.5", "0.5-0.8", "0.8-1.0"):
        v = bins.get(label, [])
        out.append({"bin": label, "entries": len(v),
                    "mean_prob": round(sum(p for p, _ in v) / max(len(v), 1), 3),
                    "actual": round(sum(a for _, a in v) / max(len(v), 1), 3)})
    return out


def _summary(s: dict[str, Any]) -> dict[str, Any]:
    return {k: s[k] for k in ("net_error_reduction", "recall", "damage", "wer_spun", "wer_restored") if k in s}


def _adapt(eng: Any, texts: list[str]) -> Any:
    from unspin.adapt import Adapter

    return Adapter(eng).adapt(texts)


def job_profile(profile: str, curve: tuple[int, ...], main_docs: int) -> dict[str, Any]:
    """Zero-shot, learn from main_docs pairs, and adapt from each corpus size, on the same evaluation documents."""
    from unspin.learn import learn_pairs

    exclude = PROFILE_SOURCE[profile]
    train = R._spin_all(profile, RATE, _DOCS["train"][: max(*curve, main_docs)], seed=3)
    test = R._spin_all(profile, RATE, _DOCS["eval"], seed=3)
    zs = R.engine(exclude)
    out: dict[str, Any] = {"profile": profile, "rate": RATE, "exclude": exclude}
    out["zero_shot"] = _summary(R._score(test, R._engine_restorer(zs), None))
    table = learn_pairs((d.spun, d.original) for d in train[:main_docs])
    out["learn"] = {"n_docs": main_docs, "entries": len(table),
                    **_summary(R._score(test, R._engine_restorer(R.engine(exclude, True, [table])), None))}
    out["curve"] = []
    for n in sorted(set(curve) | {main_docs}):
        t0 = time.perf_counter()
        rep = _adapt(zs, [d.spun for d in train[:n]])
        secs = time.perf_counter() - t0
        row = {"n_docs": n, "entries": len(rep.table), "adapt_seconds": round(secs, 1),
               **_summary(R._score(test, R._engine_restorer(R.engine(exclude, True, [rep.table])), None))}
        if n == main_docs:
            row["honesty"] = honesty(rep, list(train[:n]))
        out["curve"].append(row)
        R._say(f"adapt {profile} {n} docs: {row['entries']} entries, NER {row.get('net_error_reduction')}, "
               f"damage {row.get('damage')}, {secs:.0f} s")
    return out


def job_robust(kind: str, n: int) -> dict[str, Any]:
    """Corpora that are not one spinner's: half clean, two spinners, all clean. Damage against zero-shot."""
    train_docs = _DOCS["train"]
    out: dict[str, Any] = {"kind": kind, "n_docs": n}
    if kind == "half_clean":
        spun = R._spin_all("wordnet", RATE, train_docs[: n // 2], seed=3)
        texts = [d.spun for d in spun] + [d.text for d in train_docs[n // 2 : n]]
        evals = {"wordnet": R._spin_all("wordnet", RATE, _DOCS["eval"], seed=3)}
        exclude = PROFILE_SOURCE["wordnet"]
    elif kind == "two_spinners":
        a = R._spin_all("wordnet", RATE, train_docs[: n // 2], seed=3)
        b = R._spin_all("mythes", RATE, train_docs[n // 2 : n], seed=3)
        texts = [d.spun for d in a] + [d.spun for d in b]
        evals = {"wordnet": R._spin_all("wordnet", RATE, _DOCS["eval"], seed=3),
                 "mythes": R._spin_all("mythes", RATE, _DOCS["eval"], seed=3)}
        exclude = PROFILE_SOURCE["wordnet"]
    else:  # all clean
        texts = [d.text for d in train_docs[:n]]
        evals = {}
        exclude = 0
    zs = R.engine(exclude)
    rep = _adapt(zs, texts)
    eng = R.engine(exclude, True, [rep.table])
    out["entries"] = len(rep.table)
    out["eval"] = {}
    for name, test in evals.items():
        out["eval"][name] = {"zero_shot": _summary(R._score(test, R._engine_restorer(zs), None)),
                             "adapt": _summary(R._score(test, R._engine_restorer(eng), None))}
    from unspin.bench import metrics as M

    changed = {"zero_shot": 0, "adapt": 0}
    words = 0
    for d in _DOCS["eval"]:
        for name, e in (("zero_shot", zs), ("adapt", eng)):
            c, w = M.clean_changes(d.text, e.restore(d.text).text)
            changed[name] += c
        words += w
    out["clean_eval"] = {"words": words, **{k: round(v / max(words, 1), 5) for k, v in changed.items()}}
    R._say(f"robustness {kind}: {out}")
    return out


_PROBE = """
import sys, time
from unspin.cli import main
t0 = time.perf_counter()
rc = main(["adapt", sys.argv[1], sys.argv[2]])
secs = time.perf_counter() - t0
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(rc, round(secs, 1), round(hwm / 1024, 1))
"""


def runtime(n: int) -> dict[str, Any]:
    """`unspin adapt` on n spun documents in a fresh process: wall time and the process's peak memory."""
    spun = R._spin_all("wordnet", RATE, _DOCS["train"][:n], seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as f:
            for k, d in enumerate(spun):
                f.write(json.dumps({"id": k, "text": d.spun}) + "\n")
        proc = subprocess.run([sys.executable, "-c", _PROBE, str(corpus), str(Path(tmp) / "t.tsv")],
                              capture_output=True, text=True, timeout=3600)
        try:
            rc, secs, mb = proc.stdout.split()[-3:]
        except ValueError:
            return {"error": proc.stderr.strip()[-300:]}
        return {"docs": n, "words": sum(len(d.spun.split()) for d in spun), "exit": int(rc),
                "seconds": float(secs), "peak_mb": float(mb)}


def _call(job: tuple[str, tuple[Any, ...]]) -> tuple[str, tuple[Any, ...], Any]:
    name, args = job
    try:
        return name, args, globals()[name](*args)
    except Exception as exc:  # noqa: BLE001 - one failed job is reported, the others still run
        return name, args, {"error": f"{type(exc).__name__}: {exc}"}


def run(suite: str = "quick", out: Path | None = None) -> dict[str, Any]:
    """Run the adapt section; write results.json, results.md and the learning-curve plot into `out`."""
    cfg = SUITES[suite]
    t_start = time.perf_counter()
    results: dict[str, Any] = {"suite": suite, "machine": R.machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "rate": RATE}
    if not R.BBC.exists():
        results["skipped"] = f"skipped: the shared corpora are absent ({R.BBC.parent.parent})"
        R._say(results["skipped"])
        return results
    bbc, _ = R.load_docs()
    _DOCS["eval"] = bbc[EVAL_START : EVAL_START + cfg["eval_docs"]]
    _DOCS["train"] = bbc[TRAIN_START : TRAIN_START + max(*cfg["curve"], cfg["robust_docs"], cfg["runtime_docs"])]
    results["data"] = {"train_docs": len(_DOCS["train"]), "eval_docs": len(_DOCS["eval"]),
                       "eval_words": sum(len(d.text.split()) for d in _DOCS["eval"])}
    R.prepare_spinners()
    R._ENGINES.clear()
    jobs: list[tuple[str, tuple[Any, ...]]] = [
        ("job_profile", (p, cfg["curve"] if p in cfg["long_curve"] else
                         tuple(n for n in cfg["curve"] if n <= cfg["main_docs"]), cfg["main_docs"]))
        for p in cfg["profiles"]]
    jobs += [("job_robust", (k, cfg["robust_docs"])) for k in ("half_clean", "two_spinners", "all_clean")]
    done = []
    with mp.get_context("fork").Pool(cfg["workers"]) as pool:
        for k, item in enumerate(pool.imap_unordered(_call, jobs), 1):
            done.append(item)
            R._say(f"{k}/{len(jobs)} {item[0]}{item[1]}")
    order = {j: i for i, j in enumerate(jobs)}
    done.sort(key=lambda r: order[(r[0], r[1])])
    results["profiles"] = [r for name, _, r in done if name == "job_profile"]
    results["robust"] = [r for name, _, r in done if name == "job_robust"]
    R._say(f"runtime and memory: unspin adapt on {cfg['runtime_docs']} documents (alone on the machine)")
    results["runtime"] = runtime(cfg["runtime_docs"])
    results["seconds"] = round(time.perf_counter() - t_start, 1)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        results["plots"] = plots(results, out)
        (out / "adapt_results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        (out / "adapt_results.md").write_text(markdown(results), encoding="utf-8")
    return results


def _gain_share(p: dict[str, Any], row: dict[str, Any]) -> float | None:
    """Adapt's net error reduction beyond zero-shot as a share of learn's."""
    z = p["zero_shot"].get("net_error_reduction")
    learn = p["learn"].get("net_error_reduction")
    a = row.get("net_error_reduction")
    if z is None or learn is None or a is None or learn - z <= 0:
        return None
    return (a - z) / (learn - z)


def plots(results: dict[str, Any], out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, p in enumerate(results.get("profiles", [])):
        if "curve" not in p:
            continue
        xs = [r["n_docs"] for r in p["curve"]]
        ax.plot(xs, [r["net_error_reduction"] for r in p["curve"]], marker="o", color=f"C{k}",
                label=f"{p['profile']}: adapt")
        ax.axhline(p["zero_shot"]["net_error_reduction"], color=f"C{k}", ls=":", lw=1)
        ax.plot([p["learn"]["n_docs"]], [p["learn"]["net_error_reduction"]], marker="*", ms=12, color=f"C{k}",
                ls="none")
    ax.set_xscale("log")
    ax.set_xlabel("unpaired spun documents given to adapt")
    ax.set_ylabel("net error reduction on other documents")
    ax.set_title(f"adapt learning curves (rate {results['rate']:.0%}, profile's source left out)\n"
                 "dotted: zero-shot; star: learn from 200 aligned pairs", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "adapt_curve.png", dpi=120)
    plt.close(fig)
    return ["adapt_curve.png"]


def _f(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def markdown(results: dict[str, Any]) -> str:
    if "skipped" in results:
        return f"## Adapt\n\n{results['skipped']}\n"
    m = results["machine"]
    lines = [
        "## Adapt (`unspin adapt`: a spinner's table from its output alone)", "",
        f"Suite {results['suite']}, started {results['started']} UTC, took {results.get('seconds')} s; "
        f"{m.get('cpu', '')}, Python {m.get('python', '')}. Spin rate {results['rate']:.0%}. Training corpora: "
        f"BBC documents {TRAIN_START}.. (spun side only); evaluation: {results['data']['eval_docs']} other BBC "
        f"documents ({results['data']['eval_words']} words) spun by the same profile. The lexicon leaves out the "
        "profile's source for zero-shot, learn and adapt alike.", "",
        "| profile | zero-shot NER | damage | learn from the N docs paired: NER | damage | adapt N docs | entries | "
        "adapt NER | "
        "recall | damage | share of learn's gain |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in results.get("profiles", []):
        if "curve" not in p:
            lines.append(f"| {p.get('profile', '?')} | error: {p.get('error')} |")
            continue
        main = next(r for r in p["curve"] if r["n_docs"] == p["learn"]["n_docs"])
        lines.append(
            f"| {p['profile']} | {_f(p['zero_shot']['net_error_reduction'])} | {_f(p['zero_shot']['damage'], 4)} | "
            f"{_f(p['learn']['net_error_reduction'])} | {_f(p['learn']['damage'], 4)} | {main['n_docs']} | "
            f"{main['entries']} | **{_f(main['net_error_reduction'])}** | {_f(main['recall'])} | "
            f"{_f(main['damage'], 4)} | {_f(_gain_share(p, main), 2)} |")
    lines += ["", "Learning curves (net error reduction; damage in brackets; plot `docs/bench/adapt_curve.png`):", ""]
    sizes = sorted({r["n_docs"] for p in results.get("profiles", []) for r in p.get("curve", [])})
    lines += ["| profile | " + " | ".join(f"{n} docs" for n in sizes) + " |",
              "| --- | " + " | ".join("---:" for _ in sizes) + " |"]
    for p in results.get("profiles", []):
        by = {r["n_docs"]: r for r in p.get("curve", [])}
        cells = [f"{_f(by[n]['net_error_reduction'])} ({_f(by[n]['damage'], 4)})" if n in by else "–" for n in sizes]
        lines.append(f"| {p.get('profile')} | " + " | ".join(cells) + " |")
    lines += ["", "How honest the table's `prob` column is (entries of the main-size table whose spun form occurs in "
              "the training corpus: mean prob against the share of that form's occurrences that really came from "
              "the entry's original):", "",
              "| profile | prob bin | entries | mean prob | actual share |", "| --- | --- | ---: | ---: | ---: |"]
    for p in results.get("profiles", []):
        main = next((r for r in p.get("curve", []) if "honesty" in r), None)
        for b in (main or {}).get("honesty", []):
            lines.append(f"| {p['profile']} | {b['bin']} | {b['entries']} | {_f(b['mean_prob'])} | {_f(b['actual'])} |")
    lines += ["", "Corpora that are not one spinner's output (wordnet source left out; evaluation as above; clean: "
              "share of words changed in the clean evaluation documents):", "",
              "| corpus | docs | entries | eval | zero-shot NER | damage | adapt NER | damage |",
              "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in results.get("robust", []):
        if "eval" not in r:
            lines.append(f"| {r.get('kind')} | error: {r.get('error')} |")
            continue
        for name, ev in r["eval"].items():
            lines.append(f"| {r['kind']} | {r['n_docs']} | {r['entries']} | {name} spun | "
                         f"{_f(ev['zero_shot']['net_error_reduction'])} | {_f(ev['zero_shot']['damage'], 4)} | "
                         f"{_f(ev['adapt']['net_error_reduction'])} | {_f(ev['adapt']['damage'], 4)} |")
        c = r["clean_eval"]
        lines.append(f"| {r['kind']} | {r['n_docs']} | {r['entries']} | clean ({c['words']} words) | – | "
                     f"{_f(c['zero_shot'], 4)} | – | {_f(c['adapt'], 4)} |")
    rt = results.get("runtime", {})
    lines += ["", f"Runtime: `unspin adapt` on {rt.get('docs')} spun documents ({rt.get('words')} words) in a fresh "
              f"process: {rt.get('seconds')} s, peak memory (VmHWM) {rt.get('peak_mb')} MB, one process "
              "(targets: ≤ 600 s on 2 cores, ≤ 2,048 MB).", ""]
    return "\n".join(lines)
