"""Measure zero-shot restore, clean-text changes and detect AUC with the bench's own jobs (dev-time only).

Runs `unspin.bench.runner`'s job_restore / job_clean / job_detect on the full suite's document sets (more
evaluation documents with --docs), one process, and writes one JSON object: comparing two versions of the
decoder means running this under each version's source tree on the same documents.

    PYTHONPATH=src .venv/bin/python scripts/ctx_bench.py --out /tmp/after.json [--params FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from unspin.bench import runner as R

PROFILES = ("wordnet", "mythes", "moby")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int, default=60, help="evaluation documents (half news, half Wikipedia)")
    ap.add_argument("--rate", type=float, default=0.15)
    ap.add_argument("--params", default=None, help="params.json to use instead of the shipped one")
    ap.add_argument("--skip-detect", action="store_true")
    ap.add_argument("--only-clean", action="store_true", help="the clean-text job alone")
    a = ap.parse_args()
    cfg = dict(R.SUITES["full"], docs=a.docs)
    R._DOCS.update(R.split_docs(*R.load_docs(), cfg))
    if a.params:
        from unspin.params import Params

        R._SNAPSHOT["params"] = Params.load(Path(a.params))
    out: dict = {"docs": a.docs, "rate": a.rate, "restore": [], "detect": []}
    t0 = time.time()
    for profile in PROFILES if not a.only_clean else ():
        for loso in (False, True):
            r = R.job_restore(profile, a.rate, loso, False, True)
            r.pop("examples", None)
            out["restore"].append(r)
            print(f"{profile} loso={loso}: NER {r['net_error_reduction']} damage {r['damage']} "
                  f"recall {r['recall']} {r['seconds']}s", file=sys.stderr, flush=True)
    out["clean"] = R.job_clean()
    print(f"clean: {out['clean']['changed_share']} of {out['clean']['words']} words", file=sys.stderr, flush=True)
    if not (a.skip_detect or a.only_clean):
        for profile in PROFILES:
            for loso in (False, True):
                d = R.job_detect(profile, a.rate, loso)
                d.pop("roc", None)
                out["detect"].append(d)
                print(f"detect {profile} loso={loso}: AUC {d['auc']}", file=sys.stderr, flush=True)
    out["seconds"] = round(time.time() - t0, 1)
    Path(a.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
