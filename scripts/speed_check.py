"""Check a decoder speed-up: same restore/detect JSON as a baseline source tree, and the CPU-time ratio.

Loads two copies of unspin in one process (the baseline from BASE, e.g. a `git archive` of main, and the one on
sys.path), runs both over the benchmark's throughput documents (the bench's evaluation and clean documents,
spun by the wordnet profile at 15 %), document by document and in alternating order so that a busy machine
slows both alike, asserts that every JSON result is byte-identical and prints words per CPU second of each.

    git archive main src | tar -x -C /tmp/base
    PYTHONPATH=src python scripts/speed_check.py /tmp/base/src --task restore --rounds 3
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from types import ModuleType
from typing import Any


def _load(src: str | None) -> ModuleType:
    """Import a fresh `unspin` (from `src` when given, else from sys.path); earlier copies keep working."""
    for name in [k for k in sys.modules if k == "unspin" or k.startswith("unspin.")]:
        del sys.modules[name]
    if src:
        sys.path.insert(0, src)
    try:
        mod = importlib.import_module("unspin")
        importlib.import_module("unspin.bench.runner")
    finally:
        if src:
            sys.path.remove(src)
    return mod


def _documents(n_words: int) -> list[str]:
    from unspin.bench import runner
    from unspin.bench.spinners import make_spinner

    bbc, wiki = runner.load_docs()
    cfg = runner.SUITES["full"]
    runner._DOCS["eval"] = runner._mix(bbc, wiki, cfg["docs"], 0)
    runner._DOCS["clean"] = runner._mix(bbc, wiki, cfg["clean_docs"], 100)
    spinner = make_spinner("wordnet", 0.15, seed=4)  # as the bench's throughput section
    return [spinner.spin(t).spun for t in runner._sample_docs(n_words)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the baseline's src directory")
    parser.add_argument("--task", choices=("restore", "detect"), default="restore")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the documents (the first is cold)")
    parser.add_argument("--words", type=int, default=20000)
    parser.add_argument("--allow-different", action="store_true",
                        help="time both even when their results differ (a change of weights, not a speed-up)")
    args = parser.parse_args()
    old = _load(args.base)
    new = _load(None)
    docs = _documents(args.words)
    words = sum(len(t.split()) for t in docs)
    fns: dict[str, Any] = {}
    for side, mod in (("old", old), ("new", new)):
        # importlib.resources finds data through the `unspin` now in sys.modules (the new copy): the baseline's
        # weights must be named, or a changed params.json would be read by both sides.
        eng = mod.Engine(params=f"{args.base}/unspin/data/params.json") if side == "old" else mod.Engine()
        eng.detect("Warm-up text for the caches.")
        fns[side] = eng.restore if args.task == "restore" else eng.detect
    result: dict[str, Any] = {"task": args.task, "words": words, "docs": len(docs)}
    for r in range(args.rounds):
        cpu = {"old": 0.0, "new": 0.0}
        for i, doc in enumerate(docs):
            outs = {}
            for side in ("old", "new") if (i + r) % 2 == 0 else ("new", "old"):
                t0 = time.process_time()
                out = fns[side](doc)
                cpu[side] += time.process_time() - t0
                outs[side] = json.dumps(out.to_dict(), sort_keys=True, ensure_ascii=False)
            if outs["old"] != outs["new"] and not args.allow_different:
                print(f"document {i}: the outputs differ", file=sys.stderr)
                return 1
        result["cold" if r == 0 else f"warm{r}"] = {
            "old_words_per_cpu_s": round(words / cpu["old"]),
            "new_words_per_cpu_s": round(words / cpu["new"]),
            "ratio": round(cpu["old"] / cpu["new"], 3),
        }
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
