"""A progress bar for terminals and the end-of-run summary of a batch run."""

from __future__ import annotations

import time
from typing import IO

from .batch import BatchStats


class ProgressBar:
    """One line redrawn at most four times a second: share of input read, documents, documents/s, ETA."""

    def __init__(self, stream: IO[str], width: int = 24) -> None:
        self.stream, self.width = stream, width
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._start_rows: int | None = None

    def __call__(self, stats: BatchStats, done: int, total: int) -> None:
        now = time.perf_counter()
        if self._start_rows is None:
            self._start_rows = stats.resumed
        if now - self._last < 0.25:
            return
        self._last = now
        elapsed = now - self.t0
        rate = (stats.rows - self._start_rows) / elapsed if elapsed > 0 else 0.0
        frac = min(1.0, done / total) if total else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        eta = "?"
        if 0 < frac < 1 and elapsed > 1:
            eta = _duration(elapsed * (1 - frac) / frac)
        self.stream.write(f"\r[{bar}] {frac:4.0%} {stats.rows:,} docs  {rate:,.1f} docs/s  ETA {eta}   ")
        self.stream.flush()

    def close(self) -> None:
        if self._last:
            self.stream.write("\n")
            self.stream.flush()


def _duration(s: float) -> str:
    s = int(s)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def summary(stats: BatchStats) -> str:
    """The lines printed on standard error at the end of a run."""
    errs = ", ".join(f"{k}: {v}" for k, v in stats.errors.most_common()) or "none"
    line = (f"{stats.rows:,} documents: {stats.spun:,} spun, {stats.clean:,} clean, "
            f"{sum(stats.errors.values()):,} failed; errors: {errs}")
    if stats.dropped:
        line += f"; {stats.dropped:,} dropped as spun"
    lines = [line]
    if stats.skipped:
        lines.append("skipped input records: " + ", ".join(f"{k}: {v}" for k, v in stats.skipped.most_common()))
    speed = f"{stats.words_per_second():,.0f} words/s over {stats.seconds:.1f} s"
    if stats.resumed:
        speed += f" ({stats.resumed:,} documents were done by an earlier run)"
    lines.append(speed)
    lines.extend(stats.file_errors)
    return "\n".join(lines)
