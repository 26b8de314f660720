"""Shared data for the trace tests: real Wikipedia documents from ../shared and an index built by the CLI."""

import gzip
import json
from pathlib import Path

import pytest
from conftest import SHARED, run_cli

WIKI = SHARED / "corpora" / "wikipedia-en" / "enwiki-00.jsonl.gz"


def wiki_docs(n: int, skip: int = 0, paras: int = 3) -> list[dict]:
    """n documents of `paras` consecutive paragraphs from the shared Wikipedia shard (skips the test if absent)."""
    if not WIKI.exists():
        pytest.skip(f"{WIKI} is not here")
    out: list[dict] = []
    k = 0
    with gzip.open(WIKI, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            ps = row["text"].split("\n\n")
            for i in range(0, len(ps), paras):
                text = "\n\n".join(ps[i : i + paras])
                if len(text.split()) < 80:
                    continue
                k += 1
                if k <= skip:
                    continue
                out.append({"id": f"{row['id']}-{i // paras}", "text": text})
                if len(out) >= n:
                    return out
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


@pytest.fixture(scope="session")
def wiki_index(tmp_path_factory):
    """A real index of 600 Wikipedia documents, built with the CLI, and the documents."""
    docs = wiki_docs(600)
    d = tmp_path_factory.mktemp("trace")
    corpus = write_jsonl(d / "corpus.jsonl", docs)
    p = run_cli("index", "build", str(corpus), str(d / "index"))
    assert p.returncode == 0, p.stderr
    return d / "index", docs
