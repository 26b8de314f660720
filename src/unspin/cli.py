"""Command line: parse arguments, hand off to the library, print results; nothing else lives here."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from .errors import E, UnspinError

log = logging.getLogger("unspin")


def _models(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", action="append", default=[], metavar="PATH",
                   help="learned channel table (repeatable), applied with priority")
    p.add_argument("--lm", metavar="PATH", help="KenLM model to use instead of the shipped one")


def _fmt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="unspin", description="Find and undo machine article spinning.")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="more diagnostics on stderr")
    ap.add_argument("--version", action="version", version=f"unspin {_version()}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, what in (("restore", "write back the most likely original wording"),
                       ("detect", "probability that the text was spun, and the suspicious spans")):
        p = sub.add_parser(name, help=what)
        p.add_argument("file", metavar="FILE", help="input file, - for standard input, or 'example' (built in)")
        p.add_argument("--clean", action="store_true", help="strip page boilerplate first")
        p.add_argument("--html", action="store_true", help="with --clean: the input is HTML")
        p.add_argument("--max-mb", type=float, default=5.0, help="refuse larger inputs (default 5)")
        _fmt(p)
        _models(p)

    p = sub.add_parser("clean", help="strip page boilerplate from scraped text or HTML")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--html", action="store_true", help="the input is HTML")
    _fmt(p)

    p = sub.add_parser("learn", help="build a channel table from aligned (spun, original) pairs")
    p.add_argument("pairs", metavar="PAIRS", help="JSON Lines with spun/original, or TSV tortured/expected")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--min-count", type=int, default=1, help="drop rewrites seen fewer times (documents only)")

    p = sub.add_parser("adapt", help="estimate a spinner's channel table from its spun documents alone")
    p.add_argument("corpus", metavar="CORPUS.jsonl", help="JSON Lines (plain or .gz) of one spinner's documents")
    p.add_argument("out", metavar="OUT", help="table to write (with --group-by: a directory of tables)")
    p.add_argument("--text-field", default="text")
    p.add_argument("--group-by", metavar="FIELD", help="one table per value of this field (e.g. host), into OUT/")
    p.add_argument("--lm", metavar="PATH", help="KenLM model to use instead of the shipped one")

    p = sub.add_parser("lm", help="language models")
    lsub = p.add_subparsers(dest="lm_command", required=True, metavar="ACTION")
    b = lsub.add_parser("build", help="build an n-gram model from a JSON Lines corpus")
    b.add_argument("corpus", metavar="CORPUS.jsonl")
    b.add_argument("out", metavar="OUT")
    b.add_argument("--order", type=int, default=4)
    b.add_argument("--text-field", default="text")

    p = sub.add_parser("batch", help="run a task over a corpus (JSON Lines, Parquet, WARC) on all cores")
    p.add_argument("inp", metavar="IN", help="a .jsonl[.gz|.zst], .parquet or .warc[.gz] file, a directory or a glob")
    p.add_argument("out", metavar="OUT", help=".jsonl[.gz|.zst] or .parquet (resumable via OUT.parts/), or -")
    p.add_argument("--task", choices=("restore", "detect", "clean"),
                   help="required, except that --repair implies restore and --drop-spun/--tag imply detect")
    p.add_argument("--text-field", default="text")
    p.add_argument("--workers", type=int, default=0, help="processes (default: all cores)")
    p.add_argument("--clean", action="store_true", help="strip boilerplate before restore/detect")
    p.add_argument("--html", action="store_true", help="the text fields hold HTML")
    p.add_argument("--max-mb", type=float, default=5.0, help="rows with larger texts fail with a reason")
    _models(p)
    p.add_argument("--drop-spun", type=float, metavar="P", help="write only documents scored below P")
    p.add_argument("--repair", action="store_true", help="write restored text; the input text moves to --keep-field")
    p.add_argument("--keep-field", default="original_text", help="with --repair: field for the input text")
    p.add_argument("--tag", action="store_true", help="add only spin_score, verdict and spans")
    p.add_argument("--channel-dir", metavar="DIR", help="per-group channel tables (groups.json), with --group-by")
    p.add_argument("--group-by", metavar="FIELD", help="apply the table of the group named by this field")
    p.add_argument("--pool", action="store_true",
                   help="pool evidence across documents: first estimate the spinner's table from up to 300 documents "
                        "of IN (of each --group-by group), kept in OUT.pool/, then apply it")
    p.add_argument("--shard-rows", type=int, default=1000, help="rows per resumable output shard")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="local processes or a Ray cluster")
    p.add_argument("--ray-address", metavar="ADDR", help="with --engine ray: cluster to join (default: start one)")
    p.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                   help="progress bar on standard error (auto: when it is a terminal)")
    p.add_argument("--worker-mb", type=float, default=512, help="a worker over this resident size renews its engine")

    p = sub.add_parser("serve", help="HTTP API and web page (needs the serve extra)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--index", action="append", default=[], metavar="DIR", help="source index for /v1/trace")
    p.add_argument("--max-body-mb", type=float, default=2.0, help="larger request bodies get 413 (default 2)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="per-request time limit (default 60)")
    p.add_argument("--max-concurrency", type=int, default=32, metavar="N",
                   help="requests in progress before new ones get 503 + Retry-After (default 32)")
    p.add_argument("--workers", type=int, default=None, help="engine processes (default min(2, cores); 0: a thread)")
    p.add_argument("--cache", type=int, default=256, metavar="N", help="recent results kept (default 256; 0: off)")
    p.add_argument("--cors", action="append", default=[], metavar="ORIGIN", help="allow this origin (CORS off)")
    p.add_argument("--memo-entries", type=int, default=None, metavar="N",
                   help="memo entries each engine keeps between requests (default 50000, about 45 MB)")
    p.add_argument("--no-access-log", action="store_true", help="no JSON access log lines on stderr")
    _models(p)
    p = sub.add_parser("index", help="source indexes for trace")
    isub = p.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    for name, what in (("build", "make a new index from a JSON Lines corpus"),
                       ("add", "add the documents of a JSON Lines corpus to an index (ids already there are skipped)")):
        b = isub.add_parser(name, help=what)
        b.add_argument("corpus", metavar="CORPUS.jsonl")
        b.add_argument("dir", metavar="DIR")
        b.add_argument("--id-field", default="id")
        b.add_argument("--text-field", default="text")

    p = sub.add_parser("trace", help="find the indexed sources a (spun) text was made from")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--index", action="append", required=True, metavar="DIR", help="index directory (repeatable)")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--explain", action="store_true", help="show each traced passage beside its source")
    p.add_argument("--harvest", metavar="PAIRS.jsonl", help="append aligned (spun, original) pairs for `unspin learn`")
    _fmt(p)

    p = sub.add_parser("bench", help="measure restore/detect quality and speed on simulated spinners")
    try:
        from .bench.runner import add_arguments
    except ImportError:  # the benchmark needs nothing optional; this only guards a broken checkout
        p.add_argument("--suite", choices=("quick", "full"), default="quick")
        p.add_argument("--out")
    else:
        add_arguments(p)
    return ap


def _version() -> str:
    from . import __version__

    return __version__


def _emit(obj: Any, fmt: str, text: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _engine(args: argparse.Namespace) -> Any:
    from .engine import Engine

    return Engine(channels=args.channel, lm=args.lm)


def _input(args: argparse.Namespace) -> str:
    from .engine import load_text

    if args.file == "example" and not __import__("os").path.exists("example"):
        from importlib import resources

        return (resources.files("unspin") / "data" / "example_spun.txt").read_text(encoding="utf-8")
    return load_text(args.file)


def run(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd in ("restore", "detect"):
        from .engine import check_size

        text = _input(args)
        check_size(text, args.max_mb)
        engine = _engine(args)
        if args.clean:
            from .engine import run_on_clean

            out = run_on_clean(engine, cmd, text, html=args.html)
        else:
            out = (engine.restore(text) if cmd == "restore" else engine.detect(text)).to_dict()
        if cmd == "restore":
            _emit(out, args.format, out["text"])
        else:
            line = f"{out['verdict']}\t{out['spin_score']:.3f}\t{len(out['spans'])} suspicious spans"
            _emit(out, args.format, line)
        return 0
    if cmd == "clean":
        from .clean import clean

        res = clean(_input(args), html=True if args.html else None)
        _emit(res.to_dict(), args.format, res.text)
        return 0
    if cmd == "learn":
        from .learn import learn_pairs, learn_phrases, read_pairs

        pairs, kind = read_pairs(args.pairs)
        table = learn_phrases(pairs) if kind == "phrases" else learn_pairs(pairs, min_count=args.min_count)
        table.save(args.out)
        print(f"learned {len(table)} rewrites of {len(table.entries)} spun forms from {len(pairs)} {kind}",
              file=sys.stderr)
        return 0
    if cmd == "adapt":
        from .adapt import adapt_file
        from .engine import Engine

        reports = adapt_file(args.corpus, args.out, args.text_field, args.group_by, Engine(lm=args.lm))
        for r in reports:
            print(f"{r.table.name}: {r.summary()}", file=sys.stderr)
        return 0
    if cmd == "lm":
        from .lm import build_lm

        build_lm(args.corpus, args.out, order=args.order, text_field=args.text_field)
        return 0
    if cmd == "batch":
        from .pipeline.batch import BatchConfig, run_batch
        from .pipeline.progress import ProgressBar, summary

        task = args.task or ("restore" if args.repair else "detect" if args.drop_spun is not None or args.tag else None)
        if task is None:
            raise UnspinError("E072: batch needs --task restore|detect|clean")
        cfg = BatchConfig(task=task, text_field=args.text_field, workers=args.workers,
                          clean_first=args.clean, html=args.html, channels=tuple(args.channel), lm=args.lm,
                          max_mb=args.max_mb, drop_spun=args.drop_spun, repair=args.repair,
                          keep_field=args.keep_field, tag=args.tag, channel_dir=args.channel_dir,
                          group_by=args.group_by, pool=args.pool, shard_rows=args.shard_rows, engine=args.engine,
                          ray_address=args.ray_address, worker_mb=args.worker_mb)
        show = args.progress == "on" or (args.progress == "auto" and sys.stderr.isatty())
        bar = ProgressBar(sys.stderr) if show else None
        try:
            stats = run_batch(args.inp, args.out, cfg, progress=bar)
        finally:
            if bar:
                bar.close()
        print(summary(stats), file=sys.stderr)
        return 2 if stats.file_errors else 0
    if cmd == "serve":
        from .service.server import serve

        serve(args.host, args.port, index=args.index, channels=args.channel, lm=args.lm, max_body_mb=args.max_body_mb,
              timeout=args.timeout, max_concurrency=args.max_concurrency, workers=args.workers, cache=args.cache,
              cors_origins=args.cors, access_log=not args.no_access_log, memo_entries=args.memo_entries)
        return 0
    if cmd == "index":
        from .trace import Index, read_corpus

        idx = Index.create(args.dir) if args.index_command == "build" else Index.for_writing(args.dir)
        st = idx.add(read_corpus(args.corpus, id_field=args.id_field, text_field=args.text_field))
        why = ", ".join(f"{k}: {v}" for k, v in st.reasons.items())
        print(f"added {st.added} documents ({st.added / max(st.seconds, 1e-9):.0f}/s), skipped {st.skipped} "
              f"already indexed, rejected {st.rejected}{' (' + why + ')' if why else ''}; {len(idx)} in {args.dir}",
              file=sys.stderr)
        return 0
    if cmd == "trace":
        from .trace import explain, harvest, trace

        if args.top < 1:
            raise UnspinError(E.BAD_TOP.format(top=args.top))
        text = _input(args)
        found = trace(text, args.index if len(args.index) > 1 else args.index[0], top=args.top)
        out = found.to_dict()
        if args.harvest:
            with open(args.harvest, "a", encoding="utf-8") as fh:
                for row in harvest(text, found):
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        if args.explain:
            shown = explain(text, found, color=args.format != "json" and sys.stdout.isatty())
            if args.format == "json":
                out["explain"] = shown
        rows = "\n".join(f"{m.id}\t{m.score:.3f}\t{m.aligned:.3f}" for m in found.matches)
        head = "id\tscore\taligned\n" if found.matches else f"no match ({found.reason})\n"
        _emit(out, args.format, shown if args.explain and args.format != "json" else head + rows)
        return 0
    if cmd == "bench":
        from .bench.runner import main as bench_main

        return int(bench_main(args) or 0)
    raise AssertionError(cmd)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), format="unspin: %(message)s")
    try:
        return run(args)
    except UnspinError as exc:
        print(f"unspin: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"unspin: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI's last resort: one line, exit 1, traceback only with -v
        if args.verbose:
            raise
        print(f"unspin: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
