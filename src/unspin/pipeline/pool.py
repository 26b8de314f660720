"""`batch --pool`: evidence pooled across documents, as each group's spinner table estimated from the input itself."""

# A spinner rewrites a word the same way in every document it touches, so a corpus from one source tells
# far more about its dictionary than any one page. Before the run, up to POOL_DOCS documents of each group
# (all of IN, or each value of --group-by) go through `adapt`; the run then applies each group's table as
# `--channel` / `--channel-dir` would. The tables are kept in OUT.pool/ (with what they were built from), so
# a resumed run reuses them and produces the same bytes, and a user can read what was pooled.

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from .batch import BatchConfig
from .readers import FileError, Source, fingerprint

log = logging.getLogger("unspin")

# Per group: adapt's learning curves level off after ~300 documents, and its damage grows beyond (BENCHMARKS.md).
POOL_DOCS = 300
POOLED_TABLE = "pooled.tsv"
MANIFEST = "manifest.json"


def pool_dir(out: str) -> str:
    return out + ".pool"


def prepare(sources: list[Source], cfg: BatchConfig, directory: str) -> BatchConfig:
    """The config that applies the pooled tables in `directory`, estimating them first unless already there."""
    from ..learn import read_channel_dir

    d = Path(directory)
    manifest = {"inputs": [fingerprint(s.path) for s in sources], "options": _options(cfg)}
    done = _read_manifest(d)
    if done is not None and done.get("inputs") == manifest["inputs"] and done.get("options") == manifest["options"]:
        log.info("batch --pool: reusing the tables in %s", d)
    else:
        if d.exists():
            shutil.rmtree(d)
        _estimate(sources, cfg, d)
        tmp = d / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, d / MANIFEST)  # written last: a run killed before this point estimates again
    if cfg.group_by:
        read_channel_dir(d)
        return replace(cfg, channel_dir=str(d))
    return replace(cfg, channels=(*cfg.channels, str(d / POOLED_TABLE)))


def _estimate(sources: list[Source], cfg: BatchConfig, d: Path) -> None:
    from ..adapt import Adapter
    from ..engine import Engine
    from ..learn import write_channel_dir

    texts = _samples(sources, cfg)
    adapter = Adapter(Engine(channels=list(cfg.channels), lm=cfg.lm))
    tables = {}
    for group in sorted(texts):
        rep = adapter.adapt(texts[group], name=group or "pooled")
        tables[group] = rep.table
    d.mkdir(parents=True, exist_ok=True)
    if cfg.group_by:
        write_channel_dir(tables, d)
    else:
        tables[""].save(d / POOLED_TABLE)


def _samples(sources: list[Source], cfg: BatchConfig) -> dict[str, list[str]]:
    """The first POOL_DOCS usable texts of each group, cleaned first when the run cleans them."""
    from ..learn import group_key

    out: dict[str, list[str]] = defaultdict(list)
    if not cfg.group_by:
        out[""] = []
    for src in sources:
        try:
            for rec in src.records():
                row = _row(rec.payload)
                text = row.get(cfg.text_field) if row is not None else None
                if row is None or not isinstance(text, str) or not text.strip():
                    continue
                key = group_key(row.get(cfg.group_by)) if cfg.group_by else ""
                if key is None or len(out[key]) >= POOL_DOCS:
                    continue
                if cfg.clean_first or cfg.html or rec.html:
                    from ..clean import clean

                    text = clean(text, html=True if (rec.html or cfg.html) else None).text
                out[key].append(text)
        except FileError as exc:  # the run itself reports the file; pooling uses what could be read
            log.info("%s", exc)
    return out


def _row(payload: str | dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(payload, dict):
        return payload
    try:
        row = json.loads(payload)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def _options(cfg: BatchConfig) -> dict[str, Any]:
    """What decides the tables: the text each group contributes and the models that read it."""
    return {"text_field": cfg.text_field, "group_by": cfg.group_by, "clean_first": cfg.clean_first,
            "html": cfg.html, "channels": list(cfg.channels), "lm": cfg.lm, "docs": POOL_DOCS}


def _read_manifest(d: Path) -> dict[str, Any] | None:
    try:
        got = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return got if isinstance(got, dict) else None
