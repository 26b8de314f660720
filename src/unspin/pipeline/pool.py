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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..adapt import MIN_SPUN_SHARE
from .batch import BatchConfig, cleans_first
from .readers import FileError, Source, fingerprint

if TYPE_CHECKING:
    from ..engine import Engine
    from ..learn import ChannelTable

log = logging.getLogger("unspin")

# Per group: adapt's learning curves level off after ~300 documents, and its damage grows beyond (BENCHMARKS.md).
POOL_DOCS = 300
# adapt's probabilities are honest for thesaurus spinners (entries at 0.5-0.8 right ~75 % of the time, BENCHMARKS.md):
# applied to every document of a corpus, entries below 0.6 broke about as many words as they fixed.
MIN_PROB = 0.6
# With --group-by, a group needs this many documents for a table of its own (pooling is about many pages).
MIN_GROUP_DOCS = 5
# The text held for pooling, in characters (a crawl of many small hosts would otherwise be held whole).
POOL_CHARS = 200_000_000
POOLED_TABLE = "pooled.tsv"
MANIFEST = "manifest.json"


def pool_dir(out: str) -> str:
    return out + ".pool"


def prepare(sources: list[Source], cfg: BatchConfig, directory: str) -> BatchConfig:
    """The config that applies the pooled tables in `directory`, estimating them first unless already there."""
    d = Path(directory)
    manifest: dict[str, Any] = {"inputs": [fingerprint(s.path) for s in sources], "options": _options(cfg)}
    done = _read_manifest(d)
    if done is not None and done.get("inputs") == manifest["inputs"] and done.get("options") == manifest["options"]:
        log.info("batch --pool: reusing the tables in %s", d)
        manifest = done
    else:
        if d.exists():
            shutil.rmtree(d)
        manifest["groups"] = _estimate(sources, cfg, d)
        tmp = d / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, d / MANIFEST)  # written last: a run killed before this point estimates again
    if cfg.group_by:
        return replace(cfg, channel_dir=str(d))
    if manifest["groups"].get("", {}).get("applied"):
        return replace(cfg, channels=(*cfg.channels, str(d / POOLED_TABLE)))
    return cfg


@dataclass
class Pooled:
    """A group's pooled table, or None with the reason (too few documents, or too few of them look spun)."""

    table: ChannelTable | None
    docs: int
    spun_share: float  # share of the documents that detect scores >= params.corpus_spun_score
    reason: str = ""

    def summary(self) -> dict[str, Any]:
        out = {"docs": self.docs, "spun_share": round(self.spun_share, 4), "applied": self.table is not None,
               "entries": len(self.table) if self.table is not None else 0}
        return {**out, "reason": self.reason} if self.reason else out


def pooled_table(engine: Engine, texts: list[str], name: str = "pooled") -> Pooled:
    """Adapt's table for `texts` with only its entries at least MIN_PROB likely, or none where adapt declines them."""
    from ..adapt import Adapter
    from ..learn import ChannelTable

    rep = Adapter(engine).adapt(texts, name=name)
    if rep.declined or not rep.documents:
        return Pooled(None, rep.documents, rep.spun_share, f"under {100 * MIN_SPUN_SHARE:.0f} % look spun")
    kept = {k: [e for e in v if e.prob >= MIN_PROB] for k, v in rep.table.entries.items()}
    table = ChannelTable({k: v for k, v in kept.items() if v}, name=rep.table.name, kind=rep.table.kind)
    return Pooled(table, rep.documents, rep.spun_share)


def _estimate(sources: list[Source], cfg: BatchConfig, d: Path) -> dict[str, Any]:
    from ..learn import write_channel_dir

    texts = _samples(sources, cfg)
    small = {g for g, ts in texts.items() if cfg.group_by and len(ts) < MIN_GROUP_DOCS}
    got = {g: Pooled(None, len(texts[g]), 0.0, f"fewer than {MIN_GROUP_DOCS} documents") for g in small}
    todo = [(g, texts.pop(g)) for g in sorted(texts) if g not in small]
    workers = min(len(todo), cfg.workers or os.cpu_count() or 1)
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_init_worker,
                                 initargs=(cfg,)) as ex:
            got.update(zip([g for g, _ in todo], ex.map(_pool_group, todo), strict=True))
    else:
        _init_worker(cfg)
        got.update((g, _pool_group((g, ts))) for g, ts in todo)
    d.mkdir(parents=True, exist_ok=True)
    tables = {g: p.table for g, p in got.items() if p.table is not None}
    if cfg.group_by:
        write_channel_dir(tables, d)
    elif "" in tables:
        tables[""].save(d / POOLED_TABLE)
    return {g: got[g].summary() for g in sorted(got)}


_ENGINE: list[Engine] = []  # the engine of a pooling process (set by _init_worker in that process only)


def _init_worker(cfg: BatchConfig) -> None:
    from ..engine import Engine

    _ENGINE[:] = [Engine(channels=list(cfg.channels), lm=cfg.lm)]


def _pool_group(item: tuple[str, list[str]]) -> Pooled:
    group, texts = item
    return pooled_table(_ENGINE[0], texts, name=group or "pooled")


def _samples(sources: list[Source], cfg: BatchConfig) -> dict[str, list[str]]:
    """The first POOL_DOCS usable texts of each group, cleaned first when the run cleans them."""
    from ..learn import group_key

    out: dict[str, list[str]] = defaultdict(list)
    if not cfg.group_by:
        out[""] = []
    held = 0
    for src in sources:
        if held >= POOL_CHARS:
            break
        try:
            for rec in src.records():
                if held >= POOL_CHARS:
                    break
                row = _row(rec.payload)
                text = row.get(cfg.text_field) if row is not None else None
                if row is None or not isinstance(text, str) or not text.strip():
                    continue
                key = group_key(row.get(cfg.group_by)) if cfg.group_by else ""
                if key is None or len(out[key]) >= POOL_DOCS:
                    continue
                if cleans_first(cfg, rec.html):  # pooled text is the text the run will restore
                    from ..clean import clean

                    text = clean(text, html=True if (rec.html or cfg.html) else None).text
                out[key].append(text)
                held += len(text)
        except FileError as exc:  # the run itself reports the file; pooling uses what could be read
            log.info("%s", exc)
    if held >= POOL_CHARS:
        log.warning("batch --pool: pooling stopped reading IN at %d million characters of text; groups first seen "
                    "after that get no table", POOL_CHARS // 1_000_000)
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
            "html": cfg.html, "channels": list(cfg.channels), "lm": cfg.lm, "docs": POOL_DOCS,
            "min_spun_share": MIN_SPUN_SHARE, "min_prob": MIN_PROB, "min_group_docs": MIN_GROUP_DOCS,
            "max_chars": POOL_CHARS}


def _read_manifest(d: Path) -> dict[str, Any] | None:
    try:
        got = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return got if isinstance(got, dict) else None
