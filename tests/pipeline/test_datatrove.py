import gzip
import json

import pytest
from conftest import ROOT

pytest.importorskip("datatrove")

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from unspin.pipeline.datatrove import UnspinFilter, UnspinTagger  # noqa: E402

SPUN = (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")
ORIGINAL = (ROOT / "examples" / "original.txt").read_text(encoding="utf-8")


def test_datatrove_tagger_and_filter_in_the_local_executor(engine, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    docs = [{"id": "s1", "text": SPUN}, {"id": "o1", "text": ORIGINAL}, {"id": "e1", "text": "x" * 3_000_000}]
    for k, d in enumerate(docs):  # one file per document, spread over two tasks
        (data / f"part{k}.jsonl").write_text(json.dumps(d) + "\n")
    cut = (engine.detect(SPUN).spin_score + engine.detect(ORIGINAL).spin_score) / 2
    out, logs = tmp_path / "out", tmp_path / "logs"
    LocalPipelineExecutor(
        pipeline=[JsonlReader(str(data)), UnspinTagger(max_mb=1.0), UnspinFilter(threshold=cut),
                  JsonlWriter(str(out))],
        tasks=2, workers=1, logging_dir=str(logs),
    ).run()
    kept = [json.loads(line) for f in sorted(out.glob("*.jsonl.gz")) for line in gzip.open(f, "rt")]
    assert sorted(d["id"] for d in kept) == ["e1", "o1"]  # the spun one is dropped; the unscorable one kept
    o1 = next(d for d in kept if d["id"] == "o1")
    assert o1["metadata"]["unspin_score"] < cut and o1["metadata"]["unspin_verdict"] == "clean"
    for s in o1["metadata"]["unspin_spans"]:
        assert ORIGINAL[s["start"] : s["end"]] == s["text"]
    e1 = next(d for d in kept if d["id"] == "e1")
    assert "E012" in e1["metadata"]["unspin_error"]
    stats = json.loads((logs / "stats.json").read_text())
    flt = next(s["stats"] for s in stats if s["name"].endswith("unspin filter"))
    assert _n(flt["dropped_spun"]) == 1 and _n(flt["forwarded"]) == 2
    tagger = next(s["stats"] for s in stats if s["name"].endswith("unspin tagger"))
    assert _n(tagger["error_too-large"]) == 1 and _n(tagger["spun"]) == 1
    assert (logs / "completions" / "00000").exists() and (logs / "completions" / "00001").exists()


def _n(stat):
    return stat["total"] if isinstance(stat, dict) else stat
