"""Build a KenLM n-gram model from JSON Lines: tokenise, estimate with lmplz, binarise with build_binary."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from ..errors import E, UnspinError
from ..text import lm_sentences

logger = logging.getLogger("unspin")

PathLike = str | os.PathLike[str]
TOOLS_HINT = "build them with: scripts/build_kenlm_tools.sh .venv/bin"


def find_tool(name: str) -> Path:
    """Locate a KenLM program next to the running Python (the virtualenv's bin) or on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    raise UnspinError(E.BAD_LM.format(path=name, detail=f"KenLM's {name} is not installed; {TOOLS_HINT}"))


def _open_text(path: PathLike) -> IO[str]:
    if str(path) == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
    try:
        with open(path, "rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        if gz:
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
        return open(path, encoding="utf-8")
    except OSError as err:
        raise UnspinError(E.NOT_FOUND.format(path=path, detail=err.strerror or err)) from err


def corpus_texts(path: PathLike, text_field: str = "text") -> Iterator[str]:
    """Yield the `text_field` of each JSON Lines row; rows without it are skipped and counted in the log."""
    skipped = 0
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                skipped += 1
                logger.debug("%s:%d: not JSON, skipped", path, lineno)
                continue
            text = row.get(text_field) if isinstance(row, dict) else None
            if not isinstance(text, str):
                skipped += 1
                continue
            yield text
    if skipped:
        logger.warning("%s: skipped %d rows without a string %r field", path, skipped, text_field)


def training_lines(texts: Iterable[str]) -> Iterator[str]:
    """Yield one line per sentence in the LM's training format (space-separated LM forms)."""
    for text in texts:
        for sent in lm_sentences(text):
            # lmplz splits on ASCII whitespace and control bytes; such tokens would corrupt the counts.
            words = [w for w in sent if w.isprintable()]
            if words:
                yield " ".join(words)


def default_prune(order: int) -> list[int]:
    """Count thresholds per order: keep all unigrams and bigrams, drop singleton 3-grams and longer."""
    return [0, 0] + [1] * (order - 2)


def build_lm(
    corpus: PathLike | Sequence[PathLike],
    out: PathLike,
    order: int = 4,
    text_field: str = "text",
    prune: Sequence[int] | None = None,
    memory: str = "25%",
    quantize_bits: int = 8,
    tmp_dir: PathLike | None = None,
) -> Path:
    """Build a binary KenLM model at `out` from JSON Lines corpora (plain or .gz) and return its path."""
    paths = [corpus] if isinstance(corpus, str | os.PathLike) else list(corpus)
    texts = (text for p in paths for text in corpus_texts(p, text_field))
    return build_from_lines(training_lines(texts), out, order, prune, memory, quantize_bits, tmp_dir)


def build_from_lines(
    lines: Iterable[str],
    out: PathLike,
    order: int = 4,
    prune: Sequence[int] | None = None,
    memory: str = "25%",
    quantize_bits: int = 8,
    tmp_dir: PathLike | None = None,
) -> Path:
    """Estimate a modified Kneser-Ney model from training lines with lmplz and binarise it to `out`."""
    if not 2 <= order <= 6:
        raise UnspinError(
            E.BAD_LM.format(path=out, detail=f"order must be 2..6 (KenLM's limit), not {order}")
        )
    prune = list(default_prune(order) if prune is None else prune)
    if any(p < 0 for p in prune) or any(a > b for a, b in zip(prune, prune[1:], strict=False)):
        raise UnspinError(
            E.BAD_LM.format(path=out, detail=f"prune thresholds must be non-decreasing: {prune}")
        )
    lmplz, build_binary = find_tool("lmplz"), find_tool("build_binary")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="unspin-lm-", dir=tmp_dir) as tmp:
        arpa = Path(tmp) / "model.arpa"
        t0 = time.perf_counter()
        n_lines, n_tokens = _estimate(lmplz, lines, arpa, order, prune, memory, Path(tmp))
        if n_lines == 0:
            raise UnspinError(E.BAD_LM.format(path=out, detail="the corpus has no text to train on"))
        t1 = time.perf_counter()
        logger.info(
            "lmplz: %d sentences, %d tokens, order %d, prune %s in %.0f s",
            n_lines,
            n_tokens,
            order,
            prune,
            t1 - t0,
        )
        # Write beside `out` and rename, so a failed build never leaves a half-written model in place.
        partial = out.with_name(out.name + ".partial")
        bits = str(quantize_bits)
        # A quantised trie with array-compressed pointers: about half the size of plain trie, ~10% slower.
        cmd = [
            str(build_binary),
            "-S",
            memory,
            "-T",
            tmp,
            "-a",
            "22",
            "-q",
            bits,
            "-b",
            bits,
            "trie",
            str(arpa),
            str(partial),
        ]
        _run(cmd, Path(tmp) / "build_binary.log", out)
        partial.replace(out)
        logger.info(
            "build_binary: %s, %.1f MB in %.0f s", out, out.stat().st_size / 1e6, time.perf_counter() - t1
        )
    return out


def _estimate(
    lmplz: Path, lines: Iterable[str], arpa: Path, order: int, prune: list[int], memory: str, tmp: Path
) -> tuple[int, int]:
    cmd = [
        str(lmplz),
        "-o",
        str(order),
        "-S",
        memory,
        "-T",
        str(tmp),
        "--prune",
        *map(str, prune),
        # Small corpora lack the count-of-counts modified Kneser-Ney needs; fall back instead of failing.
        "--discount_fallback",
    ]
    log_path = tmp / "lmplz.log"
    n_lines = n_tokens = 0
    with open(arpa, "wb") as arpa_fh, open(log_path, "wb") as log_fh:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=arpa_fh, stderr=log_fh)
        assert proc.stdin is not None
        try:
            with io.TextIOWrapper(proc.stdin, encoding="utf-8", newline="\n") as feed:
                for line in lines:
                    feed.write(line)
                    feed.write("\n")
                    n_lines += 1
                    n_tokens += line.count(" ") + 1
        except BrokenPipeError:
            pass  # lmplz died early; its exit code and log explain why
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        code = proc.wait()
    if code != 0:
        raise UnspinError(E.BAD_LM.format(path=arpa, detail=f"lmplz failed ({code}): {_tail(log_path)}"))
    return n_lines, n_tokens


def _run(cmd: list[str], log_path: Path, out: Path) -> None:
    with open(log_path, "wb") as log_fh:
        code = subprocess.call(cmd, stdout=log_fh, stderr=subprocess.STDOUT)
    if code != 0:
        raise UnspinError(
            E.BAD_LM.format(path=out, detail=f"{Path(cmd[0]).name} failed ({code}): {_tail(log_path)}")
        )


def _tail(path: Path, n: int = 400) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    return " ".join(text[-n:].split())
